#!/usr/bin/env bash
# The `kvm-in-kvm` scenarios: Debian's Linux with KVM as L1 boots L2s with
# QEMU as its VMM (guests/build-images.sh builds the images; L1's /init is
# guests/initramfs/kvm-in-kvm-l1/init, L2's guests/initramfs/kvm-in-kvm-l2/init).
#
#   scripts/kvm-in-kvm.sh [SCENARIO] [OPTIONS]
#   SCENARIO   kvm-in-kvm (default; L1's KVM in VHE mode) or kvm-in-kvm-nvhe
#              (L1 booted with kvm-arm.mode=nvhe: its hypervisor runs with E2H=0)
#   --bare               L1 on bare QEMU, at real EL2 (no L0): the reference
#   --l1-kernel FILE     the user's own L1 kernel (arm64 Image) instead of Debian's
#   --l1-initrd FILE     the user's own L1 initrd (it must print the stage lines
#                        of guests/initramfs/kvm-in-kvm-l1/init)
#   --l1-append ARGS     L1's kernel command line (replaces the default)
#   --l0-append ARGS     L0's command line (default: none; l0.vel2=nvhe for
#                        kvm-in-kvm-nvhe), e.g. l0.debug or l0.trace=N
#   --smp N              L1's vCPUs (default 2)
#   --mem SIZE           the board's RAM (default 2G; under L0, L0 keeps 64 MiB)
#   --l2-smp LIST        L2 runs by vCPU count (default 1,2)
#   --mode boot|bench    L2 is Linux (boot) or test-l2's micro-benchmark (bench)
#   --bench-iters N      iterations per operation in bench mode
#   --timeout S          the whole run (default 900; L1 limits each L2 run itself)
#   --serial LAYOUT      under L0, where L0's console goes (default: $KIK_SERIAL,
#                        else split): split: serial0 is L1's console, serial1
#                        L0's own (a UART L1 never sees); single: one UART that
#                        L0 and L1 share, so L1 can forge L0's lines (warned;
#                        for comparisons with older runs only). --bare has no
#                        L0 and one UART.
#   --verbose            stream every console line (default: one line per stage)
#   --name NAME          log name (default: the scenario, with -bare)
#   EL2_IMAGE=FILE       (environment) run this L0 image instead of building el2
#                        (A/B comparisons of two L0 builds)
#
# The board is scripts/lib.sh's (QEMU_BOARD: -display none, no monitor, no
# semihosting, the pvpanic device through which L0 reports a failure: QEMU
# then exits 1).
# Logs (paths printed): $LOGS/NAME.log (everything, in order; lines on L1's
# console that pose as L0's are marked "[L1] L0|"), NAME.l0.log (L0's
# console), NAME.qemu.log (QEMU's own messages), NAME-l1.log (L1's console
# without L2's lines), NAME-l2-TAG.log (each L2 run, "L2| " stripped).
# A failure anywhere (an L0 failure on L0's console, L1 panic, a stage not
# reached, a FAIL line from L1's init, a timeout, QEMU's status) ends the run
# with status 1, the name of the stage that failed and why. At the end: the
# stage times and L0's exit counts (its power-off counters) by reason and
# context.
set -uo pipefail
shopt -s lastpipe
ROOT=${ROOT:-$(cd "$(dirname "$0")/.." && pwd)}
# shellcheck source=lib.sh
. "$ROOT/scripts/lib.sh"

scenario=kvm-in-kvm bare=0 verbose=0 l1_kernel="" l1_initrd="" l1_append="" smp=2 mem=2G
l0_append=${KIK_L0_APPEND:-} l0_append_set=0
l2smp=1,2 mode=boot bench_iters="" timeout_s=900 serial=${KIK_SERIAL:-split} name=""
usage() { sed -n '2,/^set -uo/p' "$0" | sed '$d; s/^# \{0,1\}//'; exit 2; }
while [ $# -gt 0 ]; do
  case $1 in
    kvm-in-kvm | kvm-in-kvm-nvhe) scenario=$1 ;;
    --bare) bare=1 ;;
    --verbose) verbose=1 ;;
    --l1-kernel) l1_kernel=${2:?--l1-kernel FILE}; shift ;;
    --l1-initrd) l1_initrd=${2:?--l1-initrd FILE}; shift ;;
    --l1-append) l1_append=${2:?--l1-append ARGS}; shift ;;
    --l0-append) l0_append=${2?--l0-append ARGS}; l0_append_set=1; shift ;;
    --smp) smp=${2:?--smp N}; shift ;;
    --mem) mem=${2:?--mem SIZE}; shift ;;
    --l2-smp) l2smp=${2:?--l2-smp LIST}; shift ;;
    --mode) mode=${2:?--mode boot|bench}; shift ;;
    --bench-iters) bench_iters=${2:?--bench-iters N}; shift ;;
    --timeout) timeout_s=${2:?--timeout S}; shift ;;
    --serial) serial=${2:?--serial single|split}; shift ;;
    --name) name=${2:?--name NAME}; shift ;;
    -h | --help) usage ;;
    *) echo "kvm-in-kvm: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
  shift
done
case $mode in boot | bench) ;; *) echo "kvm-in-kvm: --mode boot|bench" >&2; exit 2 ;; esac
case $serial in single | split) ;; *) echo "kvm-in-kvm: --serial single|split" >&2; exit 2 ;; esac
[ -n "$name" ] || { name=$scenario; [ $bare = 1 ] && name=$name-bare; [ $mode = bench ] && name=$name-bench; }

T0=${EPOCHREALTIME/./}
now_ms() { echo $(((${EPOCHREALTIME/./} - T0) / 1000)); }
secs() { printf '%d.%01d' $(($1 / 1000)) $((($1 % 1000) / 100)); }
die() { echo "[kik] ERROR: $*"; exit 2; }

# ---- images ----
if [ -z "$l1_kernel" ] || [ -z "$l1_initrd" ]; then
  build_images test-l2 || die "building test-l2 failed"
  out=$("$ROOT/guests/build-images.sh" --test-l2 "$IMG/test-l2.bin") || die "guests/build-images.sh failed"
  eval "$(grep -E '^L1_(KERNEL|INITRD)=' <<<"$out" | sed 's/=/_DEFAULT=/')"
  l1_kernel=${l1_kernel:-$L1_KERNEL_DEFAULT}
  l1_initrd=${l1_initrd:-$L1_INITRD_DEFAULT}
  own_kernel=$([ "$l1_kernel" = "$L1_KERNEL_DEFAULT" ] && echo 1 || echo 0)
else
  own_kernel=0
fi
[ -f "$l1_kernel" ] || die "no L1 kernel $l1_kernel"
[ -f "$l1_initrd" ] || die "no L1 initrd $l1_initrd"
if [ $bare = 0 ]; then
  if [ -n "${EL2_IMAGE:-}" ]; then
    [ -f "$EL2_IMAGE" ] || die "no L0 image $EL2_IMAGE"
  else
    build_images el2 || die "building L0 failed"
  fi
fi

# ---- L1's command line ----
if [ -z "$l1_append" ]; then
  l1_append="console=ttyAMA0 panic=-1 rdinit=/init kik.mode=$mode kik.l2smp=$l2smp"
  [ -n "$bench_iters" ] && l1_append+=" kik.bench_iters=$bench_iters"
  [ "$scenario" = kvm-in-kvm-nvhe ] && l1_append+=" kvm-arm.mode=nvhe"
fi
# Kernel lines the scenario expects from Debian's L1 (a user's kernel is
# only reported on).
KMARK=("CPU: All CPU(s) started at EL2")
case $scenario in
  kvm-in-kvm) KMARK+=("kvm [1]: VHE mode initialized successfully") ;;
  kvm-in-kvm-nvhe) KMARK+=("kvm [1]: Hyp nVHE mode initialized successfully") ;;
esac

# ---- the QEMU command line ----
mem_bytes() { # SIZE (M/G suffix) -> bytes
  local s=$1
  case $s in
    *G) echo $((${s%G} << 30)) ;; *M) echo $((${s%M} << 20)) ;; *) echo $((s << 20)) ;;
  esac
}
image_size() { # FILE: the arm64 Image header's image_size (offset 16), else the file size
  local v
  v=$(od -A n -t u8 -j 16 -N 8 "$1" | tr -d ' ')
  [ -n "$v" ] && [ "$v" -gt 0 ] && echo "$v" || stat -L -c %s "$1"
}
# The project's board (scripts/lib.sh), serial0 on QEMU's stdout; under L0
# with the split layout serial1 (L0's console) goes to a FIFO read below.
board=("${QEMU_BOARD[@]}" -m "$mem" -smp "$smp" -serial stdio)
fifo=""
if [ $bare = 0 ] && [ $serial = split ]; then
  fifo=$(mktemp -u "$BUILD/kik-l0.XXXXXX")
  mkfifo "$fifo"
  board+=(-serial "file:$fifo")
fi
if [ $bare = 1 ]; then
  load=(-kernel "$l1_kernel" -initrd "$l1_initrd" -append "$l1_append")
else
  # Under L0: QEMU loads L0 as its -kernel and places L1's kernel and initrd
  # with guest-loader. Memory map of the board (RAM at 0x40000000): L0 keeps
  # 0x40000000..0x44000000, QEMU's DTB sits at 0x48000000 (RAM base +
  # 128 MiB), L1's kernel runs where it is put (0x4a000000, text_offset 0),
  # the initrd goes at KIK_INITRD_ADDR (0x70000000) up to the end of RAM:
  # 1.25 GiB of room with -m 2G; the ~160 MiB initrd needs 1G at least and
  # L1 itself (rootfs in RAM, L2's 256 MiB) wants 2G.
  kaddr=$GUEST_KERNEL_ADDR
  iaddr=${KIK_INITRD_ADDR:-$GUEST_INITRD_ADDR}
  ram_end=$((0x40000000 + $(mem_bytes "$mem")))
  kend=$((kaddr + $(image_size "$l1_kernel")))
  iend=$((iaddr + $(stat -L -c %s "$l1_initrd")))
  [ $((kaddr)) -ge $((0x48200000)) ] || die "L1 kernel address $kaddr overlaps L0 or QEMU's DTB"
  [ $kend -le $((iaddr)) ] || die "L1 kernel ($kaddr..$(printf %#x $kend)) runs into the initrd at $iaddr"
  [ $iend -le $ram_end ] || die "L1 initrd ($iaddr..$(printf %#x $iend)) ends past RAM ($(printf %#x $ram_end)): give --mem more or KIK_INITRD_ADDR lower"
  # guest-loader options are comma-separated: a comma in bootargs is doubled.
  # An nVHE L1 hypervisor needs L0's nVHE-only virtual EL2.
  [ "$scenario" = kvm-in-kvm-nvhe ] && [ $l0_append_set = 0 ] && l0_append="l0.vel2=nvhe${l0_append:+ $l0_append}"
  load=(-kernel "${EL2_IMAGE:-$IMG/el2.bin}" -append "$l0_append"
    -device "guest-loader,addr=$kaddr,kernel=$l1_kernel,bootargs=${l1_append//,/,,}"
    -device "guest-loader,addr=$iaddr,initrd=$l1_initrd")
fi

# ---- stages ----
STAGES=()
[ $bare = 0 ] && STAGES+=("L0 up")
STAGES+=("L1 kernel started" "L1 init" "L1 KVM ready")
if [ $mode = bench ]; then TAGS=(bench); else IFS=, read -ra TAGS <<<"$l2smp"; TAGS=("${TAGS[@]/#/smp=}"); fi
for t in "${TAGS[@]}"; do STAGES+=("L2 launched $t" "L2 up $t" "L2 workload done $t" "L2 off $t"); done
STAGES+=("L1 off")
declare -A AT=()

LOG=$LOGS/$name.log
L0LOG=$(l0_log "$LOG") QLOG=$(qemu_log "$LOG") L1LOG=$LOGS/$name-l1.log
rm -f "$LOG" "$L0LOG" "$QLOG" "$L1LOG" "$LOGS/$name"-l2-*.log
: >"$LOG"
: >"$L1LOG"
: >"$L0LOG"
where=$([ $bare = 1 ] && echo "bare QEMU (L1 at real EL2)" || echo "L0 (L1 at virtual EL2)")
echo "[kik] $scenario on $where: L1 $(basename "$l1_kernel") + $(basename "$l1_initrd"), $smp vCPUs, $mem; L2 runs: ${TAGS[*]}"
echo "[kik] L1 command line: $l1_append"
[ $bare = 0 ] && echo "[kik] L0 command line: ${l0_append:-(none)}; L0's console: $([ $serial = split ] && echo "serial1 (its own UART)" || echo "serial0, shared with L1")"
if [ $bare = 0 ] && [ $serial = single ]; then
  echo "[kik] WARNING: --serial single: L0 and L1 share one UART, so L1 (or L2 through it) can forge"
  echo "[kik] WARNING: L0's lines, its verdict and its counters; use the default (split) for results"
fi
echo "[kik] logs: $LOG (all), $L1LOG, $([ $bare = 0 ] && echo "$L0LOG, ")$QLOG, $LOGS/$name-l2-TAG.log"

reach() { # STAGE [MS]: record the first time a stage is reached (now, or at MS)
  [ -n "${AT[$1]:-}" ] && return 0
  AT[$1]=${2:-$(now_ms)}
  printf '[kik] %7ss  %s\n' "$(secs "${AT[$1]}")" "$1"
}
fail_stage="" fail_why="" l1_done=0 tag="" panic=0 first_mark="" first_vm="" first_vm_row=""
# l0_line LINE: a line of L0's console.
l0_line() {
  echo "$1" >>"$LOG"
  echo "$1" >>"$L0LOG"
  [ $verbose = 1 ] && printf '%s\n' "$1"
  reach "L0 up"
  case $1 in
    *ERROR* | *FATAL* | *PANIC* | *FAILED*) [ $verbose = 1 ] || echo "$1" ;;
    *"counters at L2's request"*) [ -n "$first_mark" ] || first_mark=$(now_ms) ;;
    *"exits before L1's first VM entry: "*)
      first_vm=$(now_ms)
      first_vm_row=${1##*"exits before L1's first VM entry: "}
      ;;
  esac
}
# on_line SOURCE LINE: SOURCE 0 is serial1 (L0's own UART), 1 serial0
# (L1's console; under L0 with --serial single, L0's too).
on_line() {
  local line=$2
  if [ "$1" = 0 ]; then
    l0_line "$line"
    return
  fi
  case $line in
    L0\|*)
      if [ $bare = 0 ] && [ $serial = single ]; then
        l0_line "$line"
        return
      fi
      # Only L0's own UART speaks for L0: here it is L1's text.
      [ $bare = 0 ] && line="[L1] $line"
      ;;
  esac
  echo "$line" >>"$LOG"
  [ $verbose = 1 ] && printf '%s\n' "$line"
  case $line in
    L2\|*)
      local l2=${line#L2| }
      [ -n "$tag" ] && echo "$l2" >>"$LOGS/$name-l2-${tag//=/}.log"
      case $l2 in
        "l2: up"* | "test-l2: start"*) reach "L2 up $tag" ;;
        "l2: workload"* | "bench: done"*) reach "L2 workload done $tag" ;;
      esac
      return
      ;;
  esac
  echo "$line" >>"$L1LOG"
  case $line in
    *"Booting Linux on physical CPU"*) reach "L1 kernel started" ;;
    "kvm-in-kvm: L1 init"*) reach "L1 kernel started"; reach "L1 init" ;;
    "kvm-in-kvm: L1 KVM ready"*) reach "L1 KVM ready" ;;
    "kvm-in-kvm: L2 launch "*) tag=${line#kvm-in-kvm: L2 launch }; reach "L2 launched $tag" ;;
    "kvm-in-kvm: L2 off "*) reach "L2 off $tag" ;;
    "kvm-in-kvm: L1 done"*) l1_done=1 ;;
    "kvm-in-kvm: FAIL "*)
      # "kvm-in-kvm: FAIL <stage> (<why>)"
      if [ -z "$fail_stage" ]; then
        local f=${line#kvm-in-kvm: FAIL }
        fail_stage=${f%% (*}
        fail_why=${f#"$fail_stage"}
        fail_why=${fail_why# (}
        fail_why="L1 says: ${fail_why%)}"
      fi
      ;;
    *"Kernel panic - not syncing"*) panic=1; [ -n "$fail_why" ] || fail_why="L1 kernel panic: ${line#*not syncing: }" ;;
  esac
}

# ---- run ----
rcfile=$(mktemp)
T0=${EPOCHREALTIME/./}
{
  l0pid=""
  if [ -n "$fifo" ]; then
    # serial1 (L0's console): whole lines, each marked "L0|". It ends when
    # QEMU closes the FIFO; if QEMU never opened it, it is stopped below.
    sed -u -e 's/\r$//' -e '/^L0|/!s/^/L0| /' -e 's/^/0|/' <"$fifo" &
    l0pid=$!
  fi
  # Each stream passes a line-buffered sed, so the merged pipe gets whole
  # lines as they come (no CRs), each tagged with its UART ("0|": serial1,
  # "1|": serial0). QEMU's own messages go to their log.
  timeout -k 5 "$timeout_s" qemu-system-aarch64 "${board[@]}" "${load[@]}" </dev/null 2>"$QLOG" |
    sed -u -e 's/\r$//' -e 's/^/1|/'
  echo "${PIPESTATUS[0]}" >"$rcfile"
  if [ -n "$l0pid" ]; then
    (sleep 2; kill "$l0pid" 2>/dev/null) &
    wait "$l0pid" 2>/dev/null
  fi
} | while IFS= read -r line; do
  on_line "${line%%|*}" "${line#?|}"
done
rc=$(cat "$rcfile")
rm -f "$rcfile" ${fifo:+"$fifo"}
end=$(now_ms)
# L0's own account, from L0's console only: a failure it reported (its
# FAILED/PANIC/FATAL lines; QEMU then exits 1 through the pvpanic device),
# or no power-off.
l0_why="" l0_failed=0
if [ $bare = 0 ]; then
  l0_why=$(l0_verdict "$LOG") || { grep -qE '^L0\| (FAILED|PANIC|FATAL)' "$L0LOG" && l0_failed=1; }
fi
[ "$rc" = 0 ] && [ $l1_done = 1 ] && [ -z "$fail_stage" ] && [ -z "$l0_why" ] && reach "L1 off" "$end"

# ---- verdict ----
missing=()
for s in "${STAGES[@]}"; do [ -n "${AT[$s]:-}" ] || missing+=("$s"); done
kmiss=()
for m in "${KMARK[@]}"; do grep -qF -- "$m" "$L1LOG" || kmiss+=("$m"); done
rc_why() { # QEMU's status in words
  case $rc in
    124 | 137) echo "timeout after ${timeout_s}s" ;;
    0) echo "QEMU exited (status 0) before this stage" ;;
    1) if [ $bare = 0 ]; then
         echo "QEMU exited with status 1 (L0's failure signal through pvpanic, or a QEMU error: see $QLOG)"
       else
         echo "QEMU exited with status 1"
       fi ;;
    *) echo "QEMU exited with status $rc" ;;
  esac
}
if [ $l0_failed = 1 ]; then
  # L0 failed: that is the cause, whatever L1 said after.
  fail_stage=${missing[0]:-L1 off}
  fail_why="$l0_why${fail_why:+; $fail_why}"
  [ "$rc" = 1 ] && fail_why+="; L0 ended the run through pvpanic"
fi
if [ -z "$fail_stage" ] && [ ${#missing[@]} -gt 0 ]; then
  fail_stage=${missing[0]}
  [ -n "$fail_why" ] || fail_why=$(rc_why)
fi
if [ -z "$fail_stage" ] && [ "$rc" != 0 ]; then fail_stage="L1 off" fail_why=$(rc_why); fi
if [ -z "$fail_stage" ] && [ -n "$l0_why" ]; then fail_stage="L1 off" fail_why=$l0_why; fi
if [ -z "$fail_stage" ] && [ $own_kernel = 1 ] && [ ${#kmiss[@]} -gt 0 ]; then
  fail_stage="L1 KVM ready" fail_why="L1 kernel did not print: ${kmiss[*]}"
fi

echo "[kik] stage times (from QEMU start):"
prev=0
for s in "${STAGES[@]}"; do
  if [ -n "${AT[$s]:-}" ]; then
    printf '[kik]   %-24s %8ss  %+8ss\n' "$s" "$(secs "${AT[$s]}")" "$(secs $((AT[$s] - prev)))"
    prev=${AT[$s]}
  else
    printf '[kik]   %-24s %9s\n' "$s" "-"
  fi
done
printf '[kik]   %-24s %8ss\n' "total wall" "$(secs "$end")"
for m in "${KMARK[@]}"; do
  printf '[kik]   L1: %-52s %s\n' "\"$m\"" "$(grep -qF -- "$m" "$L1LOG" && echo seen || echo "NOT seen")"
done
if [ $bare = 0 ] && l0_counters "$L0LOG" >/dev/null; then
  echo "[kik] L0's exits by reason and context (its counters at the end, all vCPUs; l1: L1 at virtual"
  echo "[kik] EL2 and its EL0, l2: L1's guests; per s: over the whole run):"
  l0_exits_table "$L0LOG" 0 "$end" | sed 's/^/[kik]   /'
  if [ -n "$first_vm" ] && [ "$first_vm" -gt 0 ]; then
    # L0's one line when L1 first enters a guest with stage 2 on.
    echo "[kik] L0's exits before L1's first VM entry, at $(secs "$first_vm") s (L1's boot, KVM's init, L1's QEMU starting L2), all vCPUs and contexts:"
    echo "$first_vm_row" | awk -v ms="$first_vm" '{
      printf "[kik]   count:"; for (i = 1; i <= NF; i++) printf " %s", $i; printf "\n"
      printf "[kik]   per s:"
      for (i = 1; i <= NF; i++) { split($i, kv, "="); printf " %s=%d", kv[1], kv[2] * 1000 / ms + 0.5 }
      printf "\n" }'
  fi
  if [ -n "$first_mark" ] && l0_counters "$L0LOG" 1 >/dev/null; then
    echo "[kik] L0's exits up to L2's first counters call, at $(secs "$first_mark") s (L1's boot and init, L1's QEMU starting L2):"
    l0_exits_table "$L0LOG" 1 "$first_mark" | sed 's/^/[kik]   /'
  fi
fi
for t in "${TAGS[@]}"; do
  f=$LOGS/$name-l2-${t//=/}.log
  [ -s "$f" ] && grep -m 3 -E '^(l2: (up|workload)|bench: )' "$f" | sed "s/^/[kik]   L2 $t: /"
done
if [ -n "$fail_stage" ]; then
  echo "[kik] $name: FAILED at stage '$fail_stage': $fail_why (QEMU status $rc)"
  [ $verbose = 1 ] || tail_log "$LOG"
  exit 1
fi
echo "[kik] $name: OK ($(secs "$end") s, QEMU status 0)"
