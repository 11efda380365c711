// SPDX-License-Identifier: Apache-2.0
/*
 * enforce: build a seccomp filter from a spec file (format in bpf/README.md) with libseccomp, load it and
 * become the command.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <seccomp.h>
#include "helper.h"

/* Spec actions; ERRNO and TRACE take a number (ERRNO defaults to EPERM). */
static const struct {
	const char *name;
	__u32 action;
	unsigned long dflt; /* ~0: takes no number */
} actions[] = {
	{ "KILL", SCMP_ACT_KILL_THREAD, ~0UL }, { "KILL_THREAD", SCMP_ACT_KILL_THREAD, ~0UL },
	{ "KILL_PROCESS", SCMP_ACT_KILL_PROCESS, ~0UL }, { "TRAP", SCMP_ACT_TRAP, ~0UL },
	{ "ERRNO", SCMP_ACT_ERRNO(0), EPERM }, { "TRACE", SCMP_ACT_TRACE(0), 0 },
	{ "ALLOW", SCMP_ACT_ALLOW, ~0UL }, { "LOG", SCMP_ACT_LOG, ~0UL },
}; /* NOTIFY needs a listener: not supported */

/* NAME [NUMBER|-] -> libseccomp action; false if unknown or malformed. */
static bool parse_action(const char *name, const char *num, __u32 *action)
{
	bool has_num = num && strcmp(num, "-");
	unsigned long n;
	char *end;

	if (!strncmp(name, "SCMP_ACT_", 9))
		name += 9;
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (strcmp(name, actions[i].name))
			continue;
		if (actions[i].dflt == ~0UL) /* takes no number */
			return !has_num && (*action = actions[i].action, true);
		n = has_num ? strtoul(num, &end, 10) : actions[i].dflt;
		if (has_num && (!*num || *end || n > 0xffff))
			return false;
		*action = actions[i].action | n;
		return true;
	}
	return false;
}

static const char *const cmp_ops[] = { "", "NE", "LT", "LE", "EQ", "GE", "GT", "MASKED_EQ" };

static bool parse_u64(const char *s, scmp_datum_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return *s >= '0' && *s <= '9' && !*end && !errno;
}

/* Split a spec line into tokens; returns the count (0 for blank/comment). */
static int split(char *line, char **tok, int max)
{
	char *save;
	int n = 0;

	if (line[0] == '#')
		return 0;
	for (char *t = strtok_r(line, " \t\r\n", &save); t && n < max; t = strtok_r(NULL, " \t\r\n", &save))
		tok[n++] = t;
	return n;
}

/* libseccomp arch token from "x86_64" or "SCMP_ARCH_X86_64"; 0 if unknown. */
static __u32 arch_token(const char *name)
{
	char lower[32] = "";

	if (!strncmp(name, "SCMP_ARCH_", 10))
		name += 10;
	for (int i = 0; name[i] && i < 31; i++)
		lower[i] = name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i];
	return seccomp_arch_resolve_name(lower);
}

/* One "rule ACTION ERRNO|- NAME [INDEX OP VALUE VALUETWO]..." line. */
static void add_rule(scmp_filter_ctx ctx, char **tok, int n, size_t lineno, __u32 dflt, const __u32 *arches,
		     int narch)
{
	struct scmp_arg_cmp cmp[6];
	int nr, ncmp = (n - 4) / 4, rc;
	bool known = false;
	__u32 action;

	if (n < 4 || (n - 4) % 4 || ncmp > 6 || !parse_action(tok[1], tok[2], &action))
		fail(EX_USAGE, R_USAGE, 0, "spec line %zu: rule ACTION ERRNO|- NAME [INDEX OP VALUE VALUETWO]...",
		     lineno);
	for (int i = 0; i < ncmp; i++) {
		char **a = tok + 4 + 4 * i;
		const char *op = strncmp(a[1], "SCMP_CMP_", 9) ? a[1] : a[1] + 9;
		scmp_datum_t idx;

		cmp[i].op = 0;
		for (int o = 1; o < 8; o++)
			if (!strcmp(op, cmp_ops[o]))
				cmp[i].op = o;
		if (!parse_u64(a[0], &idx) || idx > 5 || !cmp[i].op || !parse_u64(a[2], &cmp[i].datum_a) ||
		    !parse_u64(a[3], &cmp[i].datum_b))
			fail(EX_USAGE, R_USAGE, 0, "spec line %zu: bad argument condition", lineno);
		cmp[i].arg = idx;
	}

	/* Unknown to every arch of the filter: warn and skip. */
	nr = seccomp_syscall_resolve_name(tok[3]);
	for (int i = 0; i < narch && nr != __NR_SCMP_ERROR; i++)
		known |= seccomp_syscall_resolve_name_arch(arches[i], tok[3]) >= 0;
	if (!known) {
		warn("syscall %s is unknown for the filter's architectures; rule skipped", tok[3]);
		return;
	}
	/* An unconditional rule equal to the default changes nothing (libseccomp refuses it). */
	if (action == dflt && !ncmp)
		return;
	rc = seccomp_rule_add_array(ctx, action, nr, ncmp, cmp);
	if (rc)
		fail(EX_USAGE, R_USAGE, -rc, "spec line %zu: rule for %s rejected", lineno, tok[3]);
}

/* Build a filter from the spec file (format in bpf/README.md); exit 2 on a bad spec. */
static scmp_filter_ctx build_filter(const char *path, bool log)
{
	__u32 arches[16], dflt = 0, a;
	scmp_filter_ctx ctx = NULL;
	char *line = NULL, *tok[40];
	size_t cap = 0, lineno;
	int narch = 1, n, rc;
	FILE *f = fopen(path, "re");

	if (!f)
		fail(EX_USAGE, R_USAGE, errno, "cannot read spec %s", path);
	arches[0] = seccomp_arch_native();

	/* Pass 1: default, arch, nnp (they shape the filter the rules go into). */
	for (lineno = 1; getline(&line, &cap, f) > 0; lineno++) {
		if (!(n = split(line, tok, 40)))
			continue;
		if (!strcmp(tok[0], "default")) {
			if (ctx || n < 2 || n > 3 || !parse_action(tok[1], n == 3 ? tok[2] : NULL, &dflt) ||
			    !(ctx = seccomp_init(dflt)))
				fail(EX_USAGE, R_USAGE, 0,
				     "spec line %zu: bad or repeated default (actions: KILL KILL_PROCESS KILL_THREAD TRAP "
				     "ERRNO TRACE ALLOW LOG; NOTIFY is not supported)",
				     lineno);
		} else if (!strcmp(tok[0], "arch")) {
			if (!ctx || n != 2 || !(a = arch_token(tok[1])) || narch == 16)
				fail(EX_USAGE, R_USAGE, 0, "spec line %zu: bad arch (or arch before default)", lineno);
			if ((rc = seccomp_arch_add(ctx, a)) && rc != -EEXIST)
				fail(EX_USAGE, R_USAGE, -rc, "spec line %zu: arch %s", lineno, tok[1]);
			if (!rc)
				arches[narch++] = a;
		} else if (!strcmp(tok[0], "nnp")) {
			if (!ctx || n != 2 || (strcmp(tok[1], "0") && strcmp(tok[1], "1")))
				fail(EX_USAGE, R_USAGE, 0, "spec line %zu: nnp 0|1 (after default)", lineno);
			seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, tok[1][0] == '1');
		} else if (strcmp(tok[0], "rule")) {
			fail(EX_USAGE, R_USAGE, 0, "spec line %zu: unknown directive %s", lineno, tok[0]);
		}
	}
	if (!ctx)
		fail(EX_USAGE, R_USAGE, 0, "spec %s has no default line", path);

	/* Pass 2: the rules. */
	rewind(f);
	for (lineno = 1; getline(&line, &cap, f) > 0; lineno++)
		if ((n = split(line, tok, 40)) && !strcmp(tok[0], "rule"))
			add_rule(ctx, tok, n, lineno, dflt, arches, narch);
	fclose(f);
	free(line);
	if (log && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1) != 0)
		warn("this kernel or libseccomp cannot log denials (SCMP_FLTATR_CTL_LOG)");
	return ctx;
}

int cmd_enforce(struct opts *o)
{
	scmp_filter_ctx ctx;
	int rc;

	if (!o->spec || !o->argv || !o->argv[0])
		usage("enforce needs --spec FILE -- CMD");
	open_report(o->ready_fd);
	ctx = build_filter(o->spec, o->log);

	/* Signals first: once the filter is loaded only execve is certain to pass. */
	reset_signals();
	if ((rc = seccomp_load(ctx)) != 0)
		fail(EX_RUNTIME, R_SECCOMP, -rc, "cannot load the seccomp filter");
	execvp(o->argv[0], o->argv);
	fail(EX_EXEC, R_EXEC_FAILED, errno, "cannot execute %s", o->argv[0]);
}
