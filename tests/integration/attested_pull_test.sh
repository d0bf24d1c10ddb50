#!/usr/bin/env bash
# Attestation-gated image pull end to end (design.md "The flow"): docker-registry, containerd 1.6
# with cocoon's ctd-decoder (CRI key_model "node"), confidential-data-hub with cc_kbc, cocoon's
# attestation-agent, the kbs, and the Azure TDX vTPM emulator (swtpm) whose test root the KBS
# trusts only through verifier_config.dcap.trusted_test_roots.
#   attested_pull_test.sh CASE
# Every case gets its own harness, KBS, emulator and agent. Exit 77 (skip) when a needed tool is
# missing. Needs root, CRI_CLIENT, COCOON_BIN, CTD_DECODER, CDH_BIN, COCO_KEYPROVIDER, KBS_BIN,
# KBS_CLIENT, AA_BIN, COCOON_AZ_EMULATOR.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source-path=SCRIPTDIR source=harness.sh
source "$here/harness.sh"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
skip() {
  echo "SKIP: $*" >&2
  exit 77
}
note() { echo "--- $*" >&2; }
assert_eq() { [ "$1" == "$2" ] || fail "$3: expected [$2], got [$1]"; }
assert_contains() { grep -qF -- "$2" <<<"$1" || fail "$3: expected the text to contain [$2], got [$1]"; }

[ "$(id -u)" -eq 0 ] || skip "the containerd tests need root"
: "${CRI_CLIENT:?}" "${COCOON_BIN:?}" "${CTD_DECODER:?}" "${CDH_BIN:?}" "${COCO_KEYPROVIDER:?}"
: "${KBS_BIN:?}" "${KBS_CLIENT:?}" "${AA_BIN:?}" "${COCOON_AZ_EMULATOR:?}"
for tool in jq openssl skopeo swtpm containerd docker-registry; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed (scripts/install-deps)"
done

KID="kbs:///default/image_key/demo"
RESOURCE="default/image_key/demo"
harness_init
W=$HARNESS_WORK
SECRET_TEXT="hello from cocoon harness"

# ---- pieces ----------------------------------------------------------------------------------

# start_emulator: swtpm + the Azure TDX vTPM emulator; sources its emulator.env (COCOON_AZ_*).
start_emulator() {
  COCOON_AZ_EMULATOR=$COCOON_AZ_EMULATOR "$here/../fixtures/az-tdx-vtpm-emulator/start" \
    "$W/azemu" >/dev/null 2>"$W/azemu-start.err" || {
    cat "$W/azemu-start.err" >&2
    fail "the az-tdx-vtpm emulator did not start"
  }
  _harness_record swtpm "$(cat "$W/azemu/swtpm.pid")" "$W/azemu/swtpm/swtpm.log"
  _harness_record az-emulator "$(cat "$W/azemu/emulator.pid")" "$W/azemu/emulator.log"
  # shellcheck disable=SC1091
  source "$W/azemu/emulator.env"
  mkdir -p "$W/azemu/knobs"
}

# start_kbs [trust-test-root|no-test-root]: the kbs on a free port, resource tree and policy
# under $W; admin API with an Ed25519 key. Sets KBS_URL, KBS_LOG.
start_kbs() {
  local trust=${1:-trust-test-root} vc=""
  openssl genpkey -algorithm ed25519 -out "$W/admin.key" 2>/dev/null
  openssl pkey -in "$W/admin.key" -pubout -out "$W/admin.pub"
  mkdir -p "$W/repository" "$W/policies"
  if [ -n "${COCOON_AZ_COLLATERAL_BUNDLE:-}" ]; then
    vc="[attestation_service.verifier_config.dcap]
collateral = { source = \"offline\", bundle_dir = \"$COCOON_AZ_COLLATERAL_BUNDLE\" }"
    if [ "$trust" = trust-test-root ]; then
      vc="$vc
trusted_test_roots = [\"$COCOON_AZ_TEST_ROOT_CA\"]"
    fi
  fi
  cat >"$W/kbs-config.toml" <<TOML
[http_server]
sockets = ["127.0.0.1:0"]
insecure_http = true

[admin]
insecure_api = false
type = "Simple"
auth_public_key = "$W/admin.pub"

[attestation_token]
insecure_key = true

[attestation_service]
type = "coco_as_builtin"
work_dir = "$W/as"

[attestation_service.attestation_token_broker]
type = "Ear"
policy_dir = "$W/policies"

$vc

[[plugins]]
name = "resource"
type = "LocalFs"
dir_path = "$W/repository"

[policy_engine]
policy_path = "$W/policy.rego"
TOML
  start_daemon kbs "$KBS_BIN" --config-file "$W/kbs-config.toml" --listen-file "$W/kbs.addr"
  KBS_LOG=$DAEMON_LOG
  local i
  for ((i = 0; i < 200; i++)); do
    [ -s "$W/kbs.addr" ] && break
    kill -0 "$DAEMON_PID" 2>/dev/null || harness_die "kbs exited" "$KBS_LOG"
    sleep 0.05
  done
  [ -s "$W/kbs.addr" ] || harness_die "kbs did not listen" "$KBS_LOG"
  KBS_URL="http://$(cat "$W/kbs.addr")"
}

kbs_admin() { "$KBS_CLIENT" --url "$KBS_URL" config --auth-private-key "$W/admin.key" "$@"; }

# The resource policy that releases the image key to an attested az-tdx-vtpm TEE whose TD quote
# the DCAP verifier evaluated UpToDate with current collateral, or to the sample TEE.
write_allow_policy() {
  cat >"$W/allow.rego" <<'REGO'
package policy

import rego.v1

default allow := false

allow if {
	data.plugin == "resource"
	data["resource-path"] == ["default", "image_key", "demo"]
	input.submods.cpu0["ear.veraison.annotated-evidence"]["az-tdx-vtpm"].tcb_status == "UpToDate"
	input.submods.cpu0["ear.veraison.annotated-evidence"]["az-tdx-vtpm"].collateral_expiration_status == "0"
}

allow if {
	data.plugin == "resource"
	data["resource-path"] == ["default", "image_key", "demo"]
	input.submods.cpu0["ear.veraison.annotated-evidence"].sample
}
REGO
}

# upload_key: a fresh 32-byte KEK as the KBS resource, and the allow policy.
upload_key() {
  head -c 32 /dev/urandom >"$W/kek.bin"
  chmod 600 "$W/kek.bin"
  kbs_admin set-resource --path "$RESOURCE" --resource-file "$W/kek.bin" >/dev/null
  write_allow_policy
  kbs_admin set-resource-policy --policy-file "$W/allow.rego" >/dev/null
}

# start_aa TEE: cocoon's attestation-agent on a unix socket under $W. Sets AA_SOCK, AA_LOG.
start_aa() {
  local tee=$1
  {
    echo "[token_configs.kbs]"
    echo "url = \"$KBS_URL\""
    echo "[attester]"
    echo "tee = \"$tee\""
    if [ "$tee" = az-tdx-vtpm ]; then
      echo "tcti = \"$COCOON_AZ_TCTI\""
      echo "imds_url = \"$COCOON_AZ_IMDS_URL\""
      echo "settle_delay_ms = 0"
    fi
    echo "[log]"
    echo "level = \"debug\""
  } >"$W/aa-config.toml"
  AA_SOCK="$W/aa/attestation-agent.sock"
  local initdata=()
  if [ "$tee" = az-tdx-vtpm ]; then
    # Initdata bound at start (PCR 8) and sent to the KBS with the agent's evidence.
    printf 'version = "0.1.0"\nalgorithm = "sha256"\n[data]\n"aa.toml" = "[token_configs]"\n' \
      >"$W/initdata.toml"
    initdata=(-t "$W/initdata.toml")
  fi
  start_daemon aa "$AA_BIN" -c "$W/aa-config.toml" --attestation_sock "unix://$AA_SOCK" "${initdata[@]}"
  AA_LOG=$DAEMON_LOG
  wait_for_socket "$AA_SOCK" 10 "$DAEMON_PID" || harness_die "attestation-agent did not listen" "$AA_LOG"
}

# start_cdh: confidential-data-hub with cc_kbc (the walkthrough's JSON shape). Sets CDH_ADDR.
start_cdh() {
  local port
  port=$(free_port)
  CDH_ADDR="127.0.0.1:$port"
  jq -n --arg s "$CDH_ADDR" --arg u "$KBS_URL" --arg a "unix://$AA_SOCK" \
    '{socket: $s, kbc: {name: "cc_kbc", url: $u}, aa: {aa_socket: $a}}' \
    >"$W/confidential-data-hub.json"
  start_daemon cdh "$CDH_BIN" -c "$W/confidential-data-hub.json"
  CDH_LOG=$DAEMON_LOG
  wait_for_port "$port" 10 "$DAEMON_PID" || harness_die "confidential-data-hub did not listen" "$CDH_LOG"
}

# encrypt_image: busybox image encrypted by cocoon through coco-keyprovider (cmd provider) with
# the KEK and kid; pushed to the registry. Sets REF.
encrypt_and_push() {
  build_busybox_image "$W/oci" app
  jq -n --arg p "$COCO_KEYPROVIDER" \
    '{"key-providers": {"attestation-agent": {"cmd": {"path": $p, "args": ["--cmd"]}}}}' \
    >"$W/enc-keyprovider.conf"
  OCICRYPT_KEYPROVIDER_CONFIG="$W/enc-keyprovider.conf" "$COCOON_BIN" image encrypt -q \
    --encryption-key "provider:attestation-agent:keypath=$W/kek.bin::keyid=$KID" \
    "oci:$W/oci:app" "oci:$W/enc:app"
  REF=$(push_image "oci:$W/enc:app" cocoon/app:enc)
}

# node_up TEE [trust]: everything for one case.
node_up() {
  local tee=$1 trust=${2:-trust-test-root}
  if [ "$tee" = az-tdx-vtpm ]; then start_emulator; fi
  start_kbs "$trust"
  upload_key
  start_aa "$tee"
  start_cdh
  start_registry
  HARNESS_KEYPROVIDER_ADDR=$CDH_ADDR start_containerd "$CTD_DECODER"
  encrypt_and_push
}

metrics() { curl -fsS "$KBS_URL/metrics"; }

# pull_ok: CRI pull, then run the image and read the file from the decrypted layer.
pull_ok() {
  local start end id
  start=$(date +%s%N)
  id=$(cri_client pull "$REF")
  end=$(date +%s%N)
  note "timing: cri pull $(((end - start) / 1000000)) ms"
  [[ "$id" == sha256:* ]] || fail "pull printed [$id], expected an image ID"
  assert_eq "$(ctr_run "$REF" cat /etc/hello.txt)" "$SECRET_TEXT" "file from the decrypted layer"
}

# pull_fails: the CRI pull fails; prints containerd's error. (ctd-decoder keeps its stdout open
# briefly after a failure so that containerd 1.6 reports the decoder's message, not "wrong diff
# id"; a retry here would hide a regression of that.)
pull_fails() {
  local err rc=0
  err=$(timeout 120 "$CRI_CLIENT" --endpoint "$CONTAINERD_ENDPOINT" pull "$REF" 2>&1) || rc=$?
  [ "$rc" -ne 0 ] || fail "pull succeeded"
  if cri_client status "$REF" >/dev/null 2>&1; then fail "image present after a failed pull"; fi
  printf '%s' "$err"
}

no_secret_in_logs() {
  local b64 hex
  b64=$(base64 -w0 <"$W/kek.bin")
  hex=$(od -An -tx1 -v <"$W/kek.bin" | tr -d ' \n')
  for log in "$KBS_LOG" "$AA_LOG" "$CDH_LOG"; do
    if grep -qF -e "$b64" -e "$hex" "$log"; then fail "the KEK appears in $log"; fi
  done
}

# attestation_fails KNOB_OR_MODE REASON_TEXT METRIC_REASON
attestation_fails() {
  local err
  err=$(pull_fails)
  note "containerd: ${err:0:800}"
  assert_contains "$err" "failed to extract layer" "pull error"
  assert_contains "$err" "$2" "containerd's error carries the verifier's reason"
  assert_contains "$(cat "$KBS_LOG")" "$2" "KBS log"
  grep -q "kbs_attestation_failures_total{tee=\"az-tdx-vtpm\",reason=\"$3\"} [1-9]" <<<"$(metrics)" ||
    fail "KBS metrics: no failure with reason $3: $(metrics | grep attestation)"
  if grep -q 'kbs_policy_decisions_total{policy="resource",decision="allow"}' <<<"$(metrics)"; then
    fail "the resource was released"
  fi
}

# ---- cases -----------------------------------------------------------------------------------

# 1. The key is released only after the KBS verified the emulated az-tdx-vtpm evidence.
case_az_tdx_vtpm_attested_cri_pull_runs_container() {
  node_up az-tdx-vtpm
  assert_contains "$(cat "$KBS_LOG")" "trusted_test_roots: trusting the test root CA" "KBS start warning"
  pull_ok
  local log m
  log=$(cat "$KBS_LOG")
  assert_contains "$log" "attestation tee=az-tdx-vtpm status=" "KBS attestation log line"
  m=$(metrics)
  grep -q 'kbs_attestations_total{tee="az-tdx-vtpm",outcome="[a-z]*"} 1' <<<"$m" ||
    fail "metrics: no az-tdx-vtpm attestation: $m"
  assert_contains "$m" 'kbs_policy_decisions_total{policy="resource",decision="allow"} 1' "metrics"
  assert_contains "$(cat "$CDH_LOG")" "UnWrapKey kid $KID: ok" "CDH log line"
  assert_contains "$(cat "$AA_LOG")" "GetEvidence (az-tdx-vtpm, 48 bytes of runtime data): ok" "AA log"
  assert_contains "$(cat "$AA_LOG")" "initdata bound" "AA log"
  no_secret_in_logs
  # kbs-client with the agent's evidence and the initdata the agent bound: the token carries it.
  local token claims err
  token=$("$KBS_CLIENT" --url "$KBS_URL" --aa-socket "unix://$AA_SOCK" attest "$W/initdata.toml")
  claims=$(cut -d. -f2 <<<"$token" | tr '_-' '/+' | base64 -d 2>/dev/null || true)
  [ "$(jq -r '.submods.cpu0["ear.veraison.annotated-evidence"].init_data_claims["aa.toml"].token_configs | type' <<<"$claims")" = object ] ||
    fail "token without the initdata claims: $claims"
  # Other initdata than the agent bound: PCR 8 does not match.
  printf 'algorithm = "sha256"\n[data]\nx = "y"\n' >"$W/other-initdata.toml"
  if err=$("$KBS_CLIENT" --url "$KBS_URL" --aa-socket "unix://$AA_SOCK" attest "$W/other-initdata.toml" 2>&1); then
    fail "attestation with foreign initdata succeeded"
  fi
  assert_contains "$err" "init data mismatch" "kbs-client error"
}

# 2. Attestation blocking: deny -> the pull fails naming the policy denial; restore -> it works.
case_policy_deny_blocks_pull_then_restore_allows_it() {
  node_up az-tdx-vtpm
  kbs_admin set-resource-policy --deny-all >/dev/null
  local err
  err=$(pull_fails)
  note "containerd: ${err:0:800}"
  assert_contains "$err" "failed to extract layer" "pull error"
  assert_contains "$err" "KBS resource policy denied access to $RESOURCE" "containerd's error"
  assert_contains "$err" "PolicyDeny" "containerd's error"
  assert_contains "$(metrics)" 'kbs_policy_decisions_total{policy="resource",decision="deny"}' "metrics"
  kbs_admin set-resource-policy --policy-file "$W/allow.rego" >/dev/null
  pull_ok
}

# 3a. The HCL report's variable data changed after the TD report was made.
case_tampered_hcl_report_fails_with_verifier_reason() {
  node_up az-tdx-vtpm
  touch "$W/azemu/knobs/tamper-hcl"
  attestation_fails tamper-hcl "TDX Quote report data mismatch" hcl_report_mismatch
}

# 3b. The TPM quote was made over another nonce than the KBS challenge binds.
case_tpm_quote_over_wrong_nonce_fails_with_verifier_reason() {
  node_up az-tdx-vtpm
  touch "$W/azemu/knobs/wrong-nonce"
  attestation_fails wrong-nonce "TPM quote nonce mismatch" tpm_nonce_mismatch
}

# 3c. The KBS does not trust the emulator's test root (no trusted_test_roots).
case_td_quote_from_untrusted_root_fails_with_verifier_reason() {
  node_up az-tdx-vtpm no-test-root
  if grep -q "trusting the test root CA" "$KBS_LOG"; then fail "KBS warned about a root it does not trust"; fi
  attestation_fails untrusted "trusted root" untrusted_root
}

# 4. The same flow with the sample TEE, then kbs-client attest / get-resource (sample TEE and
#    with the agent's evidence).
case_sample_tee_attested_pull_and_kbs_client() {
  node_up sample
  pull_ok
  assert_contains "$(cat "$KBS_LOG")" "attestation tee=sample status=" "KBS attestation log line"
  local token got
  token=$("$KBS_CLIENT" --url "$KBS_URL" attest)
  [ "$(tr -cd . <<<"$token" | wc -c)" = 2 ] || fail "attest did not print a JWT: $token"
  got=$("$KBS_CLIENT" --url "$KBS_URL" get-resource --path "$RESOURCE")
  assert_eq "$got" "$(base64 -w0 <"$W/kek.bin")" "kbs-client get-resource (sample TEE)"
  got=$("$KBS_CLIENT" --url "$KBS_URL" --aa-socket "unix://$AA_SOCK" get-resource --path "$RESOURCE")
  assert_eq "$got" "$(base64 -w0 <"$W/kek.bin")" "kbs-client get-resource (agent evidence)"
  no_secret_in_logs
}

case=${1:?usage: attested_pull_test.sh CASE}
declare -F "case_$case" >/dev/null || fail "unknown case $case"
note "case $case (work dir $HARNESS_WORK)"
"case_$case"
note "PASS $case"
