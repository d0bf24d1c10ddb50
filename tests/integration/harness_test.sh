#!/usr/bin/env bash
# Checks the real-component harness (harness.sh) against the real containerd 1.6, runc and
# docker-registry, with stand-in stream processors written as shell scripts:
#   harness_test.sh CASE
# ctest registers every case as it.<case> (harness.cmake). Needs CRI_CLIENT (the cri-client
# binary) and root.
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
assert_not_contains() { ! grep -qF -- "$2" <<<"$1" || fail "$3: did not expect [$2] in [$1]"; }

[ "$(id -u)" -eq 0 ] || fail "the containerd harness tests need root"
: "${CRI_CLIENT:?CRI_CLIENT must point at the cri-client binary}"
harness_need jq od

harness_init
CAPTURE="$HARNESS_WORK/capture"
mkdir -p "$CAPTURE"

STANDIN_ERROR="stand-in decoder: no key for this layer"

# A stand-in stream processor. It records its argv, environment and the fd-3 payload (or that
# fd 3 was closed) under $CAPTURE_DIR, reading fd 3 before stdin as a real decoder must. Then,
# with CAPTURE_MODE=fail, it drains stdin and fails with STANDIN_ERROR on stderr; otherwise it
# copies stdin to stdout unchanged (so a plain layer relabelled as encrypted unpacks).
write_standin() {
  local path="$HARNESS_WORK/standin-decoder"
  cat >"$path" <<EOF
#!/bin/sh
set -eu
n=\$\$
printf '%s\n' "\$0" "\$@" >"\$CAPTURE_DIR/argv.\$n"
env >"\$CAPTURE_DIR/env.\$n"
if [ -e /proc/\$\$/fd/3 ]; then
  readlink /proc/\$\$/fd/3 >"\$CAPTURE_DIR/fd3.\$n"
  cat <&3 >"\$CAPTURE_DIR/payload.\$n"
else
  echo closed >"\$CAPTURE_DIR/nofd3.\$n"
fi
if [ "\${CAPTURE_MODE:-pass}" = fail ]; then
  cat >/dev/null
  echo "$STANDIN_ERROR" >&2
  exit 1
fi
exec cat
EOF
  chmod +x "$path"
  echo "$path"
}

count_files() { find "$CAPTURE" -name "$1.*" | wc -l; }
one_file() {
  local files
  files=$(find "$CAPTURE" -name "$1.*")
  if [ -z "$files" ] || [ "$(wc -l <<<"$files")" != 1 ]; then
    fail "expected one $1.* capture, got [$files]"
  fi
  echo "$files"
}

# payload_value FILE: checks that FILE is a protobuf google.protobuf.Any with type URL
# io.containerd.ocicrypt.v1.Payload (field 1) and prints its value (field 2).
payload_value() {
  local file=$1 url="io.containerd.ocicrypt.v1.Payload"
  local -a b
  read -r -a b <<<"$(od -An -v -tu1 -N 48 "$file" | tr -s ' \n' '  ')"
  assert_eq "${b[0]}" 10 "Any field 1 tag"
  assert_eq "${b[1]}" "${#url}" "Any type_url length"
  assert_eq "$(head -c $((2 + ${#url})) "$file" | tail -c "${#url}")" "$url" "Any type_url"
  local pos=$((2 + ${#url}))
  assert_eq "${b[$pos]}" 18 "Any field 2 tag"
  local len=0 shift_bits=0 byte
  while :; do
    pos=$((pos + 1))
    byte=${b[$pos]}
    len=$((len | (byte & 127) << shift_bits))
    shift_bits=$((shift_bits + 7))
    [ "$byte" -ge 128 ] || break
  done
  local total
  total=$(stat -c %s "$file")
  assert_eq "$((total - pos - 1))" "$len" "Any value length"
  tail -c "$len" "$file"
}

# A plain one-layer image in the registry under cocoon/app:plain; prints the reference.
push_app_image() {
  build_busybox_image "$HARNESS_WORK/oci" app >&2
  push_image "oci:$HARNESS_WORK/oci:app" cocoon/app:plain
}

FAKE_ANNOTATIONS='{"org.opencontainers.image.enc.keys.jwe":"ZmFrZQ==","org.opencontainers.image.enc.pubopts":"e30="}'

# ---------------------------------------------------------------------------------------------

# A plain image pulled through CRI never reaches a stream processor; ctr runs it.
case_containerd_pulls_plain_image_through_cri_and_runs_it() {
  start_registry
  start_containerd "$(write_standin)" "CAPTURE_DIR=$CAPTURE"
  local ref id
  ref=$(push_app_image)
  id=$(cri_client pull "$ref")
  [[ "$id" == sha256:* ]] || fail "pull printed [$id], expected an image ID"
  assert_eq "$(cri_client status "$ref")" "$id" "ImageStatus ID"
  assert_contains "$(cri_client list)" "$ref" "ListImages"
  assert_eq "$(ctr_run "$ref")" "hello from cocoon harness" "image cmd output"
  assert_eq "$(ctr_run "$ref" cat /etc/hello.txt)" "hello from cocoon harness" "ctr_run output"
  assert_eq "$(count_files argv)" 0 "stream processor runs for a plain image"
  cri_client rm "$ref"
  local err
  if err=$(cri_client status "$ref" 2>&1); then fail "image still present after rm"; fi
  assert_contains "$err" "is not present" "status after rm"
}

# The CRI pod life cycle works here (host network, restrict_oom_score_adj): container output
# from the log, the exit code, and ExecSync.
case_cri_pod_runs_command_and_exec() {
  start_registry
  start_containerd "$(write_standin)" "CAPTURE_DIR=$CAPTURE"
  local ref out rc=0
  ref=$(push_app_image)
  assert_eq "$(cri_run "$ref" -- cat /etc/hello.txt)" "hello from cocoon harness" "pod output"
  # shellcheck disable=SC2016 # $GREETING is expanded inside the container
  out=$(cri_run --env GREETING=hi "$ref" -- sh -c 'echo "$GREETING"; echo oops >&2; exit 7' \
    2>"$HARNESS_WORK/stderr") || rc=$?
  assert_eq "$out" "hi" "pod stdout"
  assert_eq "$rc" 7 "pod exit code"
  assert_contains "$(cat "$HARNESS_WORK/stderr")" "oops" "pod stderr"
  rc=0
  out=$(cri_run --exec "$ref" -- sh -c 'cat /etc/hello.txt; exit 3') || rc=$?
  assert_eq "$out" "hello from cocoon harness" "ExecSync stdout"
  assert_eq "$rc" 3 "ExecSync exit code"
  assert_eq "$(ctr_cmd containers ls -q)" "" "containers left after cri_run"
}

# CRI PullImage (key_model "node") gives the processor registered for tar+gzip+encrypted the
# ocicrypt payload on fd 3, with its configured args and env; a failing processor fails the pull
# and its stderr is in the error containerd returns.
case_cri_pull_passes_payload_on_fd3_and_surfaces_processor_error() {
  start_registry
  mkdir -p "$HARNESS_WORK/node-keys"
  start_containerd "$(write_standin)" "CAPTURE_DIR=$CAPTURE" CAPTURE_MODE=fail \
    "$HARNESS_WORK/node-keys"
  local ref layer_digest layer_size err rc=0
  ref=$(push_app_image)
  retype_layers cocoon/app:plain cocoon/app:enc "$HARNESS_MT_TGZ_ENC" "$FAKE_ANNOTATIONS"
  layer_digest=$(registry_manifest cocoon/app:enc | jq -r '.layers[0].digest')
  layer_size=$(registry_manifest cocoon/app:enc | jq -r '.layers[0].size')

  err=$(cri_client pull "$REGISTRY_ADDR/cocoon/app:enc" 2>&1) || rc=$?
  assert_eq "$rc" 1 "cri-client exit code for a failed pull"
  assert_contains "$err" "rpc error: code = Unknown desc = failed to pull and unpack image" \
    "pull error"
  assert_contains "$err" "failed to extract layer" "pull error"
  assert_contains "$err" "$STANDIN_ERROR" "processor stderr in the pull error"

  local json argv envf
  json=$(payload_value "$(one_file payload)")
  assert_eq "$(count_files nofd3)" 0 "processor runs without fd 3"
  assert_contains "$(cat "$(one_file fd3)")" "pipe:" "fd 3 of the processor"
  assert_eq "$(jq -r '.DecryptConfig | has("Parameters")' <<<"$json")" true "DecryptConfig"
  assert_eq "$(jq -r '.DecryptConfig.Parameters' <<<"$json")" null "DecryptConfig.Parameters"
  assert_eq "$(jq -r '.Descriptor.mediaType' <<<"$json")" "$HARNESS_MT_TGZ_ENC" "mediaType"
  assert_eq "$(jq -r '.Descriptor.digest' <<<"$json")" "$layer_digest" "digest"
  assert_eq "$(jq -r '.Descriptor.size' <<<"$json")" "$layer_size" "size"
  assert_eq "$(jq -c '.Descriptor.annotations' <<<"$json")" "$(jq -c . <<<"$FAKE_ANNOTATIONS")" \
    "annotations"

  argv=$(cat "$(one_file argv)")
  assert_eq "$argv" "$(printf '%s\n' "$HARNESS_WORK/standin-decoder" --decryption-keys-path \
    "$HARNESS_WORK/node-keys")" "processor argv"
  envf=$(cat "$(one_file env)")
  assert_contains "$envf" "STREAM_PROCESSOR_MEDIATYPE=$HARNESS_MT_TGZ_ENC" "processor env"
  assert_contains "$envf" "OCICRYPT_KEYPROVIDER_CONFIG=$CONTAINERD_DIR/ocicrypt_keyprovider.conf" \
    "processor env"
  assert_contains "$envf" "CAPTURE_MODE=fail" "processor env"
  assert_eq "$(jq -c . "$CONTAINERD_DIR/ocicrypt_keyprovider.conf")" '{"key-providers":{}}' \
    "default keyprovider config"
}

# A plain containerd client (ctr pull) sends no payload: fd 3 is closed in the processor. This is
# the case behind ctd-decoder's "read payload: read configFd: bad file descriptor".
case_ctr_pull_gives_processor_no_payload() {
  start_registry
  start_containerd "$(write_standin)" "CAPTURE_DIR=$CAPTURE" CAPTURE_MODE=fail
  local err
  push_app_image >/dev/null
  retype_layers cocoon/app:plain cocoon/app:enc "$HARNESS_MT_TGZ_ENC" "$FAKE_ANNOTATIONS"
  if err=$(ctr_pull "$REGISTRY_ADDR/cocoon/app:enc" 2>&1); then fail "ctr pull succeeded"; fi
  assert_contains "$err" "$STANDIN_ERROR" "ctr pull error"
  assert_eq "$(count_files nofd3)" 1 "processor runs without fd 3"
  assert_eq "$(count_files payload)" 0 "payload files"
}

# The processor's stdout is what containerd unpacks: a pass-through stand-in turns a plain gzip
# layer labelled tar+gzip+encrypted into a runnable image.
case_processor_output_is_unpacked_for_encrypted_media_type() {
  start_registry
  start_containerd "$(write_standin)" "CAPTURE_DIR=$CAPTURE"
  push_app_image >/dev/null
  retype_layers cocoon/app:plain cocoon/app:enc "$HARNESS_MT_TGZ_ENC" "$FAKE_ANNOTATIONS"
  local ref="$REGISTRY_ADDR/cocoon/app:enc"
  cri_client pull "$ref" >/dev/null
  assert_eq "$(count_files payload)" 1 "processor runs with a payload"
  assert_eq "$(ctr_run "$ref" cat /etc/hello.txt)" "hello from cocoon harness" "ctr_run output"
}

# ocicrypt.md 4.1: a zstd encrypted layer must be routed to the ...v1.tar.gzip processor (the only
# ones CRI sends payloads to); containerd detects zstd in the processor's output by magic.
case_zstd_encrypted_layer_reaches_gzip_processor_with_payload() {
  if ! command -v zstd >/dev/null; then
    note "SKIP: zstd is not installed"
    exit 77
  fi
  start_registry
  start_containerd "$(write_standin)" "CAPTURE_DIR=$CAPTURE"
  push_app_image >/dev/null
  local manifest gz digest size loc
  manifest=$(registry_manifest cocoon/app:plain)
  gz=$(jq -r '.layers[0].digest' <<<"$manifest")
  curl -sf "http://$REGISTRY_ADDR/v2/cocoon/app/blobs/$gz" | gzip -d | zstd -q -c >"$HARNESS_WORK/layer.zst"
  digest="sha256:$(sha256sum "$HARNESS_WORK/layer.zst" | cut -d' ' -f1)"
  size=$(stat -c %s "$HARNESS_WORK/layer.zst")
  loc=$(curl -sf -X POST -D - -o /dev/null "http://$REGISTRY_ADDR/v2/cocoon/app/blobs/uploads/" |
    tr -d '\r' | sed -n 's/^[Ll]ocation: //p')
  [ -n "$loc" ] || fail "no upload location from the registry"
  case "$loc" in http*) ;; *) loc="http://$REGISTRY_ADDR$loc" ;; esac
  curl -sf -X PUT -H 'Content-Type: application/octet-stream' --data-binary "@$HARNESS_WORK/layer.zst" \
    "$loc&digest=$digest" >/dev/null || fail "blob upload failed"
  jq -c --arg d "$digest" --argjson s "$size" --arg mt "$HARNESS_MT_ZSTD_ENC" \
    --argjson ann "$FAKE_ANNOTATIONS" \
    '.layers[0] |= (.digest = $d | .size = $s | .mediaType = $mt | .annotations = $ann)' \
    <<<"$manifest" >"$HARNESS_WORK/zstd-manifest.json"
  registry_put_manifest cocoon/app:zstd-enc "$HARNESS_WORK/zstd-manifest.json"

  local ref="$REGISTRY_ADDR/cocoon/app:zstd-enc"
  cri_client pull "$ref" >/dev/null
  local json
  json=$(payload_value "$(one_file payload)")
  assert_eq "$(jq -r '.Descriptor.mediaType' <<<"$json")" "$HARNESS_MT_ZSTD_ENC" "mediaType"
  assert_eq "$(jq -r '.Descriptor.digest' <<<"$json")" "$digest" "digest"
  assert_contains "$(cat "$(one_file env)")" "STREAM_PROCESSOR_MEDIATYPE=$HARNESS_MT_ZSTD_ENC" \
    "processor env"
  assert_eq "$(ctr_run "$ref" cat /etc/hello.txt)" "hello from cocoon harness" "ctr_run output"
}

# The operator snippet in deploy/containerd parses as containerd 1.6 configuration and sets what
# docs/containerd.md promises; the key-provider config names the CDH's address.
case_deploy_snippet_is_accepted_by_containerd() {
  local deploy="$HARNESS_DIR_SELF/../../deploy/containerd" dump
  dump=$(containerd --config "$deploy/config.toml.snippet" config dump 2>&1) ||
    fail "containerd rejects config.toml.snippet: $dump"
  local gz='[stream_processors."io.containerd.ocicrypt.decoder.v1.tar.gzip"]'
  local tar='[stream_processors."io.containerd.ocicrypt.decoder.v1.tar"]'
  assert_contains "$dump" 'key_model = "node"' "image_decryption"
  assert_contains "$dump" "$gz" "tar.gzip processor"
  assert_contains "$dump" "$tar" "tar processor"
  assert_contains "$(grep -F -A1 "$gz" <<<"$dump")" \
    "accepts = [\"$HARNESS_MT_TGZ_ENC\", \"$HARNESS_MT_ZSTD_ENC\"]" "tar.gzip accepts"
  assert_contains "$(grep -F -A1 "$tar" <<<"$dump")" "accepts = [\"$HARNESS_MT_TAR_ENC\"]" \
    "tar accepts"
  assert_eq "$(jq -r '."key-providers"."attestation-agent".grpc' "$deploy/ocicrypt_keyprovider.conf")" \
    "127.0.0.1:50000" "attestation-agent provider"
}

# harness_cleanup stops the daemons by PID, kills leftover containers and their shims, unmounts
# and removes the work directory.
case_harness_cleanup_stops_daemons_and_containers() {
  local inner="$HARNESS_WORK/inner" standin
  standin=$(write_standin)
  mkdir -p "$inner"
  # A child shell with its own harness; it leaves a container running on purpose.
  HARNESS_WORK="" bash -c '
    set -euo pipefail
    source "$1"
    harness_init "$2/work"
    start_registry
    start_containerd "$3" "CAPTURE_DIR=$4"
    build_busybox_image "$HARNESS_WORK/oci" app
    ref=$(push_image "oci:$HARNESS_WORK/oci:app" cocoon/app:plain)
    ctr_pull "$ref"
    ctr_cmd run -d --runc-root "$CONTAINERD_RUNC_ROOT" --fifo-dir "$CONTAINERD_DIR/fifo" "$ref" \
      sleeper sleep 600 >/dev/null
    echo "$REGISTRY_PID $CONTAINERD_PID $CONTAINERD_SOCK" >"$2/pids"
    ctr_cmd tasks ls -q >"$2/tasks"
  ' inner "$HARNESS_DIR_SELF/harness.sh" "$inner" "$standin" "$CAPTURE"
  assert_eq "$(cat "$inner/tasks")" "sleeper" "running task before clean-up"
  local registry_pid containerd_pid sock
  read -r registry_pid containerd_pid sock <"$inner/pids"
  ! kill -0 "$registry_pid" 2>/dev/null || fail "registry $registry_pid still runs"
  ! kill -0 "$containerd_pid" 2>/dev/null || fail "containerd $containerd_pid still runs"
  [ ! -e "$inner/work" ] || fail "work directory $inner/work was not removed"
  local d
  for d in /proc/[0-9]*; do
    if tr '\0' ' ' 2>/dev/null <"$d/cmdline" | grep -qF -- "$sock"; then
      fail "process ${d#/proc/} still refers to $sock: $(tr '\0' ' ' <"$d/cmdline")"
    fi
  done
  assert_eq "$(grep -c " $inner/" /proc/self/mountinfo || true)" 0 "mounts left under $inner"
}

HARNESS_DIR_SELF=$(cd "$(dirname "$0")" && pwd)
case=${1:?usage: harness_test.sh CASE}
declare -F "case_$case" >/dev/null || fail "unknown case $case"
note "case $case (work dir $HARNESS_WORK)"
"case_$case"
note "PASS $case"
