#!/usr/bin/env bash
# Build the kernel recorder (BPF object, embedded through a libbpf skeleton)
# and the native helper `seccomp-recorder-helper` into ${BUILD_DIR:-build}.
# Idempotent: a step runs only when one of its inputs is newer than its output.
# Prints one line per thing built, nothing else on success.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${BUILD_DIR:-$root/build}
src=$root/bpf
self=$root/bpf/build.sh
btf=/sys/kernel/btf/vmlinux

script=bpf/build.sh
# shellcheck source=build-steps.sh
source "$root/bpf/build-steps.sh"

# Prerequisites, checked once and only when something has to be built.
checked=
check_tools() {
	[[ -n $checked ]] && return 0
	checked=1
	command -v clang >/dev/null || die "clang not found: apt-get install clang"
	command -v bpftool >/dev/null || die "bpftool not found: apt-get install bpftool"
	[[ -r $btf ]] || die "$btf missing: the kernel needs CONFIG_DEBUG_INFO_BTF=y"
	local hdr pkg
	for hdr in bpf/libbpf.h:libbpf-dev gelf.h:libelf-dev zlib.h:zlib1g-dev seccomp.h:libseccomp-dev; do
		pkg=${hdr#*:}
		hdr=${hdr%%:*}
		echo "#include <$hdr>" | clang -E -x c - >/dev/null 2>&1 ||
			die "<$hdr> not found: apt-get install $pkg"
	done
}


mkdir -p "$out"

# One build at a time: concurrent first uses (e.g. many `record` runs) wait for the first one's result.
exec 9>"$out/.build.lock"
flock 9

# 1. Kernel types for CO-RE (no kernel headers needed).
if stale "$out/vmlinux.h" "$btf"; then
	check_tools
	bpftool btf dump file "$btf" format c >"$out/vmlinux.h.tmp"
	built "$out/vmlinux.h"
fi

# 2. BPF object (-mcpu=v3: 32-bit atomics for the state/lost/flags words).
if stale "$out/recorder.bpf.o" "$src/recorder.bpf.c" "$src/recorder.h" "$out/vmlinux.h" "$self"; then
	check_tools
	clang -g -O2 -target bpf -mcpu=v3 -D__TARGET_ARCH_x86 -I"$out" -I"$src" \
		-c "$src/recorder.bpf.c" -o "$out/recorder.bpf.o.tmp"
	built "$out/recorder.bpf.o"
fi

# 3. Skeleton embedding the object (the helper needs no file at run time).
if stale "$out/recorder.skel.h" "$out/recorder.bpf.o"; then
	check_tools
	bpftool gen skeleton "$out/recorder.bpf.o" name recorder >"$out/recorder.skel.h.tmp"
	built "$out/recorder.skel.h"
fi

# 4. The helper: every C file of bpf/ but the BPF program (bpf/README.md says which does what). Every .c, .h and
# .def file there is an input, so a new file can neither be left out of the build nor of the staleness check.
helper_sources=()
for f in "$src"/*.c; do
	[[ $f == *.bpf.c ]] || helper_sources+=("$f")
done
if stale "$out/seccomp-recorder-helper" "$src"/*.c "$src"/*.h "$src"/*.def "$out/recorder.skel.h" "$self"; then
	check_tools
	clang -O2 -g -Wall -Wextra -I"$out" -I"$src" "${helper_sources[@]}" \
		-o "$out/seccomp-recorder-helper.tmp" -lbpf -lelf -lz -lseccomp
	built "$out/seccomp-recorder-helper"
fi
