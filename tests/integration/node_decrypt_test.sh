#!/usr/bin/env bash
# Node-side decryption end to end with the real components (walkthrough §6.4, "offline" mode):
# docker-registry, containerd 1.6 (+runc) with cocoon's ctd-decoder as stream processor and CRI
# key_model "node", confidential-data-hub with offline_fs_kbc, coco-keyprovider for encryption.
#   node_decrypt_test.sh CASE
# Every case gets its own harness (registry, containerd root, CDH): containerd skips decryption
# for layers it has already unpacked, so no case may reuse another's state.
# Needs root, CRI_CLIENT, COCOON_BIN, CTD_DECODER, CDH_BIN, COCO_KEYPROVIDER.
set -euo pipefail
# shellcheck source-path=SCRIPTDIR source=harness.sh
source "$(dirname "$0")/harness.sh"

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
note() { echo "--- $*" >&2; }
assert_eq() { [ "$1" == "$2" ] || fail "$3: expected [$2], got [$1]"; }
assert_contains() { grep -qF -- "$2" <<<"$1" || fail "$3: expected the text to contain [$2], got [$1]"; }

[ "$(id -u)" -eq 0 ] || fail "the containerd tests need root"
: "${CRI_CLIENT:?CRI_CLIENT must point at the cri-client binary}"
: "${COCOON_BIN:?}" "${CTD_DECODER:?}" "${CDH_BIN:?}" "${COCO_KEYPROVIDER:?}"
harness_need jq openssl skopeo

KID="kbs:///default/image_key/demo"
harness_init
W=$HARNESS_WORK
SECRET_TEXT="hello from cocoon harness"

# timed LABEL CMD...: runs CMD and records how long it took in $W/timings (printed at the end).
timed() {
  local label=$1 start end
  shift
  start=$(date +%s%N)
  "$@"
  end=$(date +%s%N)
  echo "$label $(((end - start) / 1000000)) ms" >>"$W/timings"
}
report_timings() { [ -f "$W/timings" ] && sed 's/^/--- timing: /' "$W/timings" >&2 || true; }

# A 32-byte KEK and the offline_fs_kbc resources file that holds it under the kid (or not).
make_kek() {
  head -c 32 /dev/urandom >"$W/kek.bin"
  chmod 600 "$W/kek.bin"
}
write_resources() { # write_resources with-key|without-key
  local b64
  b64=$(base64 -w0 <"$W/kek.bin")
  if [ "$1" = with-key ]; then
    jq -n --arg v "$b64" '{"default/image_key/demo": $v}' >"$W/resources.json"
  else
    jq -n --arg v "$b64" '{"default/image_key/other": $v}' >"$W/resources.json"
  fi
  chmod 600 "$W/resources.json"
}

# start_cdh: confidential-data-hub with offline_fs_kbc on a free loopback port, config in the
# walkthrough's JSON shape plus cocoon's path extensions. Sets CDH_ADDR.
start_cdh() {
  local port
  port=$(free_port)
  CDH_ADDR="127.0.0.1:$port"
  jq -n --arg s "$CDH_ADDR" --arg r "$W/resources.json" --arg k "$W/no-keys-file.json" \
    --arg t "unix://$W/cdh/cdh.sock" \
    '{socket: $s, ttrpc_socket: $t,
      kbc: {name: "offline_fs_kbc", url: "", offline_fs_resources_file: $r,
            offline_fs_keys_file: $k}}' >"$W/confidential-data-hub.json"
  start_daemon cdh "$CDH_BIN" -c "$W/confidential-data-hub.json"
  CDH_LOG=$DAEMON_LOG
  wait_for_port "$port" 10 "$DAEMON_PID" || harness_die "confidential-data-hub did not listen" "$DAEMON_LOG"
}

# encrypt_image MODE: builds the busybox image and encrypts it with cocoon through coco-keyprovider
# (MODE grpc: the daemon; cmd: the binary as ocicrypt `cmd` provider, no daemon). Prints nothing.
encrypt_image() {
  local mode=$1
  build_busybox_image "$W/oci" app
  if [ "$mode" = grpc ]; then
    local port
    port=$(free_port)
    start_daemon coco-keyprovider "$COCO_KEYPROVIDER" --socket "127.0.0.1:$port"
    wait_for_port "$port" 10 "$DAEMON_PID" || harness_die "coco-keyprovider did not listen" "$DAEMON_LOG"
    write_keyprovider_conf "$W/enc-keyprovider.conf" "attestation-agent=127.0.0.1:$port"
  else
    jq -n --arg p "$COCO_KEYPROVIDER" \
      '{"key-providers": {"attestation-agent": {"cmd": {"path": $p, "args": ["--cmd"]}}}}' \
      >"$W/enc-keyprovider.conf"
  fi
  OCICRYPT_KEYPROVIDER_CONFIG="$W/enc-keyprovider.conf" timed "encrypt($mode)" \
    "$COCOON_BIN" image encrypt -q \
    --encryption-key "provider:attestation-agent:keypath=$W/kek.bin::keyid=$KID" \
    "oci:$W/oci:app" "oci:$W/enc:app"
  local types
  types=$(jq -r '.manifests[0].digest' "$W/enc/index.json")
  types=$(jq -r '.layers[].mediaType' "$W/enc/blobs/${types/://}")
  assert_eq "$types" "$HARNESS_MT_TGZ_ENC" "encrypted layer media type"
}

# The manifest's layer annotation carries the packet with our kid.
check_packet() {
  local m ann
  m=$(jq -r '.manifests[0].digest' "$W/enc/index.json")
  ann=$(jq -r '.layers[0].annotations["org.opencontainers.image.enc.keys.provider.attestation-agent"]' \
    "$W/enc/blobs/${m/://}")
  assert_eq "$(base64 -d <<<"$ann" | jq -r .kid)" "$KID" "annotation packet kid"
  assert_eq "$(base64 -d <<<"$ann" | jq -r .wrap_type)" "A256GCM" "annotation packet wrap_type"
}

committed_snapshots() { ctr_cmd snapshots ls 2>/dev/null | awk 'NR > 1 && $3 == "Committed"' | wc -l; }

# ---------------------------------------------------------------------------------------------

# Encrypt with cocoon + coco-keyprovider (gRPC), push with skopeo, CRI pull through containerd
# with ctd-decoder asking the confidential-data-hub (offline_fs_kbc), run with ctr.
case_cri_pull_decrypts_through_cdh_and_ctr_runs_it() {
  make_kek
  write_resources with-key
  start_registry
  start_cdh
  HARNESS_KEYPROVIDER_ADDR=$CDH_ADDR start_containerd "$CTD_DECODER"
  encrypt_image grpc
  check_packet
  local ref id
  ref=$(push_image "oci:$W/enc:app" cocoon/app:enc)
  timed "cri-pull" cri_client pull "$ref" >"$W/pull.out"
  id=$(cat "$W/pull.out")
  [[ "$id" == sha256:* ]] || fail "pull printed [$id], expected an image ID"
  assert_eq "$(ctr_run "$ref" cat /etc/hello.txt)" "$SECRET_TEXT" "file from the decrypted layer"
  assert_contains "$(cat "$CDH_LOG")" "UnWrapKey kid $KID: ok" "CDH log line"
  if grep -q "$(base64 -w0 <"$W/kek.bin")" "$CDH_LOG"; then fail "the KEK appears in the CDH log"; fi
  report_timings
}

# The same without any keyprovider daemon at encryption time: coco-keyprovider as a `cmd`
# provider. The kid is missing from the KBC: the pull fails and containerd's error names the kid.
case_key_absent_from_kbc_fails_pull_naming_kid() {
  make_kek
  write_resources without-key
  start_registry
  start_cdh
  HARNESS_KEYPROVIDER_ADDR=$CDH_ADDR start_containerd "$CTD_DECODER"
  encrypt_image cmd
  local ref err rc=0
  ref=$(push_image "oci:$W/enc:app" cocoon/app:enc)
  err=$(cri_client pull "$ref" 2>&1) || rc=$?
  [ "$rc" -ne 0 ] || fail "pull succeeded without the key"
  assert_contains "$err" "failed to extract layer" "pull error"
  assert_contains "$err" "kid $KID" "pull error names the kid"
  assert_contains "$err" "resource not found default/image_key/demo" "pull error says why"
  if cri_client status "$ref" >/dev/null 2>&1; then fail "image present after a failed pull"; fi
  assert_eq "$(committed_snapshots)" 0 "committed snapshots after a failed pull"
  assert_contains "$(cat "$CDH_LOG")" "UnWrapKey kid $KID: failed" "CDH log line"
}

# No confidential-data-hub listening where ocicrypt_keyprovider.conf points.
case_cdh_not_running_fails_pull_clearly() {
  make_kek
  start_registry
  local port
  port=$(free_port)
  HARNESS_KEYPROVIDER_ADDR="127.0.0.1:$port" start_containerd "$CTD_DECODER"
  encrypt_image cmd
  local ref err rc=0
  ref=$(push_image "oci:$W/enc:app" cocoon/app:enc)
  err=$(timeout 120 "$CRI_CLIENT" --endpoint "$CONTAINERD_ENDPOINT" pull "$ref" 2>&1) || rc=$?
  [ "$rc" -ne 0 ] || fail "pull succeeded without a CDH"
  assert_contains "$err" "keyprovider attestation-agent UnWrapKey" "pull error names the provider"
  assert_contains "$err" "127.0.0.1:$port" "pull error names the address"
  assert_contains "$err" "confidential-data-hub - running" "pull error says what to check"
  if cri_client status "$ref" >/dev/null 2>&1; then fail "image present after a failed pull"; fi
}

# A registry-side attacker flips one ciphertext byte and fixes up the digests: the layer HMAC
# fails, the pull fails and nothing is unpacked.
case_tampered_layer_fails_pull_and_nothing_is_unpacked() {
  make_kek
  write_resources with-key
  start_registry
  start_cdh
  HARNESS_KEYPROVIDER_ADDR=$CDH_ADDR start_containerd "$CTD_DECODER"
  encrypt_image cmd
  local idx m layer blob new_hex new_m new_m_hex
  idx="$W/enc/index.json"
  m=$(jq -r '.manifests[0].digest' "$idx")
  layer=$(jq -r '.layers[0].digest' "$W/enc/blobs/${m/://}")
  blob="$W/enc/blobs/${layer/://}"
  cp "$blob" "$W/tampered"
  printf '\xff' | dd of="$W/tampered" bs=1 seek=2000 conv=notrunc status=none
  new_hex=$(sha256sum "$W/tampered" | cut -d' ' -f1)
  mv "$W/tampered" "$W/enc/blobs/sha256/$new_hex"
  jq -c --arg d "sha256:$new_hex" '.layers[0].digest = $d' "$W/enc/blobs/${m/://}" >"$W/m.json"
  new_m_hex=$(sha256sum "$W/m.json" | cut -d' ' -f1)
  mv "$W/m.json" "$W/enc/blobs/sha256/$new_m_hex"
  new_m="sha256:$new_m_hex"
  jq --arg d "$new_m" --argjson s "$(stat -c %s "$W/enc/blobs/sha256/$new_m_hex")" \
    '.manifests[0].digest = $d | .manifests[0].size = $s' "$idx" >"$W/idx.json"
  mv "$W/idx.json" "$idx"
  local ref err rc=0
  ref=$(push_image "oci:$W/enc:app" cocoon/app:tampered)
  err=$(cri_client pull "$ref" 2>&1) || rc=$?
  [ "$rc" -ne 0 ] || fail "pull of a tampered layer succeeded"
  assert_contains "$err" "HMAC mismatch" "pull error"
  if cri_client status "$ref" >/dev/null 2>&1; then fail "image present after a failed pull"; fi
  assert_eq "$(committed_snapshots)" 0 "committed snapshots after a failed pull"
}

# The node key model without a keyprovider: skopeo encrypts with a JWE recipient, the node's
# private key sits in the decoder's keys directory.
case_skopeo_jwe_image_decrypts_with_keys_dir() {
  start_registry
  mkdir -p "$W/node-keys"
  openssl genrsa -out "$W/node-keys/node.pem" 2048 2>/dev/null
  openssl rsa -in "$W/node-keys/node.pem" -pubout -out "$W/node_pub.pem" 2>/dev/null
  start_containerd "$CTD_DECODER" "$W/node-keys"
  build_busybox_image "$W/oci" app
  local ref
  ref=$(push_image "oci:$W/oci:app" cocoon/app:jwe --encryption-key "jwe:$W/node_pub.pem")
  assert_eq "$(registry_manifest cocoon/app:jwe | jq -r '.layers[0].mediaType')" \
    "$HARNESS_MT_TGZ_ENC" "pushed media type"
  timed "cri-pull(jwe)" cri_client pull "$ref" >/dev/null
  assert_eq "$(ctr_run "$ref" cat /etc/hello.txt)" "$SECRET_TEXT" "file from the decrypted layer"
  report_timings
}

# --verify-before-release through containerd: the decoder checks the MAC before releasing a byte.
case_verify_before_release_mode_through_containerd() {
  make_kek
  write_resources with-key
  start_registry
  start_cdh
  printf '#!/bin/sh\nexec "%s" --verify-before-release "$@"\n' "$CTD_DECODER" >"$W/ctd-decoder-vbr"
  chmod +x "$W/ctd-decoder-vbr"
  HARNESS_KEYPROVIDER_ADDR=$CDH_ADDR start_containerd "$W/ctd-decoder-vbr"
  encrypt_image cmd
  local ref
  ref=$(push_image "oci:$W/enc:app" cocoon/app:enc)
  timed "cri-pull(verify-before-release)" cri_client pull "$ref" >/dev/null
  assert_eq "$(ctr_run "$ref" cat /etc/hello.txt)" "$SECRET_TEXT" "file from the decrypted layer"
  report_timings
}

case=${1:?usage: node_decrypt_test.sh CASE}
declare -F "case_$case" >/dev/null || fail "unknown case $case"
note "case $case (work dir $HARNESS_WORK)"
"case_$case"
note "PASS $case"
