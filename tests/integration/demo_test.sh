#!/usr/bin/env bash
# `cocoon demo` as `make demo` runs it, non-interactively: every step's outcome is asserted from
# its output, and nothing it started may be left running, mounted or on disk afterwards.
#   demo_test.sh CASE
# Needs root and COCOON_BIN (the demo finds the other binaries in the same build tree). Exit 77
# (skip) when a tool the demo needs is missing.
set -euo pipefail

fail() {
  echo "FAIL: $*" >&2
  exit 1
}
skip() {
  echo "SKIP: $*" >&2
  exit 77
}
note() { echo "--- $*" >&2; }
assert_contains() { grep -qF -- "$2" <<<"$1" || fail "$3: expected the output to contain [$2]"; }

: "${COCOON_BIN:?COCOON_BIN must point at the cocoon binary}"
[ "$(id -u)" -eq 0 ] || skip "the demo needs root (containerd)"
for tool in containerd ctr runc docker-registry skopeo umoci busybox swtpm jq openssl curl ss; do
  command -v "$tool" >/dev/null 2>&1 || skip "$tool is not installed (scripts/install-deps)"
done

STEPS=16
# Everything the demo creates goes below T (TMPDIR), so leftovers are easy to find.
T=$(mktemp -d "${TMPDIR:-/tmp}/cocoon-demo-test.XXXXXX")
cleanup() {
  # Only if the demo itself failed to clean up: do not leave mounts behind for the next test.
  local mnt
  while read -r _ _ _ _ mnt _; do
    if [[ "$mnt" == "$T"/* ]]; then umount -l "$mnt" 2>/dev/null || true; fi
  done </proc/self/mountinfo
  rm -rf "$T" "$OUT" "$ERR"
}
OUT="$T.out"
ERR="$T.err"
trap cleanup EXIT

# run_demo: cocoon demo with TMPDIR=$T/tmp and no colours; sets RC, OUTPUT.
run_demo() {
  mkdir -p "$T/tmp"
  RC=0
  TMPDIR="$T/tmp" NO_COLOR=1 timeout 300 "$COCOON_BIN" demo >"$OUT" 2>"$ERR" </dev/null || RC=$?
  OUTPUT=$(cat "$OUT")
}

show_output() {
  echo "----- cocoon demo stdout -----" >&2
  cat "$OUT" >&2
  echo "----- cocoon demo stderr (last 60 lines) -----" >&2
  tail -n 60 "$ERR" >&2
}

# assert_nothing_left: no process that names or runs in the demo's directories, no mount below
# them, no listener on the demo's ports, and the work directory is gone.
assert_nothing_left() {
  local dir pid link cmd port work
  work=$(sed -n 's/^work directory \([^ ]*\) .*/\1/p' <<<"$OUTPUT" | head -n 1)
  [ -n "$work" ] || fail "the demo did not print its work directory"
  [[ "$work" == "$T"/tmp/* ]] || fail "the work directory $work is not below TMPDIR"
  [ ! -e "$work" ] || fail "the work directory $work is still there: $(ls -A "$work" | head)"
  [ -z "$(ls -A "$T/tmp")" ] || fail "files left in TMPDIR: $(ls -A "$T/tmp")"
  for dir in /proc/[0-9]*; do
    pid=${dir#/proc/}
    [ "$pid" = $$ ] && continue
    link=$(readlink "$dir/cwd" 2>/dev/null || true)
    cmd=$(tr '\0' ' ' 2>/dev/null <"$dir/cmdline" || true)
    if [[ "$link" == "$T"/* ]] || [[ "$cmd" == *"$T/"* ]]; then
      fail "process $pid is still running: ${cmd:-?} (cwd $link)"
    fi
  done
  while read -r _ _ _ _ mnt _; do
    if [[ "$mnt" == "$T"/* ]]; then fail "still mounted: $mnt"; fi
  done </proc/self/mountinfo
  for port in $(grep -o '127\.0\.0\.1:[0-9]*' <<<"$OUTPUT" | cut -d: -f2 | sort -u); do
    [ -z "$(ss -Htln "sport = :$port" 2>/dev/null)" ] || fail "something still listens on port $port"
  done
  note "nothing left: no process, mount, listener or file of the demo"
}

# step_block N: the output of step N (its header up to the next step's).
step_block() {
  awk -v n="$1" -v total="$STEPS" '
    /^\[ *[0-9]+\/[0-9]+\] / { split($0, a, /[][\/ ]+/); cur = a[2] + 0 }
    /^Summary$/ { cur = 0 }
    cur == n { print }' <<<"$OUTPUT"
}

# assert_step N TEXT...: step N succeeded and its output holds every TEXT.
assert_step() {
  local n=$1 block text
  shift
  block=$(step_block "$n")
  [ -n "$block" ] || fail "step $n is missing"
  grep -qE '^        ok \([0-9]+\.[0-9] s\)$' <<<"$block" || fail "step $n did not finish ok: $block"
  for text in "$@"; do
    grep -qF -- "$text" <<<"$block" || fail "step $n: expected [$text] in: $block"
  done
}

# ---- cases -------------------------------------------------------------------------------------

case_demo_runs_every_step_and_cleans_up() {
  local start end secs
  start=$(date +%s%N)
  run_demo
  end=$(date +%s%N)
  secs=$(((end - start) / 1000000000))
  note "cocoon demo took ${secs} s (exit $RC)"
  [ "$RC" -eq 0 ] || {
    show_output
    fail "cocoon demo exited $RC"
  }
  cat "$OUT" >&2

  # Every step ran, in order, and finished ok; nothing failed.
  local n
  for ((n = 1; n <= STEPS; n++)); do
    grep -qE "^\[ *$n/$STEPS\] " <<<"$OUTPUT" || fail "no header for step $n/$STEPS"
  done
  [ "$(grep -cE '^        ok \(' <<<"$OUTPUT")" -eq "$STEPS" ] || fail "not every step printed ok"
  if grep -qE 'FAILED|INTERRUPTED|CANNOT RUN' <<<"$OUTPUT"; then fail "a failure was reported"; fi

  # The secret baked into the image...
  local secret
  secret=$(sed -n 's/.*secrets baked into the layer: db-password=\([^,]*\),.*/\1/p' <<<"$OUTPUT")
  [[ "$secret" =~ ^db-[0-9a-f]{24}$ ]] || fail "no generated secret in the build step: [$secret]"
  assert_step 1 "root; containerd"
  assert_step 2 "swtpm with an HCL report"
  assert_step 3 "listening on http://127.0.0.1:" "trusting the test root CA"
  assert_step 4 "is now the KBS resource kbs:///default/image_key/secret-app" \
    "only to an affirming az-tdx-vtpm attestation"
  assert_step 5 "db-password=$secret" "entrypoint /app/run.sh"
  assert_step 6 "application/vnd.oci.image.layer.v1.tar+gzip+encrypted" \
    "its annotation asks for kbs:///default/image_key/secret-app" "no secret in it" \
    'kid="kbs:///default/image_key/secret-app"'
  assert_step 7 "/cocoon/secret-app:v1" "application/vnd.oci.image.layer.v1.tar+gzip+encrypted"
  assert_step 8 "attestation-agent on unix://" "cc_kbc -> http://127.0.0.1:"
  assert_step 9 "ear.status=contraindicated (no reference values yet)" \
    "registered as reference values"
  assert_step 10 "containerd 1." "ctd-decoder"
  # ...released after an affirming az-tdx-vtpm attestation, decrypted by containerd...
  assert_step 11 "-> image sha256:" "KBS: attestation tee=az-tdx-vtpm status=affirming" \
    "KBS: resource policy allowed default/image_key/secret-app" \
    "CDH: UnWrapKey kid kbs:///default/image_key/secret-app: ok"
  # ...and read inside the container.
  assert_step 12 "| secret-app: db-password=$secret" \
    "secret read inside the container: db-password=$secret"
  assert_step 13 "plaintext in containerd's snapshot on the node: containerd/root/" "/fs/app/secrets/db-password"
  # The deny policy blocks a pull from a clean containerd, naming the policy denial.
  assert_step 14 "KBS resource policy: deny all" "no content, no snapshots left" \
    "pull blocked: failed to extract layer sha256:" \
    "reason: KBS resource policy denied access to default/image_key/secret-app (PolicyDeny)" \
    "the image is not in containerd"
  # The restore works.
  assert_step 15 "resource policy restored; pulled sha256:" "the container printed the secret"
  assert_step 16 "not in the logs of the kbs"

  # The summary: a row per step with its time, what was proved, what CVM-only leaves open.
  local summary
  summary=$(sed -n '/^Summary$/,$p' <<<"$OUTPUT")
  [ -n "$summary" ] || fail "no summary"
  for ((n = 1; n <= STEPS; n++)); do
    grep -qE "^  $n +[A-Z].* [0-9]+\.[0-9]$" <<<"$summary" || fail "summary: no timed row for step $n"
  done
  [ "$(grep -c '^  PROVED ' <<<"$summary")" -eq 6 ] || fail "summary: expected 6 PROVED rows"
  [ "$(grep -c '^  OPEN ' <<<"$summary")" -eq 6 ] || fail "summary: expected 6 OPEN rows"
  assert_contains "$summary" "a deny policy blocked the pull with the KBS's reason: KBS resource policy denied access to default/image_key/secret-app" "summary"
  assert_contains "$summary" "one TEE per node" "summary"
  assert_contains "$summary" "no per-pod key policy" "summary"
  assert_contains "$summary" "unrestricted exec" "summary"
  assert_contains "$OUTPUT" "cocoon demo: all $STEPS steps passed in" "final line"
  assert_contains "$OUTPUT" "clean-up: stopping" "clean-up"

  local limit=${DEMO_TEST_MAX_SECONDS:-60}
  [ "$secs" -le "$limit" ] || fail "the demo took $secs s, more than $limit s"
  assert_nothing_left
}

# Ctrl-C in the middle (SIGINT to the demo's process group, as a terminal sends it): exit 130,
# the interrupted step is named, and everything is cleaned up.
case_demo_interrupted_cleans_up() {
  mkdir -p "$T/tmp"
  TMPDIR="$T/tmp" NO_COLOR=1 setsid "$COCOON_BIN" demo >"$OUT" 2>"$ERR" </dev/null &
  local pid=$! i rc=0
  [ "$(ps -o pgid= -p "$pid" | tr -d ' ')" = "$pid" ] || fail "setsid forked; cannot signal the group"
  # Interrupt during the CRI pull: containerd, the stream processor, the CDH, the agent and the
  # KBS are all at work.
  for ((i = 0; i < 6000; i++)); do
    grep -q "^\[11/$STEPS\]" "$OUT" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.05
  done
  grep -q "^\[11/$STEPS\]" "$OUT" || {
    OUTPUT=$(cat "$OUT")
    show_output
    fail "the demo did not reach step 11"
  }
  kill -INT -- "-$pid"
  wait "$pid" || rc=$?
  OUTPUT=$(cat "$OUT")
  cat "$OUT" >&2
  [ "$rc" -eq 130 ] || {
    show_output
    fail "expected exit 130 after Ctrl-C, got $rc"
  }
  assert_contains "$OUTPUT" "clean-up: stopping" "clean-up"
  grep -qE '^cocoon demo: interrupted at step 1[1-3] ' <<<"$OUTPUT" ||
    fail "no 'interrupted at step' line"
  assert_nothing_left
}

# Not root: a clear message naming the need for root, exit 2, nothing started.
case_demo_without_root_says_so() {
  command -v setpriv >/dev/null || skip "setpriv is not installed"
  runuser -u nobody -- test -x "$COCOON_BIN" 2>/dev/null ||
    skip "nobody cannot execute $COCOON_BIN"
  local rc=0 err
  err=$(TMPDIR="$T" setpriv --reuid=nobody --regid=nogroup --clear-groups "$COCOON_BIN" demo 2>&1) ||
    rc=$?
  [ "$rc" -eq 2 ] || fail "expected exit 2 without root, got $rc: $err"
  assert_contains "$err" "cocoon demo needs root" "message"
  assert_contains "$err" "make demo" "message"
  [ -z "$(ls -A "$T")" ] || fail "files were created without root: $(ls -A "$T")"
}

case=${1:?usage: demo_test.sh CASE}
declare -F "case_$case" >/dev/null || fail "unknown case $case"
note "case $case"
"case_$case"
note "PASS $case"
