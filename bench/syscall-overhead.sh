#!/usr/bin/env bash
# Cost of the kernel recorder on the syscall path, measured with getppid:
#   baseline            nothing attached
#   empty-program       an empty tp_btf/sys_enter program attached (the floor:
#                       what any program on this hook costs on this machine)
#   empty-raw-tp        an empty raw_tp/sys_enter program (the raw tracepoint
#                       without BTF), and empty-classic on the classic
#                       raw_syscalls:sys_enter tracepoint: the other hooks' floors
#   read-mntns          a tp_btf program that only finds the current task's mount
#                       namespace: the least a recorder keyed by it can do
#   recorded            the loop runs recorded (helper launch)
#   unrecorded-active   the loop runs unrecorded while a recording is active
#   after-detach        the last target removed, nothing attached any more
#   prctl-baseline      a loop of prctl(PR_GET_DUMPABLE), a curated syscall (its option is kept
#                       per recording), nothing attached
#   prctl-recorded      the same loop recorded: the argument entry's lookup and a scan of one value
# Interleaved: each round runs them in this order; medians over ROUNDS.
# Also: kernel memory per target (bpftool memlock / max_entries) and the
# helper's start-up time for `add` (attached) and `attach` (cold).
# Needs root and nothing else attached. Env: N (calls per run), ROUNDS, CPU,
# RT=1 to run the loop SCHED_FIFO (much less noise on a busy machine).
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${BUILD_DIR:-$root/build}
N=${N:-10000000}
ROUNDS=${ROUNDS:-5}
helper=$out/seccomp-recorder-helper
loop=$out/getppid-loop
empty_obj=$out/empty-sys-enter.bpf.o
empty_attach=$out/empty-attach
pins=/sys/fs/bpf/seccomp-recorder

[[ $EUID -eq 0 ]] || { echo "syscall-overhead: needs root" >&2; exit 1; }
((ROUNDS >= 5)) || { echo "syscall-overhead: ROUNDS must be >= 5" >&2; exit 1; }

# Build what is needed (the helper via the normal build, the loop here).
"$root/bpf/build.sh"
if [[ ! -x $loop || $root/bench/getppid-loop.c -nt $loop ]]; then
	clang -O2 -Wall -Wextra -o "$loop" "$root/bench/getppid-loop.c"
	echo "built ${loop#"$root"/}"
fi
if [[ ! -e $empty_obj || $root/bench/empty-sys-enter.bpf.c -nt $empty_obj ]]; then
	clang -g -O2 -target bpf -D__TARGET_ARCH_x86 -I"$out" -c "$root/bench/empty-sys-enter.bpf.c" -o "$empty_obj"
	echo "built ${empty_obj#"$root"/}"
fi
if [[ ! -x $empty_attach || $root/bench/empty-attach.c -nt $empty_attach ]]; then
	clang -O2 -Wall -Wextra -o "$empty_attach" "$root/bench/empty-attach.c" -lbpf
	echo "built ${empty_attach#"$root"/}"
fi

# A baseline only means something if nobody else is recording right now.
if "$helper" list | grep -q '"attached":true'; then
	echo "syscall-overhead: the recorder is attached (someone is recording); run this on an idle recorder" >&2
	exit 1
fi

# Pin the loop to one CPU when there is more than one; optionally real-time.
pin=()
if command -v taskset >/dev/null && (($(nproc) > 1)); then
	pin=(taskset -c "${CPU:-1}")
fi
if [[ ${RT:-0} == 1 ]]; then
	pin+=(chrt -f 10)
fi

# Clean-up removes only our own targets (removing the last one detaches).
bg=() ours=()
cleanup() {
	local p
	for p in "${bg[@]}"; do kill "$p" 2>/dev/null || true; done
	for p in "${ours[@]}"; do "$helper" remove --mntns "$p" >/dev/null 2>&1 || true; done
	rm -rf "$tmp"
}
tmp=$(mktemp -d)
trap cleanup EXIT

median() { tr ' ' '\n' | grep . | sort -g | awk '{a[NR] = $1} END {print (NR % 2) ? a[(NR + 1) / 2] : (a[NR / 2] + a[NR / 2 + 1]) / 2}'; }
mntns_of() { sed 's/[^0-9,]//g; s/,.*//' "$1"; }
now_ns() { date +%s%N; }

# An empty program (by name), attached for one run: held while its stdin (a fifo) is open.
mkfifo "$tmp/hold"
with_empty_program() {
	local name=$1
	shift
	rm -f "$tmp/empty-ready"
	"$empty_attach" "$empty_obj" "$name" <"$tmp/hold" >"$tmp/empty-ready" &
	bg+=($!)
	exec 8>"$tmp/hold"
	while [[ ! -s $tmp/empty-ready ]]; do
		kill -0 "${bg[-1]}" 2>/dev/null || { echo "syscall-overhead: empty-attach $name failed" >&2; exit 1; }
		sleep 0.01
	done
	"$@"
	exec 8>&-
	wait "${bg[-1]}"
	unset 'bg[-1]'
}

base="" empty="" raw="" classic="" mntns="" rec="" unrec="" after="" pbase="" prec=""
for ((r = 1; r <= ROUNDS; r++)); do
	base+=" $("${pin[@]}" "$loop" "$N")"
	empty+=" $(with_empty_program empty_tp_btf "${pin[@]}" "$loop" "$N")"
	raw+=" $(with_empty_program empty_raw_tp "${pin[@]}" "$loop" "$N")"
	classic+=" $(with_empty_program empty_classic "${pin[@]}" "$loop" "$N")"
	mntns+=" $(with_empty_program read_mntns_tp_btf "${pin[@]}" "$loop" "$N")"
	# Recorded: the helper registers its own new namespace, then becomes the loop.
	ns=$("$helper" launch --ready-fd 3 -- "${pin[@]}" "$loop" "$N" 3>"$tmp/ready") ||
		{ echo "syscall-overhead: launch failed: $(cat "$tmp/ready")" >&2; exit 1; }
	rec+=" $ns"
	# The loop's recording stays registered: the recorder is active for everyone.
	ours=("$(mntns_of "$tmp/ready")")
	unrec+=" $("${pin[@]}" "$loop" "$N")"
	"$helper" remove --mntns "${ours[0]}" >"$tmp/removed"
	ours=()
	grep -q '"detached":true' "$tmp/removed" || { echo "syscall-overhead: not detached after remove" >&2; exit 1; }
	after+=" $("${pin[@]}" "$loop" "$N")"
	pbase+=" $("${pin[@]}" "$loop" "$N" prctl)"
	ns=$("$helper" launch --ready-fd 3 -- "${pin[@]}" "$loop" "$N" prctl 3>"$tmp/ready") ||
		{ echo "syscall-overhead: launch failed: $(cat "$tmp/ready")" >&2; exit 1; }
	prec+=" $ns"
	"$helper" remove --mntns "$(mntns_of "$tmp/ready")" >"$tmp/removed"
	grep -q '"prctl":{"positions":\[{"index":0}\],"values":\[\["3"\]\]}' "$tmp/removed" ||
		{ echo "syscall-overhead: the prctl loop's option was not recorded: $(cat "$tmp/removed")" >&2; exit 1; }
done

b=$(median <<<"$base") e=$(median <<<"$empty") er=$(median <<<"$raw") ec=$(median <<<"$classic") em=$(median <<<"$mntns")
rc=$(median <<<"$rec") u=$(median <<<"$unrec") d=$(median <<<"$after") pb=$(median <<<"$pbase") pr=$(median <<<"$prec")
printf '%-18s %8.1f ns/call   (runs:%s)\n' baseline "$b" "$base" empty-program "$e" "$empty" empty-raw-tp "$er" "$raw" \
	empty-classic "$ec" "$classic" read-mntns "$em" "$mntns" recorded "$rc" "$rec" unrecorded-active "$u" "$unrec" after-detach "$d" "$after" \
	prctl-baseline "$pb" "$pbase" prctl-recorded "$pr" "$prec"
ratio() { awk -v a="$2" -v b="$3" -v l="$1" 'BEGIN { printf "%-40s = %.2fx\n", l, a / b }'; }
ratio empty-program/baseline "$e" "$b"
ratio empty-raw-tp/baseline "$er" "$b"
ratio empty-classic/baseline "$ec" "$b"
ratio read-mntns/baseline "$em" "$b"
ratio recorded/baseline "$rc" "$b"
ratio unrecorded-while-active/baseline "$u" "$b"
ratio after-detach/baseline "$d" "$b"
ratio "recorded/empty-program (our own cost)" "$rc" "$e"
ratio "unrecorded-while-active/empty-program" "$u" "$e"
ratio "recorded/read-mntns" "$rc" "$em"
ratio "unrecorded-while-active/read-mntns" "$u" "$em"
ratio "prctl-recorded/prctl-baseline (curated)" "$pr" "$pb"
awk -v pr="$pr" -v pb="$pb" -v rc="$rc" -v b="$b" \
	'BEGIN { printf "%-40s = %+.1f ns/call\n", "argument recording (curated minus plain)", (pr - pb) - (rc - b) }'
# Every program run is an indirect call from the tracepoint: with retpolines it costs much more.
[[ -r /sys/devices/system/cpu/vulnerabilities/spectre_v2 ]] &&
	echo "kernel spectre_v2: $(cat /sys/devices/system/cpu/vulnerabilities/spectre_v2)"

# Keep one recording active (a recorded sleep) for the memory figures and `add`.
"$helper" launch --ready-fd 3 -- sleep 600 3>"$tmp/keeper" &
bg+=($!)
while [[ ! -s $tmp/keeper ]]; do sleep 0.05; done
grep -q '"mntns"' "$tmp/keeper" || { echo "syscall-overhead: launch failed: $(cat "$tmp/keeper")" >&2; exit 1; }
ours+=("$(mntns_of "$tmp/keeper")")

# Kernel memory: what bpftool charges each preallocated map, per entry.
mem() {
	local show
	show=$(bpftool map show pinned "$pins/$1")
	local bytes=${show##*memlock } entries=${show##*max_entries }
	bytes=${bytes%%B*} entries=${entries%% *}
	printf 'kernel memory: %-7s map %8d B memlock / %5d entries = %4d B per %s\n' "$1" "$bytes" "$entries" \
		$((bytes / entries)) "$2"
}
mem slots "target in its slot (most targets)"
mem targets "entry of its cap (bucket array; entries allocated on use)"
mem words "entry of its cap (bucket array; entries allocated on use)"
mem args "entry of its cap (bucket array; entries allocated on use)"
bpftool map show pinned "$pins/args" | awk '/value/ { for (i = 1; i < NF; i++) if ($i == "value") v = $(i + 1) }
	END { printf "kernel memory: args    entry %s per target (argument values, allocated when it is registered)\n", v }'

# Start-up time of `add` while attached (a process in a namespace of its own).
unshare -m sleep 600 &
bg+=($!)
sleep 0.2
times=""
for ((i = 0; i < 20; i++)); do
	t0=$(now_ns)
	"$helper" add --pid "${bg[1]}" >"$tmp/add"
	t1=$(now_ns)
	times+=" $(((t1 - t0) / 1000))"
	ours+=("$(mntns_of "$tmp/add")")
	"$helper" remove --mntns "${ours[1]}" >/dev/null
	ours=("${ours[0]}")
done
median <<<"$times" | awk '{ printf "helper add (attached): median %.2f ms of 20\n", $1 / 1000 }'

# Start-up time of `attach` from cold (nothing pinned); detach only while nobody records.
"$helper" remove --mntns "${ours[0]}" >/dev/null
ours=()
times=""
for ((i = 0; i < 20; i++)); do
	"$helper" list | grep -q '"attached":false' || { echo "helper attach (cold): skipped, someone else is recording"; exit 0; }
	t0=$(now_ns)
	"$helper" attach >/dev/null
	t1=$(now_ns)
	times+=" $(((t1 - t0) / 1000))"
	"$helper" list | grep -q '"targets":\[\]' && "$helper" detach >/dev/null
done
median <<<"$times" | awk '{ printf "helper attach (cold): median %.2f ms of 20\n", $1 / 1000 }'
