// SPDX-License-Identifier: Apache-2.0
/*
 * getppid-loop: make N getppid syscalls and print the mean cost in ns/call.
 * getppid does almost nothing in the kernel, so the figure is dominated by
 * the syscall entry/exit path, where the recorder's tracepoint program runs.
 * With "prctl", the loop makes prctl(PR_GET_DUMPABLE) instead: a curated syscall, whose argument (the
 * option) a recording also keeps (one value, seen before: a lookup in the recording's argument entry).
 * Usage: getppid-loop [N [prctl]]   (default 10000000)
 */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

int main(int argc, char **argv)
{
	long n = argc > 1 ? atol(argv[1]) : 10000000;
	int curated = argc > 2 && !strcmp(argv[2], "prctl");
	struct timespec t0, t1;

	if (n <= 0) {
		fprintf(stderr, "usage: getppid-loop [N>0]\n");
		return 2;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (curated)
		for (long i = 0; i < n; i++)
			syscall(SYS_prctl, PR_GET_DUMPABLE, 0, 0, 0, 0);
	else
		for (long i = 0; i < n; i++)
			syscall(SYS_getppid);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	printf("%.2f\n", ((t1.tv_sec - t0.tv_sec) * 1e9 + (t1.tv_nsec - t0.tv_nsec)) / n);
	return 0;
}
