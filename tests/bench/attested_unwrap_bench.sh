#!/usr/bin/env bash
# UnWrapKey-at-CDH to key-returned latency with cc_kbc (tests/bench/attested_unwrap.cc), against
# the built kbs and attestation-agent on loopback: az-tdx-vtpm through the swtpm-based emulator,
# then the sample TEE; each with a cold token (an RCAR handshake per call) and a cached token.
#   tests/bench/attested_unwrap_bench.sh [BUILD_DIR] [ITERATIONS]
# Targets: kbs kbs-client attestation-agent az-tdx-vtpm-emulator attested_unwrap. Figures only.
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
ROOT=$(cd "$HERE/../.." && pwd)
BUILD=$(cd "${1:-$ROOT/build/release}" && pwd)
N=${2:-20}
for t in apps/kbs apps/kbs-client apps/attestation-agent tests/bench/attested_unwrap \
  tests/fixtures/az-tdx-vtpm-emulator/az-tdx-vtpm-emulator; do
  [ -x "$BUILD/$t" ] || { echo "attested_unwrap_bench: $BUILD/$t not built; skipping" >&2; exit 0; }
done
command -v swtpm >/dev/null || { echo "attested_unwrap_bench: swtpm missing; skipping" >&2; exit 0; }

W=$(mktemp -d /tmp/attested_bench.XXXXXX)
PIDS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill "$pid" 2>/dev/null || true; wait "$pid" 2>/dev/null || true; done
  "$ROOT/tests/fixtures/az-tdx-vtpm-emulator/stop" "$W/azemu" >/dev/null 2>&1 || true
  rm -rf "$W"
}
trap cleanup EXIT

COCOON_AZ_EMULATOR="$BUILD/tests/fixtures/az-tdx-vtpm-emulator/az-tdx-vtpm-emulator" \
  "$ROOT/tests/fixtures/az-tdx-vtpm-emulator/start" "$W/azemu" >/dev/null
# shellcheck disable=SC1091
source "$W/azemu/emulator.env"

openssl genpkey -algorithm ed25519 -out "$W/admin.key" 2>/dev/null
openssl pkey -in "$W/admin.key" -pubout -out "$W/admin.pub"
mkdir -p "$W/repository"
cat >"$W/kbs.toml" <<TOML
[http_server]
sockets = ["127.0.0.1:0"]
insecure_http = true
[admin]
type = "Simple"
auth_public_key = "$W/admin.pub"
[attestation_token]
insecure_key = true
[attestation_service]
type = "coco_as_builtin"
[attestation_service.verifier_config.dcap]
collateral = { source = "offline", bundle_dir = "$COCOON_AZ_COLLATERAL_BUNDLE" }
trusted_test_roots = ["$COCOON_AZ_TEST_ROOT_CA"]
[[plugins]]
name = "resource"
type = "LocalFs"
dir_path = "$W/repository"
[policy_engine]
policy_path = "$W/policy.rego"
TOML
"$BUILD/apps/kbs" --config-file "$W/kbs.toml" --listen-file "$W/kbs.addr" --log-level warn \
  >"$W/kbs.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do [ -s "$W/kbs.addr" ] && break; sleep 0.05; done
URL="http://$(cat "$W/kbs.addr")"
head -c 32 /dev/urandom >"$W/kek"
ADMIN=("$BUILD/apps/kbs-client" --url "$URL" config --auth-private-key "$W/admin.key")
"${ADMIN[@]}" set-resource --path default/image_key/bench --resource-file "$W/kek" >/dev/null
"${ADMIN[@]}" set-resource-policy --allow-all >/dev/null

run() { # TEE
  local tee=$1 sock="$W/aa-$1.sock" pid
  {
    echo "[attester]"
    echo "tee = \"$tee\""
    echo "tcti = \"$COCOON_AZ_TCTI\""
    echo "imds_url = \"$COCOON_AZ_IMDS_URL\""
    echo "settle_delay_ms = 0"
    echo "[log]"
    echo "level = \"warn\""
  } >"$W/aa-$tee.toml"
  "$BUILD/apps/attestation-agent" -c "$W/aa-$tee.toml" -a "unix://$sock" >"$W/aa-$tee.log" 2>&1 &
  pid=$!
  PIDS+=("$pid")
  for _ in $(seq 200); do [ -S "$sock" ] && break; sleep 0.05; done
  "$BUILD/tests/bench/attested_unwrap" --kbs "$URL" --aa "unix://$sock" --kek "$W/kek" \
    --kid kbs:///default/image_key/bench --iterations "$N" --label "$tee"
  kill "$pid"
  wait "$pid" 2>/dev/null || true
}
echo "build: $BUILD ($(grep -m1 CMAKE_BUILD_TYPE: "$BUILD/CMakeCache.txt" 2>/dev/null | cut -d= -f2))"
run az-tdx-vtpm
run sample
