# shellcheck shell=bash
# Real-component harness for cocoon's end-to-end tests and the demo: a private docker-registry and
# a private containerd (CRI plugin, stream processors) on loopback, each in its own directory under
# one work directory, stopped by PID and cleaned up when the sourcing shell exits.
#
#   source tests/integration/harness.sh
#   harness_init [WORK_DIR]                  # default: a fresh mktemp directory; call it first
#   start_registry                           # -> REGISTRY_ADDR=127.0.0.1:PORT
#   start_containerd DECODER_PATH [NAME=VALUE ...] [KEYS_DIR]
#                                            # -> CONTAINERD_SOCK, CONTAINERD_ENDPOINT, ...
#   build_busybox_image "$HARNESS_WORK/oci" app
#   ref=$(push_image "oci:$HARNESS_WORK/oci:app" cocoon/app:v1)   # 127.0.0.1:PORT/cocoon/app:v1
#   cri_client pull "$ref"                   # CRI pull (payload on fd 3 for stream processors)
#   out=$(ctr_run "$ref" cat /etc/hello.txt)
#
# Functions (each documented where it is defined):
#   set-up        harness_init, harness_cleanup (the EXIT trap), harness_die, harness_need
#   daemons       start_registry, start_containerd, start_daemon NAME CMD...,
#                 wait_for_port PORT [TIMEOUT] [PID], wait_for_socket PATH [TIMEOUT] [PID],
#                 free_port, write_keyprovider_conf, containerd_trust_registry
#   images        build_busybox_image, push_image, push_pause_image, registry_manifest,
#                 registry_put_manifest, retype_layers
#   running       cri_client ARGS..., cri_run [--exec] IMAGE [-- CMD...], ctr_cmd ARGS...,
#                 ctr_pull IMAGE, ctr_run IMAGE [CMD...]
#
# Everything runs as root (as CI does). Nothing uses a fixed global path or port: sockets, runc
# state and FIFOs live under the work directory and ports are probed. The one exception is
# containerd 1.6 itself: shim sockets always go to /run/containerd/s/<hash of our socket path>,
# which the shims remove when their task is deleted.
#
# Settings (environment, all optional):
#   CRI_CLIENT                      cri-client binary (set by ctest) for cri_client/cri_run
#   HARNESS_KEEP=1                  keep the work directory after exit
#   HARNESS_QUIET=1                 do not print daemon log tails when the shell exits non-zero
#   HARNESS_SNAPSHOTTER             overlayfs (default) or native
#   HARNESS_CONTAINERD_LOG_LEVEL    debug (default), info, ...
#   HARNESS_KEYPROVIDER_ADDR        grpc address for the default ocicrypt_keyprovider.conf's
#                                   "attestation-agent" provider (none by default)
#   CONTAINERD_SANDBOX_IMAGE        pause image for CRI pods (default: pushed by push_pause_image)

set -euo pipefail

# Encrypted layer media types (ocicrypt).
HARNESS_MT_TAR_ENC="application/vnd.oci.image.layer.v1.tar+encrypted"
HARNESS_MT_TGZ_ENC="application/vnd.oci.image.layer.v1.tar+gzip+encrypted"
HARNESS_MT_ZSTD_ENC="application/vnd.oci.image.layer.v1.tar+zstd+encrypted"

HARNESS_WORK=${HARNESS_WORK:-}
HARNESS_PIDS=()          # "name pid log" per started daemon, in start order
HARNESS_PREV_EXIT_TRAP=""
HARNESS_LOGS_SHOWN=0
HARNESS_OWNER_PID=""

# ---- diagnostics ------------------------------------------------------------------------------

harness_log() { echo "harness: $*" >&2; }

# harness_die MESSAGE [LOG_FILE...]: prints MESSAGE and the last lines of each log, then exits 1.
harness_die() {
  local msg=$1
  shift
  echo "harness: ERROR: $msg" >&2
  local log
  for log in "$@"; do
    if [ -f "$log" ]; then
      echo "----- last 40 lines of $log -----" >&2
      tail -n 40 "$log" >&2
      echo "-----" >&2
      HARNESS_LOGS_SHOWN=1
    fi
  done
  exit 1
}

harness_need() {
  local tool
  for tool in "$@"; do
    command -v "$tool" >/dev/null 2>&1 || harness_die "$tool is not installed (run scripts/install-deps)"
  done
}

# ---- set-up and clean-up ----------------------------------------------------------------------

_harness_trap_body() { printf '%s' "${3:-}"; }

# harness_init [WORK_DIR]: creates the work directory and installs the exit trap. An EXIT trap
# the caller set earlier (for example lib.sh's) still runs, after the harness clean-up.
harness_init() {
  if [ -n "${1:-}" ]; then
    HARNESS_WORK=$1
    mkdir -p "$HARNESS_WORK"
  elif [ -z "$HARNESS_WORK" ]; then
    HARNESS_WORK=$(mktemp -d "${TMPDIR:-/tmp}/cocoon-harness.XXXXXX")
  fi
  HARNESS_WORK=$(cd "$HARNESS_WORK" && pwd)
  local prev
  prev=$(trap -p EXIT)
  if [ -n "$prev" ] && [[ "$prev" != *harness_cleanup* ]]; then
    HARNESS_PREV_EXIT_TRAP=$(eval "_harness_trap_body $prev")
  fi
  HARNESS_OWNER_PID=$BASHPID
  trap harness_cleanup EXIT
  trap 'exit 130' INT
  trap 'exit 143' TERM
}

_harness_require_init() {
  if [ -z "$HARNESS_WORK" ]; then
    # Initialising inside $(...) would lose the state (and the clean-up) with the subshell.
    [ "$BASH_SUBSHELL" = 0 ] || harness_die "call harness_init before using the harness in \$(...)"
    harness_init ""
  fi
}

# _harness_stop_pid PID [GRACE_SECONDS]: SIGTERM, then SIGKILL after the grace period.
_harness_stop_pid() {
  local pid=$1 grace=${2:-5} i
  kill -0 "$pid" 2>/dev/null || return 0
  kill -TERM "$pid" 2>/dev/null || true
  for ((i = 0; i < grace * 20; i++)); do
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  if kill -0 "$pid" 2>/dev/null; then
    kill -KILL "$pid" 2>/dev/null || true
  fi
  wait "$pid" 2>/dev/null || true
}

# Kills (SIGKILL) and deletes every container a harness containerd still has, so that no runc
# process, shim or rootfs mount outlives the test.
_harness_reap_containers() {
  local sock=$1 ns id
  [ -S "$sock" ] || return 0
  for ns in $(ctr -a "$sock" namespaces ls -q 2>/dev/null); do
    for id in $(ctr -a "$sock" -n "$ns" tasks ls -q 2>/dev/null); do
      timeout 10 ctr -a "$sock" -n "$ns" tasks kill -a -s SIGKILL "$id" >/dev/null 2>&1 || true
      timeout 10 ctr -a "$sock" -n "$ns" tasks delete -f "$id" >/dev/null 2>&1 || true
    done
    for id in $(ctr -a "$sock" -n "$ns" containers ls -q 2>/dev/null); do
      timeout 10 ctr -a "$sock" -n "$ns" containers delete "$id" >/dev/null 2>&1 || true
    done
  done
}

# Shims of a killed containerd outlive it; they are ours when their command line names our socket.
# (Clean-up code avoids pipelines: bash 5.2 misreports reaped pipeline members in EXIT traps.)
_harness_kill_orphan_shims() {
  local sock=$1 dir
  local -a argv
  for dir in /proc/[0-9]*; do
    mapfile -d '' -t argv 2>/dev/null <"$dir/cmdline" || continue
    if [[ " ${argv[*]} " == *" -address $sock "* ]]; then
      kill -KILL "${dir#/proc/}" 2>/dev/null || true
    fi
  done
}

_harness_unmount_below() {
  local root=$1 mnt i
  local -a mounts=()
  # mountinfo lists mounts in mount order, field 5 being the mount point; unmount in reverse.
  while read -r _ _ _ _ mnt _; do
    if [ "$mnt" = "$root" ] || [[ "$mnt" == "$root"/* ]]; then mounts+=("$mnt"); fi
  done </proc/self/mountinfo
  for ((i = ${#mounts[@]} - 1; i >= 0; i--)); do
    umount -l "${mounts[$i]}" 2>/dev/null || true
  done
}

# harness_cleanup: stops every daemon this shell started (by PID, newest first), removes their
# containers and mounts, and deletes the work directory unless HARNESS_KEEP=1. Installed as the
# EXIT trap by harness_init; calling it twice is harmless.
harness_cleanup() {
  local rc=$? errexit=0
  # Only the shell that called harness_init cleans up: a daemon's subshell that receives SIGTERM
  # before it has exec'd would otherwise run this trap too.
  if [ "$BASHPID" != "${HARNESS_OWNER_PID:-}" ]; then return "$rc"; fi
  if [[ $- == *e* ]]; then errexit=1; fi
  set +e
  local i entry name pid log
  if [ "$rc" -ne 0 ] && [ "${HARNESS_QUIET:-0}" != 1 ] && [ "$HARNESS_LOGS_SHOWN" = 0 ]; then
    for entry in "${HARNESS_PIDS[@]}"; do
      read -r name pid log <<<"$entry"
      if [ -f "$log" ]; then
        echo "----- $name log (last 25 lines): $log -----" >&2
        tail -n 25 "$log" >&2
      fi
    done
  fi
  for ((i = ${#HARNESS_PIDS[@]} - 1; i >= 0; i--)); do
    read -r name pid log <<<"${HARNESS_PIDS[$i]}"
    if [ "$name" = containerd ]; then
      _harness_reap_containers "$(dirname "$log")/containerd.sock"
      _harness_stop_pid "$pid" 5
      _harness_kill_orphan_shims "$(dirname "$log")/containerd.sock"
    else
      _harness_stop_pid "$pid" 5
    fi
  done
  HARNESS_PIDS=()
  if [ -n "$HARNESS_WORK" ] && [ -d "$HARNESS_WORK" ]; then
    _harness_unmount_below "$HARNESS_WORK"
    if [ "${HARNESS_KEEP:-0}" = 1 ]; then
      harness_log "keeping $HARNESS_WORK"
    else
      rm -rf "$HARNESS_WORK"
    fi
  fi
  if [ -n "$HARNESS_PREV_EXIT_TRAP" ]; then
    eval "$HARNESS_PREV_EXIT_TRAP"
    HARNESS_PREV_EXIT_TRAP=""
  fi
  if [ "$errexit" = 1 ]; then set -e; fi
  return "$rc"
}

_harness_record() { HARNESS_PIDS+=("$1 $2 $3"); }

# _harness_daemon_prelude: run first in a daemon's subshell: drops the harness traps and closes
# inherited descriptors.
_harness_daemon_prelude() {
  trap - EXIT INT TERM
  _harness_close_fds
}

# _harness_close_fds: closes every descriptor above 2 in the current (sub)shell. Daemons must not
# inherit stray descriptors: ctest, for one, leaks its log file as fd 3, and containerd passes
# inherited descriptors on to stream processors, where a stray fd 3 would pose as the payload.
_harness_close_fds() {
  local fd n
  for fd in /proc/"$BASHPID"/fd/*; do
    n=${fd##*/}
    if [ "$n" -gt 2 ] 2>/dev/null; then eval "exec $n>&-" 2>/dev/null || true; fi
  done
}

# ---- waiting ----------------------------------------------------------------------------------

# wait_for_socket PATH [TIMEOUT_SECONDS=10] [PID]: waits until PATH is a unix socket; fails early
# if PID (the daemon that should create it) exits.
wait_for_socket() {
  local path=$1 timeout_s=${2:-10} pid=${3:-} i
  for ((i = 0; i < timeout_s * 100; i++)); do
    [ -S "$path" ] && return 0
    if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then return 1; fi
    sleep 0.01
  done
  return 1
}

# _harness_port_owner PORT: the PID listening on 127.0.0.1:PORT, if any.
_harness_port_owner() {
  ss -Htlnp "sport = :$1" 2>/dev/null | grep -o 'pid=[0-9]*' | head -n 1 | cut -d= -f2
}

# wait_for_port PORT [TIMEOUT_SECONDS=10] [PID]: waits until something listens on 127.0.0.1:PORT;
# with PID, until that process does (so a stranger on a colliding port does not count), and fails
# early if PID exits.
wait_for_port() {
  local port=$1 timeout_s=${2:-10} pid=${3:-} i owner
  for ((i = 0; i < timeout_s * 100; i++)); do
    if [ -n "$pid" ]; then
      kill -0 "$pid" 2>/dev/null || return 1
      owner=$(_harness_port_owner "$port")
      [ "$owner" = "$pid" ] && return 0
    elif (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null; then
      return 0
    fi
    sleep 0.01
  done
  return 1
}

# free_port: prints a TCP port on 127.0.0.1 that nothing listens on right now. Callers still
# handle a lost race (start_registry retries with another port).
free_port() {
  # Below the kernel's ephemeral range, so no outgoing connection can hold the port between this
  # check and the daemon's bind; any socket on the port (not only listeners) disqualifies it.
  local port i lo
  lo=$(cut -f1 /proc/sys/net/ipv4/ip_local_port_range 2>/dev/null || echo 32768)
  [ "$lo" -gt 12000 ] || lo=32768
  for ((i = 0; i < 100; i++)); do
    port=$((10000 + (RANDOM * 32768 + RANDOM) % (lo - 10000)))
    if [ -z "$(ss -Htan "sport = :$port" 2>/dev/null)" ]; then
      echo "$port"
      return 0
    fi
  done
  harness_die "no free port found"
}

# ---- any daemon -------------------------------------------------------------------------------

# start_daemon NAME CMD [ARG...]: starts CMD in the background in its own directory
# $HARNESS_WORK/NAME (its cwd), logging to $HARNESS_WORK/NAME/NAME.log, without inherited
# descriptors; harness_cleanup stops it by PID. Sets DAEMON_PID, DAEMON_DIR and DAEMON_LOG. Wait
# for it with wait_for_port PORT 10 "$DAEMON_PID" or wait_for_socket PATH 10 "$DAEMON_PID", and
# call harness_die with "$DAEMON_LOG" if that fails.
start_daemon() {
  _harness_require_init
  local name=$1
  shift
  DAEMON_DIR="$HARNESS_WORK/$name"
  DAEMON_LOG="$DAEMON_DIR/$name.log"
  mkdir -p "$DAEMON_DIR"
  (_harness_daemon_prelude && cd "$DAEMON_DIR" && exec "$@") >"$DAEMON_LOG" 2>&1 </dev/null &
  DAEMON_PID=$!
  _harness_record "$name" "$DAEMON_PID" "$DAEMON_LOG"
}

# ---- registry ---------------------------------------------------------------------------------

# start_registry: a docker-registry with its own config (the packaged one enables htpasswd auth)
# on a free loopback port. Sets REGISTRY_ADDR (127.0.0.1:PORT), REGISTRY_PORT, REGISTRY_PID,
# REGISTRY_DIR, REGISTRY_LOG. If containerd is already running it is told to use plain HTTP.
start_registry() {
  _harness_require_init
  harness_need docker-registry ss curl
  local dir="$HARNESS_WORK/registry" attempt port pid
  mkdir -p "$dir/data"
  for attempt in 1 2 3 4 5; do
    port=$(free_port)
    cat >"$dir/config.yml" <<EOF
version: 0.1
log:
  level: info
  accesslog:
    disabled: true
storage:
  filesystem:
    rootdirectory: $dir/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$port
  secret: cocoon-harness-$port
EOF
    (_harness_daemon_prelude && exec docker-registry serve "$dir/config.yml") >"$dir/registry.log" 2>&1 &
    pid=$!
    if wait_for_port "$port" 10 "$pid"; then
      _harness_record registry "$pid" "$dir/registry.log"
      REGISTRY_PORT=$port
      REGISTRY_ADDR="127.0.0.1:$port"
      REGISTRY_PID=$pid
      REGISTRY_DIR=$dir
      REGISTRY_LOG="$dir/registry.log"
      export REGISTRY_ADDR REGISTRY_PORT REGISTRY_PID REGISTRY_DIR REGISTRY_LOG
      curl -sf --max-time 5 "http://$REGISTRY_ADDR/v2/" >/dev/null ||
        harness_die "registry on $REGISTRY_ADDR does not answer /v2/" "$REGISTRY_LOG"
      if [ -n "${CONTAINERD_DIR:-}" ]; then containerd_trust_registry "$REGISTRY_ADDR"; fi
      return 0
    fi
    _harness_stop_pid "$pid" 1
    if ! grep -q 'address already in use' "$dir/registry.log"; then
      harness_die "docker-registry did not come up on 127.0.0.1:$port (attempt $attempt)" \
        "$dir/registry.log"
    fi
    harness_log "port $port was taken, retrying"
  done
  harness_die "docker-registry could not bind a free port" "$dir/registry.log"
}

# ---- images -----------------------------------------------------------------------------------

# build_busybox_image LAYOUT TAG [CMD ARG...]: an OCI image (one tar+gzip layer with busybox-static
# and /etc/hello.txt = "hello from cocoon harness") in the local layout LAYOUT under TAG; CMD is
# the image's cmd (default: cat /etc/hello.txt). Built offline with umoci.
build_busybox_image() {
  _harness_require_init
  harness_need umoci busybox
  local layout=$1 tag=$2
  shift 2
  local -a cmd=("$@")
  if [ ${#cmd[@]} -eq 0 ]; then cmd=(/bin/cat /etc/hello.txt); fi
  local bundle
  bundle=$(mktemp -d "$HARNESS_WORK/bundle.XXXXXX")
  rmdir "$bundle"
  [ -f "$layout/index.json" ] || umoci init --layout "$layout" >/dev/null
  umoci new --image "$layout:$tag" >/dev/null
  umoci unpack --image "$layout:$tag" "$bundle" >/dev/null
  mkdir -p "$bundle/rootfs/bin" "$bundle/rootfs/etc" "$bundle/rootfs/tmp"
  cp "$(command -v busybox)" "$bundle/rootfs/bin/busybox"
  local applet
  for applet in sh ls cat echo sleep id env true false head wc; do
    ln -sf busybox "$bundle/rootfs/bin/$applet"
  done
  echo "hello from cocoon harness" >"$bundle/rootfs/etc/hello.txt"
  umoci repack --image "$layout:$tag" "$bundle" >/dev/null
  local -a cfg=(--config.env PATH=/bin)
  local arg
  for arg in "${cmd[@]}"; do cfg+=(--config.cmd "$arg"); done
  umoci config --image "$layout:$tag" "${cfg[@]}" >/dev/null
  umoci gc --layout "$layout"
  rm -rf "$bundle"
}

# push_image SRC NAME[:TAG] [SKOPEO_COPY_ARGS...]: copies SRC (any skopeo source, e.g.
# oci:LAYOUT:TAG) to the harness registry and prints the pushed reference
# (127.0.0.1:PORT/NAME:TAG). Extra arguments go to `skopeo copy` (e.g. --encryption-key ...).
push_image() {
  harness_need skopeo
  [ -n "${REGISTRY_ADDR:-}" ] || harness_die "push_image: start_registry first"
  local src=$1 name=$2
  shift 2
  local dest="$REGISTRY_ADDR/$name"
  timeout 120 skopeo --insecure-policy copy -q --dest-tls-verify=false "$@" "$src" \
    "docker://$dest" >&2 || harness_die "skopeo copy $src -> docker://$dest failed"
  echo "$dest"
}

# push_pause_image: pushes the CRI sandbox ("pause") image that start_containerd configures,
# $REGISTRY_ADDR/cocoon/pause:latest (busybox running sleep), once per work directory.
push_pause_image() {
  _harness_require_init
  [ -f "$HARNESS_WORK/.pause-pushed" ] && return 0
  local layout="$HARNESS_WORK/pause-oci"
  build_busybox_image "$layout" pause /bin/sleep 2147483647
  push_image "oci:$layout:pause" cocoon/pause:latest >/dev/null
  touch "$HARNESS_WORK/.pause-pushed"
}

# ---- containerd -------------------------------------------------------------------------------

# write_keyprovider_conf FILE [NAME=GRPC_ADDR ...]: an ocicrypt_keyprovider.conf with one gRPC
# key provider per argument, e.g. attestation-agent=127.0.0.1:50000.
write_keyprovider_conf() {
  local file=$1
  shift
  local json='{"key-providers":{}}' kv
  for kv in "$@"; do
    json=$(jq -c --arg n "${kv%%=*}" --arg a "${kv#*=}" '."key-providers"[$n] = {"grpc": $a}' \
      <<<"$json")
  done
  jq . <<<"$json" >"$file"
}

# containerd_trust_registry ADDR: lets containerd's CRI pull from ADDR over plain HTTP.
containerd_trust_registry() {
  local addr=$1
  mkdir -p "$CONTAINERD_DIR/certs.d/$addr"
  cat >"$CONTAINERD_DIR/certs.d/$addr/hosts.toml" <<EOF
server = "http://$addr"

[host."http://$addr"]
  capabilities = ["pull", "resolve"]
  skip_verify = true
EOF
}

_toml_str() {
  local s=$1
  s=${s//\\/\\\\}
  s=${s//\"/\\\"}
  printf '"%s"' "$s"
}

# start_containerd DECODER_PATH [NAME=VALUE ...] [KEYS_DIR]
#
# Starts a private containerd with the CRI plugin (key_model "node", so CRI pulls hand the
# ocicrypt payload to the processor on fd 3) and the two stream processors containerd's CRI sends
# payloads to, io.containerd.ocicrypt.decoder.v1.tar and ...v1.tar.gzip, both running
# DECODER_PATH --decryption-keys-path KEYS_DIR. The tar.gzip processor also accepts the zstd
# encrypted media type (a ...v1.tar.zstd processor would never get a payload).
#
# NAME=VALUE arguments are added to the processors' environment. OCICRYPT_KEYPROVIDER_CONFIG
# defaults to $CONTAINERD_DIR/ocicrypt_keyprovider.conf (providers from HARNESS_KEYPROVIDER_ADDR,
# else none). KEYS_DIR (also accepted as `--keys DIR`) defaults to an empty $CONTAINERD_DIR/keys.
#
# Sets CONTAINERD_DIR, CONTAINERD_SOCK, CONTAINERD_ENDPOINT (unix://...), CONTAINERD_PID,
# CONTAINERD_LOG, CONTAINERD_CONFIG, CONTAINERD_KEYS_DIR, CONTAINERD_RUNC_ROOT and exports
# CONTAINER_RUNTIME_ENDPOINT for cri-client.
start_containerd() {
  _harness_require_init
  harness_need containerd ctr runc jq
  [ $# -ge 1 ] || harness_die "usage: start_containerd DECODER_PATH [NAME=VALUE ...] [KEYS_DIR]"
  local decoder=$1
  shift
  [ -x "$decoder" ] || harness_die "start_containerd: decoder $decoder is not an executable file"
  case "$decoder" in /*) ;; *) decoder="$(cd "$(dirname "$decoder")" && pwd)/$(basename "$decoder")" ;; esac

  local dir="$HARNESS_WORK/containerd"
  [ -e "$dir" ] && harness_die "start_containerd: $dir exists (one containerd per work directory)"
  mkdir -p "$dir"/{root,state,opt,cni,certs.d,runc,fifo,logs}
  local keys="" arg
  local -a env=()
  while [ $# -gt 0 ]; do
    arg=$1
    shift
    case "$arg" in
      --keys) keys=$1; shift ;;
      *=*) env+=("$arg") ;;
      *) keys=$arg ;;
    esac
  done
  if [ -z "$keys" ]; then
    keys="$dir/keys"
    mkdir -p "$keys"
  fi
  local has_kp_conf=0
  for arg in "${env[@]}"; do
    case "$arg" in OCICRYPT_KEYPROVIDER_CONFIG=*) has_kp_conf=1 ;; esac
  done
  if [ "$has_kp_conf" = 0 ]; then
    if [ -n "${HARNESS_KEYPROVIDER_ADDR:-}" ]; then
      write_keyprovider_conf "$dir/ocicrypt_keyprovider.conf" \
        "attestation-agent=$HARNESS_KEYPROVIDER_ADDR"
    else
      write_keyprovider_conf "$dir/ocicrypt_keyprovider.conf"
    fi
    env=("OCICRYPT_KEYPROVIDER_CONFIG=$dir/ocicrypt_keyprovider.conf" "${env[@]}")
  fi

  local sandbox_image=${CONTAINERD_SANDBOX_IMAGE:-}
  if [ -z "$sandbox_image" ]; then
    sandbox_image="${REGISTRY_ADDR:-127.0.0.1:1}/cocoon/pause:latest"
  fi
  local env_toml="" sep=""
  for arg in "${env[@]}"; do
    env_toml+="$sep$(_toml_str "$arg")"
    sep=", "
  done
  local args_toml
  args_toml="[\"--decryption-keys-path\", $(_toml_str "$keys")]"

  cat >"$dir/config.toml" <<EOF
# Written by tests/integration/harness.sh for one test; see deploy/containerd/ for the
# production snippet.
version = 2
root = "$dir/root"
state = "$dir/state"
# Plugins this harness never uses; leaving them out keeps start-up well under a second.
disabled_plugins = [
  "io.containerd.snapshotter.v1.aufs",
  "io.containerd.snapshotter.v1.btrfs",
  "io.containerd.snapshotter.v1.zfs",
  "io.containerd.snapshotter.v1.devmapper",
  "io.containerd.tracing.processor.v1.otlp",
  "io.containerd.internal.v1.tracing",
]

[grpc]
  address = "$dir/containerd.sock"

[ttrpc]
  address = "$dir/containerd.sock.ttrpc"

[debug]
  level = "${HARNESS_CONTAINERD_LOG_LEVEL:-debug}"

[plugins]
  [plugins."io.containerd.internal.v1.opt"]
    path = "$dir/opt"
  [plugins."io.containerd.grpc.v1.cri"]
    sandbox_image = "$sandbox_image"
    disable_tcp_service = true
    stream_server_address = "127.0.0.1"
    stream_server_port = "0"
    # Root lacks CAP_SYS_RESOURCE here; without this runc cannot set the sandbox's oom_score_adj.
    restrict_oom_score_adj = true
    enable_selinux = false
    [plugins."io.containerd.grpc.v1.cri".containerd]
      snapshotter = "${HARNESS_SNAPSHOTTER:-overlayfs}"
      default_runtime_name = "runc"
      [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]
        runtime_type = "io.containerd.runc.v2"
        [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]
          Root = "$dir/runc"
    [plugins."io.containerd.grpc.v1.cri".cni]
      bin_dir = "/usr/lib/cni"
      conf_dir = "$dir/cni"
    [plugins."io.containerd.grpc.v1.cri".image_decryption]
      key_model = "node"
    [plugins."io.containerd.grpc.v1.cri".registry]
      config_path = "$dir/certs.d"

[stream_processors]
  [stream_processors."io.containerd.ocicrypt.decoder.v1.tar.gzip"]
    accepts = ["$HARNESS_MT_TGZ_ENC", "$HARNESS_MT_ZSTD_ENC"]
    returns = "application/vnd.oci.image.layer.v1.tar+gzip"
    path = $(_toml_str "$decoder")
    args = $args_toml
    env = [$env_toml]
  [stream_processors."io.containerd.ocicrypt.decoder.v1.tar"]
    accepts = ["$HARNESS_MT_TAR_ENC"]
    returns = "application/vnd.oci.image.layer.v1.tar"
    path = $(_toml_str "$decoder")
    args = $args_toml
    env = [$env_toml]
EOF

  CONTAINERD_DIR=$dir
  CONTAINERD_SOCK="$dir/containerd.sock"
  CONTAINERD_ENDPOINT="unix://$CONTAINERD_SOCK"
  CONTAINERD_LOG="$dir/containerd.log"
  CONTAINERD_CONFIG="$dir/config.toml"
  CONTAINERD_KEYS_DIR=$keys
  CONTAINERD_RUNC_ROOT="$dir/runc"
  CONTAINER_RUNTIME_ENDPOINT=$CONTAINERD_ENDPOINT
  export CONTAINERD_DIR CONTAINERD_SOCK CONTAINERD_ENDPOINT CONTAINERD_LOG CONTAINERD_CONFIG \
    CONTAINERD_KEYS_DIR CONTAINERD_RUNC_ROOT CONTAINER_RUNTIME_ENDPOINT
  if [ -n "${REGISTRY_ADDR:-}" ]; then containerd_trust_registry "$REGISTRY_ADDR"; fi

  # cwd = the containerd directory: stream processors inherit it.
  (_harness_daemon_prelude && cd "$dir" && exec containerd --config "$dir/config.toml") \
    >"$CONTAINERD_LOG" 2>&1 </dev/null &
  CONTAINERD_PID=$!
  export CONTAINERD_PID
  _harness_record containerd "$CONTAINERD_PID" "$CONTAINERD_LOG"

  wait_for_socket "$CONTAINERD_SOCK" 20 "$CONTAINERD_PID" ||
    harness_die "containerd did not create $CONTAINERD_SOCK" "$CONTAINERD_LOG"
  local i
  for ((i = 0; i < 2000; i++)); do
    grep -q 'containerd successfully booted' "$CONTAINERD_LOG" && break
    kill -0 "$CONTAINERD_PID" 2>/dev/null || harness_die "containerd exited" "$CONTAINERD_LOG"
    sleep 0.01
  done
  grep -q 'containerd successfully booted' "$CONTAINERD_LOG" ||
    harness_die "containerd did not finish booting in 20 s" "$CONTAINERD_LOG"
  if grep -q 'failed to load plugin io.containerd.grpc.v1.cri' "$CONTAINERD_LOG"; then
    harness_die "containerd's CRI plugin failed to load" "$CONTAINERD_LOG"
  fi
  # The CRI service answers only once its own initialisation (after boot) is done.
  if [ -n "${CRI_CLIENT:-}" ]; then
    for ((i = 0; i < 200; i++)); do
      "$CRI_CLIENT" --endpoint "$CONTAINERD_ENDPOINT" --timeout 5 version >/dev/null 2>&1 && return 0
      sleep 0.02
    done
    "$CRI_CLIENT" --endpoint "$CONTAINERD_ENDPOINT" --timeout 5 version >&2 ||
      harness_die "containerd's CRI service does not answer" "$CONTAINERD_LOG"
  fi
}

# ---- running things ---------------------------------------------------------------------------

# cri_client ARGS...: runs $CRI_CLIENT against the harness containerd.
cri_client() {
  [ -n "${CRI_CLIENT:-}" ] || harness_die "CRI_CLIENT is not set (path of the cri-client binary)"
  [ -n "${CONTAINERD_ENDPOINT:-}" ] || harness_die "cri_client: start_containerd first"
  "$CRI_CLIENT" --endpoint "$CONTAINERD_ENDPOINT" "$@"
}

# cri_run [cri-client run options] IMAGE [-- CMD...]: a pod + container through CRI; pushes the
# pause image first. Prints the container's output; returns its exit code.
cri_run() {
  push_pause_image
  cri_client run --log-dir "$(mktemp -d "$HARNESS_WORK/pod-logs.XXXXXX")" "$@"
}

# ctr_cmd ARGS...: ctr against the harness containerd in the CRI namespace (k8s.io).
ctr_cmd() {
  [ -n "${CONTAINERD_SOCK:-}" ] || harness_die "ctr: start_containerd first"
  ctr -a "$CONTAINERD_SOCK" -n k8s.io "$@"
}

# ctr_pull IMAGE: a plain containerd pull (no CRI: stream processors get no fd-3 payload).
ctr_pull() {
  timeout 120 ctr -a "$CONTAINERD_SOCK" -n k8s.io images pull --plain-http \
    --snapshotter "${HARNESS_SNAPSHOTTER:-overlayfs}" "$1" >/dev/null
}

# ctr_run IMAGE [CMD ARG...]: runs a container from an already pulled (and unpacked) image with
# `ctr run --rm` and prints its stdout; returns ctr's exit status (the container's exit code).
ctr_run() {
  [ -n "${CONTAINERD_SOCK:-}" ] || harness_die "ctr_run: start_containerd first"
  local image=$1
  shift
  local id="harness-$$-$RANDOM$RANDOM"
  timeout 120 ctr -a "$CONTAINERD_SOCK" -n k8s.io run --rm \
    --snapshotter "${HARNESS_SNAPSHOTTER:-overlayfs}" \
    --runc-root "$CONTAINERD_RUNC_ROOT" --fifo-dir "$CONTAINERD_DIR/fifo" \
    "$image" "$id" "$@"
}

# ---- manifests in the registry ----------------------------------------------------------------

# registry_manifest NAME:TAG: prints the (OCI) manifest JSON stored in the harness registry.
registry_manifest() {
  local ref=$1
  curl -sf --max-time 10 -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$REGISTRY_ADDR/v2/${ref%%:*}/manifests/${ref#*:}"
}

# registry_put_manifest NAME:TAG FILE: uploads FILE as an OCI manifest (blobs must exist).
registry_put_manifest() {
  local ref=$1 file=$2 out
  out=$(curl -s --max-time 10 -X PUT -H 'Content-Type: application/vnd.oci.image.manifest.v1+json' \
    --data-binary "@$file" -w '\n%{http_code}' "http://$REGISTRY_ADDR/v2/${ref%%:*}/manifests/${ref#*:}")
  [ "$(tail -n 1 <<<"$out")" = 201 ] ||
    harness_die "registry rejected the manifest for $ref: $(head -n -1 <<<"$out")" "$REGISTRY_LOG"
}

# retype_layers NAME:SRC_TAG NAME:DST_TAG MEDIA_TYPE [ANNOTATIONS_JSON]: stores under DST_TAG a
# copy of SRC_TAG's manifest whose layers claim MEDIA_TYPE (and carry the given annotations),
# without touching the blobs. Useful to route a plain layer to a stream processor.
retype_layers() {
  local src=$1 dst=$2 media_type=$3 annotations=${4:-"{}"}
  local file
  file=$(mktemp "$HARNESS_WORK/manifest.XXXXXX")
  registry_manifest "$src" |
    jq -c --arg mt "$media_type" --argjson ann "$annotations" \
      '.layers |= map(.mediaType = $mt | .annotations = ((.annotations // {}) + $ann))' >"$file"
  [ -s "$file" ] || harness_die "no manifest for $src in the registry"
  registry_put_manifest "$dst" "$file"
}
