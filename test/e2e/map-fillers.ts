/**
 * Workloads that try to fill the kernel recorder's maps, for tests of its quotas (bpf/README.md, "Quotas"): a
 * hostile tenant's recording must flag only itself and never take an entry another recording needs. Each is a
 * small C program compiled with clang at test time into a static binary, so it also runs inside a busybox rootfs
 * container (podman, runc, crun).
 *
 *   unshare-loop fork N   N times: a child unshares its mount namespace and exits (namespaces made and abandoned)
 *   unshare-loop self N   one task unshares its mount namespace N times in a row (each one leaves the previous)
 *   unshare-loop hold N   N children each unshare and stay until all N are there: N live nested namespaces at once
 *   bogus-syscalls FIRST COUNT   syscall numbers FIRST..FIRST+COUNT-1 (x86_64 has none >= 512: each fails ENOSYS)
 *   ia32-syscalls        real ia32 syscalls through `int 0x80` (one in each of words 0..7), from a 64-bit program
 *
 * Each prints one line `ok …` on stdout and exits 0, or says what failed and exits 1. Inside a container,
 * unshare(CLONE_NEWNS) needs CAP_SYS_ADMIN there (podman: --cap-add SYS_ADMIN).
 */
import {execFileSync} from 'node:child_process'
import {mkdirSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'

const UNSHARE_LOOP = String.raw`
#define _GNU_SOURCE
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static int fail(const char *what) { perror(what); return 1; }

int main(int argc, char **argv)
{
	long n = argc == 3 ? atol(argv[2]) : -1;
	int ready[2], release[2];
	char c;

	if (n < 0) { fprintf(stderr, "usage: unshare-loop fork|self|hold N\n"); return 2; }
	if (!strcmp(argv[1], "self")) {
		for (long i = 0; i < n; i++)
			if (unshare(CLONE_NEWNS) != 0) return fail("unshare");
	} else if (!strcmp(argv[1], "fork")) {
		for (long i = 0; i < n; i++) {
			int status;
			pid_t pid = fork();
			if (pid < 0) return fail("fork");
			if (pid == 0) _exit(unshare(CLONE_NEWNS) == 0 ? 0 : 1);
			if (waitpid(pid, &status, 0) != pid || !WIFEXITED(status) || WEXITSTATUS(status)) return fail("unshare in child");
		}
	} else if (!strcmp(argv[1], "hold")) {
		if (pipe(ready) || pipe(release)) return fail("pipe");
		for (long i = 0; i < n; i++) {
			pid_t pid = fork();
			if (pid < 0) return fail("fork");
			if (pid == 0) {
				close(release[1]);
				if (unshare(CLONE_NEWNS) != 0) _exit(1);
				if (write(ready[1], "r", 1) != 1) _exit(1);
				/* Stay in the namespace until the parent closes the release pipe. */
				while (read(release[0], &c, 1) > 0) ;
				_exit(0);
			}
		}
		close(ready[1]);
		close(release[0]);
		for (long i = 0; i < n; i++)
			if (read(ready[0], &c, 1) != 1) return fail("a child could not unshare");
		close(release[1]);
		while (wait(NULL) > 0) ;
	} else {
		fprintf(stderr, "usage: unshare-loop fork|self|hold N\n");
		return 2;
	}
	printf("ok %s %ld\n", argv[1], n);
	return 0;
}
`

const BOGUS_SYSCALLS = String.raw`
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <sys/syscall.h>

int main(int argc, char **argv)
{
	long first = argc == 3 ? atol(argv[1]) : -1, count = argc == 3 ? atol(argv[2]) : -1;

	if (first < 0 || count < 0) { fprintf(stderr, "usage: bogus-syscalls FIRST COUNT\n"); return 2; }
	for (long nr = first; nr < first + count; nr++)
		if (syscall(nr) != -1 || errno != ENOSYS) { fprintf(stderr, "syscall %ld exists here\n", nr); return 1; }
	printf("ok %ld..%ld\n", first, first + count - 1);
	return 0;
}
`

/** The ia32 syscalls ia32-syscalls makes (numbers of the i386 table; all with zero arguments, harmless). */
export const IA32_SYSCALLS: ReadonlyArray<{nr: number; name: string}> = [
  {nr: 20, name: 'getpid'},
  {nr: 24, name: 'getuid'},
  {nr: 47, name: 'getgid'},
  {nr: 64, name: 'getppid'},
  {nr: 65, name: 'getpgrp'},
  {nr: 147, name: 'getsid'},
  {nr: 158, name: 'sched_yield'},
  {nr: 199, name: 'getuid32'},
  {nr: 200, name: 'getgid32'},
  {nr: 224, name: 'gettid'},
  {nr: 318, name: 'getcpu'},
  {nr: 355, name: 'getrandom'},
  {nr: 384, name: 'arch_prctl'},
  {nr: 439, name: 'faccessat2'},
  {nr: 448, name: 'process_mrelease'},
  {nr: 451, name: 'cachestat'},
]

/* A 64-bit program without libc: int 0x80 enters the kernel's ia32 syscall path (TS_COMPAT), as a 32-bit one does. */
const IA32_SYSCALLS_C = String.raw`
static const long numbers[] = { ${IA32_SYSCALLS.map((s) => s.nr).join(', ')} };

static long int80(long nr)
{
	long ret;
	__asm__ volatile ("int $0x80" : "=a"(ret) : "a"(nr), "b"(0), "c"(0), "d"(0), "S"(0), "D"(0) : "r8", "r9", "r10", "r11", "memory");
	return ret;
}

static long sys64(long nr, long a0, const void *a1, long a2)
{
	long ret;
	__asm__ volatile ("syscall" : "=a"(ret) : "a"(nr), "D"(a0), "S"(a1), "d"(a2) : "rcx", "r11", "memory");
	return ret;
}

void _start(void)
{
	int status = 0;

	for (unsigned i = 0; i < sizeof(numbers) / sizeof(numbers[0]); i++)
		if (int80(numbers[i]) == -38) /* ENOSYS: no ia32 emulation in this kernel */
			status = 1;
	if (status)
		sys64(1, 2, "ia32 syscalls are not available (ia32_emulation off?)\n", 55);
	else
		sys64(1, 1, "ok ia32\n", 8);
	sys64(231, status, 0, 0); /* exit_group */
	for (;;) ;
}
`

export interface MapFillers {
  unshareLoop: string
  bogusSyscalls: string
  ia32Syscalls: string
}

/** Compiles the fillers with clang into dir (static binaries); returns their paths. */
export function buildMapFillers(dir: string): MapFillers {
  mkdirSync(dir, {recursive: true})
  const build = (name: string, source: string, flags: string[]): string => {
    const src = join(dir, `${name}.c`)
    const out = join(dir, name)
    writeFileSync(src, source)
    execFileSync('clang', ['-O2', '-static', '-Wall', '-o', out, src, ...flags], {stdio: ['ignore', 'ignore', 'pipe']})
    return out
  }
  return {
    unshareLoop: build('unshare-loop', UNSHARE_LOOP, []),
    bogusSyscalls: build('bogus-syscalls', BOGUS_SYSCALLS, []),
    ia32Syscalls: build('ia32-syscalls', IA32_SYSCALLS_C, ['-nostdlib', '-ffreestanding', '-fno-stack-protector']),
  }
}
