# Shared helpers for the integration tests: a scratch directory per case, image building with
# umoci + busybox-static, and assertions that print what was expected.
set -euo pipefail

: "${COCOON_BIN:?COCOON_BIN must point at the cocoon binary}"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/cocoon-it.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

fail() { echo "FAIL: $*" >&2; exit 1; }
note() { echo "--- $*" >&2; }

need() {
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || fail "$tool is not installed (run scripts/install-deps)"
  done
}

# build_image LAYOUT TAG [EXTRA_LAYERS]: a busybox image with /etc/hello.txt, plus N more layers
# each adding /data/layerK.bin (256 KiB of random bytes).
build_image() {
  local layout=$1 tag=$2 extra=${3:-0}
  need umoci
  umoci init --layout "$layout" >/dev/null 2>&1 || true
  umoci new --image "$layout:$tag"
  umoci unpack $([ "$(id -u)" -eq 0 ] || echo --rootless) --image "$layout:$tag" bundle >/dev/null
  mkdir -p bundle/rootfs/bin bundle/rootfs/etc bundle/rootfs/data
  cp /bin/busybox bundle/rootfs/bin/busybox
  for a in sh ls cat echo sleep; do ln -sf busybox "bundle/rootfs/bin/$a"; done
  echo "hello from encrypted image" > bundle/rootfs/etc/hello.txt
  umoci repack --image "$layout:$tag" bundle >/dev/null
  local k
  for ((k = 1; k <= extra; k++)); do
    # umoci adds a layer per repack only from a freshly unpacked bundle.
    rm -rf bundle
    umoci unpack $([ "$(id -u)" -eq 0 ] || echo --rootless) --image "$layout:$tag" bundle >/dev/null
    mkdir -p bundle/rootfs/data
    head -c 262144 /dev/urandom > "bundle/rootfs/data/layer$k.bin"
    umoci repack --image "$layout:$tag" bundle >/dev/null
  done
  umoci config --image "$layout:$tag" --config.cmd /bin/cat --config.cmd /etc/hello.txt \
    --config.env PATH=/bin >/dev/null
  umoci gc --layout "$layout"
  rm -rf bundle
}

# manifest_of LAYOUT TAG: prints the manifest JSON of TAG.
manifest_of() {
  local layout=$1 tag=$2
  local digest
  digest=$(jq -r --arg t "$tag" \
    '.manifests[] | select(.annotations["org.opencontainers.image.ref.name"] == $t) | .digest' \
    "$layout/index.json")
  [ -n "$digest" ] || fail "no manifest tagged $tag in $layout"
  cat "$layout/blobs/${digest/://}"
}

# layer_digests LAYOUT TAG: one layer digest per line.
layer_digests() { manifest_of "$1" "$2" | jq -r '.layers[].digest'; }
layer_types() { manifest_of "$1" "$2" | jq -r '.layers[].mediaType'; }

assert_eq() {
  [ "$1" == "$2" ] || fail "$3: expected [$2], got [$1]"
}

assert_contains() {
  grep -qF -- "$2" <<<"$1" || fail "$3: expected the text to contain [$2], got [$1]"
}

# expect_failure OUTVAR CMD...: runs CMD, requires a non-zero exit, stores stderr in OUTVAR.
expect_failure() {
  local __var=$1
  shift
  local __out __rc=0
  __out=$("$@" 2>&1 >/dev/null) || __rc=$?
  [ "$__rc" -ne 0 ] || fail "expected failure from: $*"
  printf -v "$__var" '%s' "$__out"
}
