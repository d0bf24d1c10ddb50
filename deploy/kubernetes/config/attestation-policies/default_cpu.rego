# Attestation policy `default_cpu`: turns the verified claims of a CPU TEE into the EAR trust
# vector. The token's `ear.status` is "affirming" only when every claim below is 2 or 3; the
# resource policy (../resource-policy.rego) releases keys only then.
#
# Unlike the built-in policy of `kbs`, this one has no rules for the sample TEE: sample evidence
# gets `hardware` 97 (contraindicated) and can never be affirming in this deployment.
#
# Reference values come from reference-values.json (query_reference_value). Until they are
# filled in, every node is judged "warning" and receives no key: the deployment fails closed.
package policy

import rego.v1

# AR4SI values: 2 and 3 are affirming, 32..95 warning, 96 and above contraindicated.
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

# TCB statuses accepted as "hardware is genuine and patched". Azure's collateral service can
# lag Intel's; add "SWHardeningNeeded" here only after reading the advisories it names.
accepted_tcb_status := {"UpToDate"}

# ---- Azure TDX vTPM (Azure DCesv5/DCedsv5 and later confidential VMs) ----

# PCR 11 carries the measurements of the boot chain up to the node image.
executables := 3 if {
	input["az-tdx-vtpm"].tpm.pcr11 in query_reference_value("tdx_pcr11")
}

# MRTD measures Azure's paravisor; the quote must come from a genuine Intel TDX module.
hardware := 2 if {
	input["az-tdx-vtpm"].quote.header.tee_type == "81000000"
	input["az-tdx-vtpm"].quote.header.vendor_id == "939a7233f79c4ca9940a0db3957f0607"
	input["az-tdx-vtpm"].quote.body.mr_td in query_reference_value("mr_td")
	input["az-tdx-vtpm"].tcb_status in accepted_tcb_status
	input["az-tdx-vtpm"].collateral_expiration_status == "0"
}

configuration := 2 if {
	input["az-tdx-vtpm"].quote.body.xfam in query_reference_value("xfam")
}

# ---- Intel TDX on bare metal or other clouds ----

executables := 3 if {
	input.tdx.quote.body.rtmr_1 in query_reference_value("rtmr_1")
	input.tdx.quote.body.rtmr_2 in query_reference_value("rtmr_2")
}

hardware := 2 if {
	input.tdx.quote.header.tee_type == "81000000"
	input.tdx.quote.header.vendor_id == "939a7233f79c4ca9940a0db3957f0607"
	input.tdx.quote.body.mr_td in query_reference_value("mr_td")
	input.tdx.tcb_status in accepted_tcb_status
	input.tdx.collateral_expiration_status == "0"
}

# A debug TD lets the host read its memory: never affirming.
configuration := 2 if {
	input.tdx.td_attributes.debug == false
	input.tdx.quote.body.xfam in query_reference_value("xfam")
}
