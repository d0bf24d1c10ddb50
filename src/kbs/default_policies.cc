#include "kbs/policy_engine.h"

namespace cocoon::kbs {

absl::string_view DefaultResourcePolicy() {
  return R"(package policy

import rego.v1

# Releases resources to any TEE except the sample TEE, which proves nothing. Replace this policy
# (kbs-client config set-resource-policy) to check the attestation status and claims.
default allow := false

allow if {
	data.plugin == "resource"
	not input.submods.cpu0["ear.veraison.annotated-evidence"].sample
}
)";
}

absl::string_view AllowAllResourcePolicy() {
  return R"(package policy

import rego.v1

default allow := false

allow if {
	data.plugin == "resource"
}
)";
}

absl::string_view DenyAllResourcePolicy() {
  return R"(package policy

import rego.v1

default allow := false
)";
}

absl::string_view AffirmingResourcePolicy() {
  return R"(package policy

import rego.v1

default allow := false

allow if {
	count(input.submods) > 0
	not some_not_affirming
}

some_not_affirming if {
	input.submods[_]["ear.status"] != "affirming"
}
)";
}

absl::string_view DefaultCpuAttestationPolicy() {
  return R"(package policy

import rego.v1

# AR4SI trust claims: 2/3 are affirming, 32..95 warning, 96+ contraindicated, -1..1 none.
default executables := 33

default hardware := 97

default configuration := 36

trust_claims := {
	"instance-identity": 0,
	"configuration": configuration,
	"executables": executables,
	"file-system": 0,
	"hardware": hardware,
	"runtime-opaque": 0,
	"storage-opaque": 0,
	"sourced-data": 0,
}

# sample TEE
executables := 3 if {
	input.sample.launch_digest in query_reference_value("launch_digest")
}

hardware := 2 if {
	input.sample.svn in query_reference_value("svn")
	input.sample.platform_version.major == query_reference_value("major_version")
	input.sample.platform_version.minor >= query_reference_value("minimum_minor_version")
}

configuration := 2 if {
	input.sample.debug == false
}

# Intel TDX
executables := 3 if {
	input.tdx.quote.body.rtmr_1 in query_reference_value("rtmr_1")
	input.tdx.quote.body.rtmr_2 in query_reference_value("rtmr_2")
}

hardware := 2 if {
	input.tdx.quote.header.tee_type == "81000000"
	input.tdx.quote.header.vendor_id == "939a7233f79c4ca9940a0db3957f0607"
	input.tdx.quote.body.mr_td in query_reference_value("mr_td")
	input.tdx.tcb_status == "UpToDate"
	input.tdx.collateral_expiration_status == "0"
}

configuration := 2 if {
	input.tdx.td_attributes.debug == false
	input.tdx.quote.body.xfam in query_reference_value("xfam")
}

# Azure TDX vTPM
executables := 3 if {
	input["az-tdx-vtpm"].tpm.pcr11 in query_reference_value("tdx_pcr11")
}

hardware := 2 if {
	input["az-tdx-vtpm"].quote.header.tee_type == "81000000"
	input["az-tdx-vtpm"].quote.header.vendor_id == "939a7233f79c4ca9940a0db3957f0607"
	input["az-tdx-vtpm"].quote.body.mr_td in query_reference_value("mr_td")
	input["az-tdx-vtpm"].tcb_status == "UpToDate"
}

configuration := 2 if {
	input["az-tdx-vtpm"].quote.body.xfam in query_reference_value("xfam")
}
)";
}

}  // namespace cocoon::kbs
