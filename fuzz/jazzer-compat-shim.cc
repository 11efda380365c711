// SPDX-License-Identifier: Apache-2.0
/*
 * The few symbols @jazzer.js/fuzzer 4.0.0's prebuilt addon (fuzzer-linux-x64.node, built against glibc 2.38 and
 * GCC 13's libstdc++) needs beyond what Debian 12 has (glibc 2.36, libstdc++ of GCC 12). fuzz/jazzer-compat.mjs
 * marks those two version needs of a copy of the addon weak, and fuzz/jazzer-preload.cjs loads this library with
 * RTLD_GLOBAL before the addon, so that the addon binds to these definitions. Built by fuzz/build.sh.
 *
 * - __isoc23_strto*: glibc 2.38's C23 variants; they differ from the classic ones only in also reading a "0b"
 *   prefix when the base is 0 or 2 (libFuzzer parses its flags in base 10).
 * - std::ios_base_library_init(): GCC 13 references it from <iostream> only to make the library initialise the
 *   standard streams; with GCC 12's libstdc++ the static ios_base::Init below does that.
 */
#include <cstdlib>
#include <iostream>

extern "C" long __isoc23_strtol(const char *s, char **end, int base) { return std::strtol(s, end, base); }
extern "C" unsigned long __isoc23_strtoul(const char *s, char **end, int base) { return std::strtoul(s, end, base); }
extern "C" long long __isoc23_strtoll(const char *s, char **end, int base) { return std::strtoll(s, end, base); }
extern "C" unsigned long long __isoc23_strtoull(const char *s, char **end, int base) { return std::strtoull(s, end, base); }

namespace std {
void ios_base_library_init() {}
} // namespace std

static std::ios_base::Init init_streams;

// Loaded through process.dlopen: a Node-API module without exports (Node looks this symbol up when a library
// registers no module itself).
extern "C" __attribute__((visibility("default"))) void *napi_register_module_v1(void *env, void *exports)
{
	(void)env;
	return exports;
}
