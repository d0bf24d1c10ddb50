#!/bin/bash
# End to end: the built kbs and kbs-client on loopback with the sample TEE, over HTTP (the
# walkthrough's config layout) and HTTPS (the current layout).
# Usage: e2e_test.sh <kbs> <kbs-client> [<coco-keyprovider>]
set -euo pipefail
KBS=$1
CLIENT=$2
COCO_KP=${3:-}
WORK=$(mktemp -d /tmp/kbs_e2e.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  rm -rf "$WORK"
}
trap cleanup EXIT
fail() { echo "FAIL: $*" >&2; echo "--- kbs log:" >&2; cat "$WORK"/*.log >&2 || true; exit 1; }

start_kbs() {  # config listen-file log
  "$KBS" --config-file "$1" --listen-file "$2" >"$3" 2>&1 &
  PIDS+=($!)
  for _ in $(seq 100); do [ -s "$2" ] && return 0; sleep 0.1; done
  fail "kbs did not start ($1)"
}

openssl genpkey -algorithm ed25519 -out "$WORK/private.key" 2>/dev/null
openssl pkey -in "$WORK/private.key" -pubout -out "$WORK/public.pub"
mkdir -p "$WORK/repository/default/image_key" "$WORK/policies"
head -c 32 /dev/urandom > "$WORK/secret"

# The walkthrough layout (section 5.2), paths moved into $WORK and a free port.
cat > "$WORK/kbs-config.toml" <<TOML
[http_server]
sockets = ["127.0.0.1:0"]
insecure_http = true

[admin]
insecure_api = false
type = "Simple"
auth_public_key = "$WORK/public.pub"

[attestation_token]
insecure_key = true
attestation_token_type = "CoCo"

[attestation_service]
type = "coco_as_builtin"
work_dir = "$WORK/attestation-service"
policy_engine = "opa"

[attestation_service.attestation_token_broker]
type = "Ear"
policy_dir = "$WORK/policies"

[attestation_service.attestation_token_config]
duration_min = 5

[attestation_service.rvps_config]
type = "BuiltIn"

[attestation_service.rvps_config.storage]
type = "LocalJson"
file_path = "$WORK/reference-values.json"

[[plugins]]
name = "resource"
type = "LocalFs"
dir_path = "$WORK/repository"

[policy_engine]
policy_path = "$WORK/policy.rego"
TOML
echo '[]' > "$WORK/reference-values.json"

start_kbs "$WORK/kbs-config.toml" "$WORK/http.addr" "$WORK/http.log"
URL="http://$(cat "$WORK/http.addr")"
ADMIN=(--url "$URL" config --auth-private-key "$WORK/private.key")

# Admin: upload the resource.
out=$("$CLIENT" "${ADMIN[@]}" set-resource --path default/image_key/nginx --resource-file "$WORK/secret")
echo "$out" | grep -q "Set resource success" || fail "set-resource printed: $out"
cmp "$WORK/secret" "$WORK/repository/default/image_key/nginx" || fail "resource not in the tree layout"
[ "$(stat -c %a "$WORK/repository/default/image_key/nginx")" = 600 ] || fail "resource not 0600"

# The default resource policy denies the sample TEE.
if err=$("$CLIENT" --url "$URL" get-resource --path default/image_key/nginx 2>&1); then
  fail "sample TEE got a resource under the default policy"
fi
echo "$err" | grep -q "PolicyDeny" || fail "expected PolicyDeny, got: $err"

# Admin without a key / with a wrong key.
openssl genpkey -algorithm ed25519 -out "$WORK/other.key" 2>/dev/null
if err=$("$CLIENT" --url "$URL" config --auth-private-key "$WORK/other.key" set-resource-policy --allow-all 2>&1); then
  fail "wrong admin key accepted"
fi
echo "$err" | grep -q "AdminAuthAccess" || fail "expected AdminAuthAccess, got: $err"

# Allow the sample TEE, then a full key release.
cat > "$WORK/allow.rego" <<'REGO'
package policy

import rego.v1

default allow := false

allow if {
	data.plugin == "resource"
	data["resource-path"] == ["default", "image_key", "nginx"]
	input.submods.cpu0["ear.veraison.annotated-evidence"].sample
}
REGO
out=$("$CLIENT" "${ADMIN[@]}" set-resource-policy --policy-file "$WORK/allow.rego")
echo "$out" | grep -q "Set resource policy success" || fail "set-resource-policy printed: $out"
cmp "$WORK/allow.rego" "$WORK/policy.rego" || fail "policy not written to policy_path"
got=$("$CLIENT" --url "$URL" get-resource --path default/image_key/nginx)
[ "$got" = "$(base64 -w0 < "$WORK/secret")" ] || fail "get-resource returned $got"

# attest prints a JWT; passport mode with an RSA TEE key.
openssl genpkey -algorithm RSA -pkeyopt rsa_keygen_bits:2048 -out "$WORK/tee.key" 2>/dev/null
"$CLIENT" --url "$URL" attest --tee-key-file "$WORK/tee.key" > "$WORK/token"
[ "$(tr -cd . < "$WORK/token" | wc -c)" = 2 ] || fail "attest did not print a JWT"
got=$("$CLIENT" --url "$URL" get-resource --path default/image_key/nginx \
      --attestation-token "$WORK/token" --tee-key-file "$WORK/tee.key")
[ "$got" = "$(base64 -w0 < "$WORK/secret")" ] || fail "passport get-resource returned $got"

# coco-keyprovider registers the key it generates through the admin API of this real KBS
# (ocicrypt cmd transport: one keywrap request on stdin), and a wrong admin key is refused.
if [ -n "$COCO_KP" ]; then
  params=$(printf 'keyid=kbs:///default/image_key/nginx' | base64 -w0)
  opts=$(printf '{"symkey":"c2VjcmV0","cipheroptions":{}}' | base64 -w0)
  req=$(printf '{"op":"keywrap","keywrapparams":{"ec":{"Parameters":{"attestation-agent":["%s"]},"DecryptConfig":{"Parameters":{}}},"optsdata":"%s"}}' "$params" "$opts")
  out=$("$COCO_KP" --cmd --kbs "$URL" --auth-private-key "$WORK/private.key" <<<"$req") ||
    fail "coco-keyprovider --kbs failed: $out"
  kid=$(jq -r '.keywrapresults.annotation | if type == "array" then implode else @base64d end' \
    <<<"$out" | jq -r .kid)
  [ "$kid" = "kbs:///default/image_key/nginx" ] || fail "annotation packet kid is $kid"
  got=$("$CLIENT" --url "$URL" get-resource --path default/image_key/nginx)
  [ "$(base64 -d <<<"$got" | wc -c)" = 32 ] || fail "registered key is not 32 bytes"
  [ "$got" != "$(base64 -w0 < "$WORK/secret")" ] || fail "coco-keyprovider did not replace the key"
  if err=$("$COCO_KP" --cmd --kbs "$URL" --auth-private-key "$WORK/other.key" <<<"$req" 2>&1); then
    fail "registration with a foreign admin key succeeded"
  fi
  echo "$err" | grep -q "401" || fail "expected the KBS's 401 in: $err"
  echo "coco-keyprovider registration: ok"
fi

# Reference values and an attestation policy.# Reference values and an attestation policy.
out=$("$CLIENT" "${ADMIN[@]}" set-sample-reference-value svn 1)
echo "$out" | grep -q "Reference Values Updated" || fail "set-sample-reference-value printed: $out"
grep -q '"svn"' "$WORK/reference-values.json" || fail "reference value not persisted"
[ "$("$CLIENT" "${ADMIN[@]}" get-reference-value --id svn)" = '["1"]' ] || fail "get-reference-value"
cat > "$WORK/ap.rego" <<'REGO'
package policy

import rego.v1

trust_claims := {"executables": 3, "hardware": 2, "configuration": 2}
REGO
out=$("$CLIENT" "${ADMIN[@]}" set-attestation-policy --policy-file "$WORK/ap.rego")
echo "$out" | grep -q "Set attestation policy success" || fail "set-attestation-policy printed: $out"
[ -f "$WORK/policies/default_cpu.rego" ] || fail "attestation policy not stored in policy_dir"
"$CLIENT" --url "$URL" attest | cut -d. -f2 | tr '_-' '/+' | base64 -d 2>/dev/null \
  | grep -q '"ear.status":"affirming"' || fail "attestation not affirming under the new policy"

# delete-resource
"$CLIENT" "${ADMIN[@]}" delete-resource --path default/image_key/nginx >/dev/null
[ ! -e "$WORK/repository/default/image_key/nginx" ] || fail "delete-resource left the file"

# HTTPS with the current layout and an ES256 admin token file.
openssl req -x509 -newkey rsa:2048 -nodes -keyout "$WORK/https.key" -out "$WORK/https.crt" \
  -days 1 -subj "/CN=kbs.test" -addext "subjectAltName=IP:127.0.0.1" 2>/dev/null
openssl ecparam -name prime256v1 -genkey -noout -out "$WORK/admin-ec.sec1" 2>/dev/null
openssl pkcs8 -topk8 -nocrypt -in "$WORK/admin-ec.sec1" -out "$WORK/admin-ec.key"
openssl pkey -in "$WORK/admin-ec.key" -pubout -out "$WORK/admin-ec.pub"
cat > "$WORK/kbs-https.toml" <<TOML
[http_server]
sockets = ["127.0.0.1:0"]
private_key = "$WORK/https.key"
certificate = "$WORK/https.crt"

[admin]
authorization_mode = "AuthenticatedAuthorization"
[admin.authentication.bearer_jwt]
identity_providers = [{ public_key_uri = "$WORK/admin-ec.pub" }]
[admin.authorization.regex_acl]
acls = [{ role = "admin", allowed_endpoints = "^/kbs/.+\$" }]

[storage_backend]
storage_type = "LocalFs"
[storage_backend.backends.local_fs]
dir_path = "$WORK/storage"

[[plugins]]
name = "resource"
storage_backend_type = "kvstorage"
TOML
start_kbs "$WORK/kbs-https.toml" "$WORK/https.addr" "$WORK/https.log"
URLS="https://$(cat "$WORK/https.addr")"
"$CLIENT" --url "$URLS" --cert-file "$WORK/https.crt" config --auth-private-key "$WORK/admin-ec.key" \
  set-resource --path one/two/three --resource-file "$WORK/secret" >/dev/null
[ -f "$WORK/storage/repository/one\\x2Ftwo\\x2Fthree" ] || fail "kv layout file missing"
"$CLIENT" --url "$URLS" --cert-file "$WORK/https.crt" config --auth-private-key "$WORK/admin-ec.key" \
  set-resource-policy --allow-all >/dev/null
got=$("$CLIENT" --url "$URLS" --cert-file "$WORK/https.crt" get-resource --path one/two/three)
[ "$got" = "$(base64 -w0 < "$WORK/secret")" ] || fail "HTTPS get-resource returned $got"
if "$CLIENT" --url "$URLS" get-resource --path one/two/three >/dev/null 2>&1; then
  fail "HTTPS without the CA certificate succeeded"
fi
metrics=$(curl -s --cacert "$WORK/https.crt" "$URLS/metrics")
grep -q '^kbs_http_requests_total' <<<"$metrics" || fail "metrics over HTTPS"
echo "PASS"
