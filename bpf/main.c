// SPDX-License-Identifier: Apache-2.0
/*
 * seccomp-recorder-helper: the small native side of seccomp-recorder.
 *
 * Loads/attaches/pins the kernel recorder (recorder.bpf.c, embedded through
 * its skeleton), registers mount namespaces as targets, reads and removes
 * their results, and runs commands either recorded (launch) or under a
 * seccomp filter (enforce).  It has no policy: names, paths, annotations and
 * profiles are the TypeScript side's business (beyond admission.c).
 *
 * This file: the command line (options, the subcommand table) and main.
 * Output: json-out.c; exit codes and reasons: helper-codes.def.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <bpf/libbpf.h>
#include "helper.h"

void usage(const char *what)
{
	fail(EX_USAGE, R_USAGE, 0,
	     "%s; usage: seccomp-recorder-helper attach | add --pid PID|--self [--boundary B] | read --mntns N | "
	     "remove --mntns N | list | detach | repair | ns-ids -- PID... | launch [--boundary B] [--ready-fd FD] -- CMD... | "
	     "enforce --spec FILE [--log] -- CMD... | detach-idle [--after SECONDS] | hook-prestart --spool DIR [--output-root DIR]... [--on-error fail|warn] < STATE | "
	     "hook-poststop --spool DIR [--finaliser PATH] [--fallback PATH] < STATE  "
	     "(B: exec, seccomp, exec,seccomp, all)",
	     what);
}

unsigned long parse_num(const char *s, unsigned long max, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = s ? strtoul(s, &end, 10) : 0;
	if (!s || *s < '0' || *s > '9' || *end || errno || v > max)
		usage(what);
	return v;
}

static __u32 parse_boundary(const char *s)
{
	if (!s)
		usage("--boundary needs a value");
	if (!strcmp(s, "all"))
		return SCR_RECORD_ALL;
	if (!strcmp(s, "exec"))
		return SCR_BOUNDARY_EXEC;
	if (!strcmp(s, "seccomp"))
		return SCR_BOUNDARY_SECCOMP;
	if (!strcmp(s, "exec,seccomp") || !strcmp(s, "seccomp,exec"))
		return SCR_BOUNDARY_EXEC | SCR_BOUNDARY_SECCOMP;
	usage("bad --boundary");
}

static void parse(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->boundary = SCR_BOUNDARY_EXEC;
	o->ready_fd = -1;
	if (argc < 2)
		usage("no subcommand");
	o->cmd = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--")) {
			o->argv = argv + i + 1;
			break;
		} else if (!strcmp(a, "--pid")) {
			o->pid = parse_num(v, 0x7fffffff, "bad --pid"), o->has_pid = true, i++;
		} else if (!strcmp(a, "--self")) {
			o->pid = -1, o->has_pid = true;
		} else if (!strcmp(a, "--mntns")) {
			o->mntns = parse_num(v, 0xffffffff, "bad --mntns"), o->has_mntns = true, i++;
		} else if (!strcmp(a, "--boundary")) {
			o->boundary = parse_boundary(v), i++;
		} else if (!strcmp(a, "--ready-fd")) {
			o->ready_fd = parse_num(v, 0x7fffffff, "bad --ready-fd"), i++;
		} else if (!strcmp(a, "--spec") && v) {
			o->spec = v, i++;
		} else if (!strcmp(a, "--log")) {
			o->log = true;
		} else if (!strcmp(a, "--keep-attached")) {
			o->keep_attached = true;
		} else if (!strcmp(a, "--after")) {
			o->after = parse_num(v, 3600, "bad --after (0-3600 seconds)"), i++;
		} else if (!strcmp(a, "--spool") && v && v[0] == '/') {
			o->spool = v, i++;
		} else if (!strcmp(a, "--output-root") && v && v[0] == '/' && v[1] && v[strlen(v) - 1] != '/' &&
			   o->nroots < SCR_MAX_ROOTS) {
			o->roots[o->nroots++] = v, i++;
		} else if ((!strcmp(a, "--finaliser") || !strcmp(a, "--fallback")) && v && v[0] == '/') {
			*(a[3] == 'i' ? &o->finaliser : &o->fallback) = v, i++;
		} else if (!strcmp(a, "--on-error") && v && (!strcmp(v, "fail") || !strcmp(v, "warn"))) {
			hook_warn_only = !strcmp(v, "warn"), i++;
		} else {
			usage("unknown option");
		}
	}
}

/* libbpf chatter only when asked for (it would break the one-JSON-line contract). */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return getenv("SCR_HELPER_DEBUG") ? vfprintf(stderr, fmt, ap) : 0;
}

/* What a subcommand needs before it runs, in this order. */
enum {
	NEEDS_MNTNS = 1 << 0, /* --mntns N */
	NEEDS_PID = 1 << 1,   /* --pid PID or --self */
	NEEDS_BPF = 1 << 2,   /* root, BTF, bpffs */
	CHECKS_PINS = 1 << 3, /* pins not both there (link and maps) are put right first, under the lock */
	TAKES_LOCK = 1 << 4,  /* changes state: one helper at a time (held until exit) */
};

static const struct subcommand {
	const char *name;
	int (*run)(struct opts *o);
	unsigned needs;
} subcommands[] = {
	{ "attach", cmd_attach, NEEDS_BPF | CHECKS_PINS | TAKES_LOCK },
	{ "add", cmd_add, NEEDS_PID | NEEDS_BPF | CHECKS_PINS | TAKES_LOCK },
	{ "read", cmd_read, NEEDS_MNTNS | NEEDS_BPF | CHECKS_PINS },
	{ "remove", cmd_remove, NEEDS_MNTNS | NEEDS_BPF | CHECKS_PINS | TAKES_LOCK },
	{ "list", cmd_list, NEEDS_BPF | CHECKS_PINS },
	{ "detach", cmd_detach, NEEDS_BPF | CHECKS_PINS | TAKES_LOCK },
	{ "detach-idle", cmd_detach_idle, NEEDS_BPF | CHECKS_PINS }, /* locks after its wait */
	{ "repair", cmd_repair, NEEDS_BPF },                         /* the pin check itself */
	{ "launch", cmd_launch, NEEDS_BPF | CHECKS_PINS },           /* locks around its registration */
	{ "ns-ids", cmd_ns_ids, 0 },
	{ "enforce", cmd_enforce, 0 },
	{ "hook-prestart", cmd_hook_prestart, 0 },
	{ "hook-poststop", cmd_hook_poststop, 0 }, /* needs BPF only when the container was registered */
};

static const struct subcommand *find_subcommand(const char *name)
{
	for (size_t i = 0; i < sizeof(subcommands) / sizeof(subcommands[0]); i++)
		if (!strcmp(name, subcommands[i].name))
			return &subcommands[i];
	usage("unknown subcommand");
}

int main(int argc, char **argv)
{
	const struct subcommand *sc;
	struct attach_info ai;
	struct opts o;

	libbpf_set_print(libbpf_log);
	parse(argc, argv, &o);
	set_pin_dir();
	sc = find_subcommand(o.cmd);
	if ((sc->needs & NEEDS_MNTNS) && !o.has_mntns)
		usage("--mntns N is required");
	if ((sc->needs & NEEDS_PID) && !o.has_pid)
		usage("--pid PID or --self is required");
	if (sc->needs & NEEDS_BPF)
		need_bpf();
	/* Pins removed by hand, an attach cut short (link and maps not both there): put things right, under the
	 * lock, before anything reads the maps; recordings that missed syscalls are flagged interrupted. */
	if ((sc->needs & CHECKS_PINS) && pinned(PIN_ENTER) != open_maps()) {
		lock();
		ensure_pins(&ai, false);
		unlock();
	}
	if (sc->needs & TAKES_LOCK)
		lock();
	return sc->run(&o);
}
