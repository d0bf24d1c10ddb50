#!/usr/bin/env bash
# Decrypting one image with a large layer: `cocoon image decrypt` against
# `skopeo copy --decryption-key` (Go ocicrypt) on the same encrypted image, in the same run; then
# ctd-decoder streaming the encrypted layer as containerd runs it (stdin, stdout, fd-3 payload).
#   image_decrypt_vs_skopeo_bench.sh BUILD_DIR [LAYER_MIB]
set -euo pipefail
BUILD=$(cd "${1:-build/release}" && pwd)
MIB=${2:-512}
COCOON=$BUILD/apps/cocoon
CTD_DECODER=$BUILD/apps/ctd-decoder
WORK=$(mktemp -d "${TMPDIR:-/var/tmp}/cocoon-bench.XXXXXX")
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"

# A one-layer OCI image whose layer is a tar of MIB MiB of random (incompressible) bytes.
mkdir -p src/blobs/sha256 rootfs
head -c $((MIB << 20)) /dev/urandom > rootfs/payload.bin
tar -C rootfs -cf layer.tar payload.bin
rm -rf rootfs
put_blob() {  # put_blob FILE → prints "sha256:<hex> <size>"
  local d
  d=$(sha256sum "$1" | cut -d' ' -f1)
  mv "$1" "src/blobs/sha256/$d"
  echo "sha256:$d $(stat -c %s "src/blobs/sha256/$d")"
}
read -r layer_digest layer_size < <(put_blob layer.tar)
printf '{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":["%s"]},"config":{}}' \
  "$layer_digest" > config.json
read -r config_digest config_size < <(put_blob config.json)
printf '{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json","config":{"mediaType":"application/vnd.oci.image.config.v1+json","digest":"%s","size":%s},"layers":[{"mediaType":"application/vnd.oci.image.layer.v1.tar","digest":"%s","size":%s}]}' \
  "$config_digest" "$config_size" "$layer_digest" "$layer_size" > manifest.json
read -r man_digest man_size < <(put_blob manifest.json)
printf '{"imageLayoutVersion":"1.0.0"}' > src/oci-layout
printf '{"schemaVersion":2,"manifests":[{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"%s","size":%s,"annotations":{"org.opencontainers.image.ref.name":"big"}}]}' \
  "$man_digest" "$man_size" > src/index.json

openssl genrsa -out rsa.pem 2048 2>/dev/null
openssl rsa -in rsa.pem -pubout -out rsa_pub.pem 2>/dev/null
"$COCOON" image encrypt -q --encryption-key jwe:rsa_pub.pem oci:src:big oci:enc:big
sync

now() { date +%s.%N; }
t0=$(now)
"$COCOON" image decrypt -q --decryption-key rsa.pem oci:enc:big oci:dec_cocoon:big
t1=$(now)
skopeo --insecure-policy copy -q --decryption-key rsa.pem oci:enc:big oci:dec_skopeo:big
t2=$(now)

man() { jq -r '.manifests[0].digest' "$1/index.json"; }
cocoon_layer=$(jq -r '.layers[0].digest' "dec_cocoon/blobs/$(man dec_cocoon | tr : /)")
skopeo_layer=$(jq -r '.layers[0].digest' "dec_skopeo/blobs/$(man dec_skopeo | tr : /)")
[ "$cocoon_layer" == "$layer_digest" ] || { echo "cocoon output differs" >&2; exit 1; }
[ "$skopeo_layer" == "$layer_digest" ] || { echo "skopeo output differs" >&2; exit 1; }

# ctd-decoder: the fd-3 payload is a protobuf Any (field 1 type URL, field 2 JSON value) holding
# the decrypt config (keys come from --decryption-keys-path) and the layer descriptor.
ctd=
if [ -x "$CTD_DECODER" ]; then
  mkdir -p keys
  cp rsa.pem keys/
  enc_layer=$(jq -c '.layers[0]' "enc/blobs/$(man enc | tr : /)")
  printf '{"DecryptConfig":{"Parameters":{}},"Descriptor":%s}' "$enc_layer" >payload.json
  varint() {
    local n=$1 out=""
    while [ "$n" -ge 128 ]; do
      out+=$(printf '\\x%02x' $(((n & 127) | 128)))
      n=$((n >> 7))
    done
    out+=$(printf '\\x%02x' "$n")
    printf '%s' "$out"
  }
  url="io.containerd.ocicrypt.v1.Payload"
  {
    printf "\\x0a$(varint ${#url})%s" "$url"
    printf "\\x12$(varint "$(stat -c %s payload.json)")"
    cat payload.json
  } >payload.bin
  enc_blob="enc/blobs/$(jq -r .digest <<<"$enc_layer" | tr : /)"
  cat "$enc_blob" >/dev/null
  t3=$(now)
  STREAM_PROCESSOR_MEDIATYPE=$(jq -r .mediaType <<<"$enc_layer") \
    "$CTD_DECODER" --decryption-keys-path keys <"$enc_blob" 3<payload.bin | openssl dgst -sha256 -r >ctd.sha
  t4=$(now)
  [ "$(cut -d' ' -f1 ctd.sha)" == "${layer_digest#sha256:}" ] || {
    echo "ctd-decoder output differs" >&2
    exit 1
  }
  ctd=$(echo "$t4 - $t3" | bc)
fi

awk -v mib="$MIB" -v a="$(echo "$t1 - $t0" | bc)" -v b="$(echo "$t2 - $t1" | bc)" -v c="$ctd" 'BEGIN {
  printf "layer %d MiB, decrypt to an OCI layout on disk (wall clock, includes digesting and writing)\n", mib
  printf "  cocoon image decrypt     %6.2f s  %7.1f MiB/s\n", a, mib / a
  printf "  skopeo copy (Go)         %6.2f s  %7.1f MiB/s\n", b, mib / b
  printf "  speed-up                 %6.1fx\n", b / a
  if (c != "") printf "ctd-decoder stdin -> stdout (| openssl dgst), the containerd path: %6.2f s  %7.1f MiB/s\n", c, mib / c
}'
