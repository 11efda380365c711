#!/usr/bin/env bash
# Builds what the coverage-guided fuzz runs need into ${BUILD_DIR:-build}/fuzz (see fuzz/README.md):
#  1. oci-state-fuzzer: the libFuzzer harness of the native OCI state scanner (bpf/oci-state.c), with
#     AddressSanitizer and UBSan; only the scanner is coverage-instrumented.
#  2. jazzer/: how this machine loads Jazzer.js's native addon (libFuzzer inside). `mode` says "native" when the
#     prebuilt addon of @jazzer.js/fuzzer loads as it is, "compat" when it needs a newer glibc/libstdc++ than this
#     machine has (Debian 12): then fuzzer-linux-x64.node is a copy with those version needs weakened
#     (fuzz/jazzer-compat.mjs) and compat-shim.so defines the missing symbols (fuzz/jazzer-compat-shim.cc).
# Idempotent: a step runs only when one of its inputs is newer than its output. Prints one line per thing built.
set -euo pipefail

root=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
out=${BUILD_DIR:-$root/build}/fuzz
self=$root/fuzz/build.sh

script=fuzz/build.sh
# shellcheck source=../bpf/build-steps.sh
source "$root/bpf/build-steps.sh"

mkdir -p "$out/jazzer"
exec 9>"$out/.build.lock"
flock 9

command -v clang >/dev/null || die "clang not found: apt-get install clang"

# 1. The native scanner's harness.
harness=$out/oci-state-fuzzer
if stale "$harness" "$root/fuzz/oci-state-fuzz.c" "$root/bpf/oci-state.c" "$root/bpf/oci-state.h" \
	"$root/bpf/admission.c" "$root/bpf/admission.h" "$self"; then
	[[ -e $(clang -print-resource-dir)/lib/linux/libclang_rt.fuzzer-x86_64.a ]] ||
		die "clang's libFuzzer runtime is missing: apt-get install libclang-rt-14-dev"
	san=(-fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer)
	clang -g -O1 -Wall -Wextra "${san[@]}" -fsanitize=fuzzer-no-link -I"$root/bpf" -c "$root/bpf/oci-state.c" -o "$out/oci-state.o"
	clang -g -O1 -Wall -Wextra "${san[@]}" -fsanitize=fuzzer-no-link -I"$root/bpf" -c "$root/bpf/admission.c" -o "$out/admission.o"
	clang -g -O1 -Wall -Wextra "${san[@]}" -I"$root/bpf" -c "$root/fuzz/oci-state-fuzz.c" -o "$out/oci-state-fuzz.o"
	clang "${san[@]}" -fsanitize=fuzzer "$out/oci-state.o" "$out/admission.o" "$out/oci-state-fuzz.o" -o "$harness.tmp"
	built "$harness"
fi

# 2. Jazzer.js's addon.
fuzzer_dir=$(cd "$root" && node -p "require('path').dirname(require.resolve('@jazzer.js/fuzzer/package.json', {paths: [require('path').dirname(require.resolve('@jazzer.js/core/package.json'))]}))" 2>/dev/null) ||
	die "@jazzer.js/core is not installed: npm ci"
addon=$fuzzer_dir/prebuilds/fuzzer-$(node -p 'process.platform + "-" + process.arch').node
[[ -e $addon ]] || die "$addon missing: Jazzer.js ships no prebuilt addon for this platform"
mode=$out/jazzer/mode
check='const core = require("path").dirname(require.resolve("@jazzer.js/core/package.json"));
const {addon} = require(require.resolve("@jazzer.js/fuzzer/dist/addon.js", {paths: [core]}));
if (typeof addon.startFuzzing !== "function") throw new Error("the addon has no startFuzzing")'
if stale "$mode" "$addon" "$root/fuzz/jazzer-compat.mjs" "$root/fuzz/jazzer-compat-shim.cc" "$self"; then
	rm -f "$out/jazzer/fuzzer.node" "$out/jazzer/compat-shim.so"
	if error=$(node -e 'process.dlopen({exports: {}}, process.argv[1])' "$addon" 2>&1); then
		echo native >"$mode.tmp"
	elif grep -qE "version .(GLIBC_2\.38|GLIBCXX_3\.4\.32). not found" <<<"$error"; then
		command -v clang++ >/dev/null || die "clang++ not found: apt-get install clang"
		clang++ -shared -fPIC -O2 -Wall -Wextra -o "$out/jazzer/compat-shim.so.tmp" "$root/fuzz/jazzer-compat-shim.cc"
		mv -f "$out/jazzer/compat-shim.so.tmp" "$out/jazzer/compat-shim.so"
		node "$root/fuzz/jazzer-compat.mjs" "$addon" "$out/jazzer/fuzzer.node.tmp" >/dev/null
		mv -f "$out/jazzer/fuzzer.node.tmp" "$out/jazzer/fuzzer.node"
		echo compat >"$mode"
		if ! error=$(cd "$root" && node -r "$root/fuzz/jazzer-preload.cjs" -e "$check" 2>&1); then
			rm -f "$mode"
			die "the Jazzer.js addon does not load even with the compatibility shim: $error"
		fi
		echo compat >"$mode.tmp"
	else
		die "the Jazzer.js addon does not load: $error"
	fi
	built "$mode"
fi
