# Resource policy: decides, for every GET /kbs/v0/resource/<repo>/<type>/<tag>, whether the
# attested caller gets the resource. `input` is the caller's attestation token (EAR claims),
# `data` holds the request: data.plugin, data["resource-path"] ([repo, type, tag]), data.query.
#
# This policy is read once at start-up. With more than one replica, change it here and run
# `kubectl -n cocoon-kbs rollout restart deployment/kbs`; an upload through the admin API fails
# because this file is on a read-only ConfigMap volume, which keeps all replicas in step.
#
# Try a change before rolling it out:
#   cocoon policy eval --policy resource-policy.rego --input token-claims.json --data request.json
package policy

import rego.v1

default allow := false

# Image keys only: kbs:///default/image_key/<name> (keys registered with kbs-client) and
# kbs:///default/image-kek/<uuid> (keys coco-keyprovider generates and registers per layer).
# Widen this if the KBS serves other kinds of resources.
image_key if {
	data.plugin == "resource"
	data["resource-path"][0] == "default"
	data["resource-path"][1] in {"image_key", "image-kek"}
}

# The attestation policy (default_cpu) judged every part of the trust vector affirming: the
# evidence verified, the measurements match the reference values and the TCB is up to date.
affirming if {
	input.submods.cpu0["ear.status"] == "affirming"
}

# Real TEEs only. The sample TEE proves nothing and must never receive a key in production.
real_tee if {
	input.submods.cpu0["ear.veraison.annotated-evidence"]["az-tdx-vtpm"]
}

real_tee if {
	input.submods.cpu0["ear.veraison.annotated-evidence"].tdx
}

allow if {
	image_key
	affirming
	real_tee
	not input.submods.cpu0["ear.veraison.annotated-evidence"].sample
}
