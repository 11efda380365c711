// SPDX-License-Identifier: Apache-2.0
/*
 * What the helper prints: one JSON document on stdout on success, one {"error","reason","errno"} line on
 * stderr on failure, {"warning"} lines; as an OCI hook, plain text lines for the runtime's log instead.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "helper.h"

FILE *report;
bool hook_mode, hook_warn_only;
bool detach_on_failure;

static const char *const reason_names[R_COUNT] = {
#define SCR_REASON(name, reason, meaning) [R_##name] = reason,
#include "helper-codes.def"
};

static const char *const abi_names[SCR_ABI_COUNT] = { "x86_64", "x86", "x32" };

const char *json_bool(bool b)
{
	return b ? "true" : "false";
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* A JSON string of n bytes (the journal's copy of the note's state: validated JSON text, no NUL). */
void print_json_string(FILE *f, const char *s, size_t n)
{
	fputc('"', f);
	for (size_t i = 0; i < n; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

/*
 * crun (1.8) drops what its hooks print and reports only "error executing hook": a hook's line goes to crun's own
 * stderr as well, which its caller (podman, conmon, a terminal) shows. runc shows the hook's stderr itself.
 */
static void copy_to_crun_stderr(const char *line)
{
	char path[64], comm[32] = "";
	pid_t runtime = getppid(); /* once: if crun died meanwhile, a second call would name another process */
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", runtime);
	if (!(f = fopen(path, "re")))
		return;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	if (strcmp(comm, "crun\n"))
		return;
	snprintf(path, sizeof(path), "/proc/%d/fd/2", runtime);
	fd = open(path, O_WRONLY | O_APPEND | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, line, strlen(line)) < 0)
		; /* best effort: the line is on our own stderr too */
	close(fd);
}

/* One JSON line on stderr (and the ready fd): {"KEY":"message"REST}. */
static void emit(const char *key, const char *rest, int err, const char *fmt, va_list ap)
{
	char msg[512];
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);

	if (err && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(err));
	if (hook_mode) {
		char line[600];

		snprintf(line, sizeof(line), "seccomp-recorder: %s%s\n", strcmp(key, "error") ? "warning: " : "", msg);
		fputs(line, stderr);
		copy_to_crun_stderr(line);
		return;
	}
	/* With a ready fd the caller reports the message; the command's stderr stays its own. */
	for (FILE *f = report ? report : stderr; f; f = f == report ? NULL : report) {
		fprintf(f, "{\"%s\":", key);
		json_str(f, msg);
		fprintf(f, "%s}\n", rest);
		fflush(f);
	}
}

void fail(enum scr_exit code, enum scr_reason reason, int err, const char *fmt, ...)
{
	char rest[96];
	va_list ap;

	if (detach_on_failure) {
		detach_on_failure = false;
		detach_if_idle();
	}
	snprintf(rest, sizeof(rest), ",\"reason\":\"%s\",\"errno\":%d", reason_names[reason], err);
	va_start(ap, fmt);
	emit(hook_warn_only ? "warning" : "error", rest, err, fmt, ap);
	va_end(ap);
	exit(hook_warn_only ? EX_OK : code);
}

void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("warning", "", 0, fmt, ap);
	va_end(ap);
}

/* --ready-fd: close-on-exec, so the caller sees EOF once the command runs. */
void open_report(int fd)
{
	if (fd < 0)
		return;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || !(report = fdopen(fd, "w")))
		usage("--ready-fd is not an open descriptor");
}

/* ---- vectors and results ------------------------------------------------ */

void vec_push(struct vec *a, __u32 x)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->v = realloc(a->v, a->cap * sizeof(*a->v));
		if (!a->v)
			fail(EX_RUNTIME, R_NO_MEMORY, ENOMEM, "out of memory");
	}
	a->v[a->n++] = x;
}

void vec_free(struct vec *a)
{
	free(a->v);
	*a = (struct vec){};
}

void result_free(struct result *r)
{
	vec_free(&r->nested);
	for (int a = 0; a < SCR_ABI_COUNT; a++)
		vec_free(&r->sys[a]);
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;
	return x < y ? -1 : x > y;
}

/* A sorted JSON array (sorts the vector in place). */
static void print_vec(FILE *f, const struct vec *a)
{
	if (a->n)
		qsort(a->v, a->n, sizeof(*a->v), cmp_u32);
	fputc('[', f);
	for (size_t i = 0; i < a->n; i++)
		fprintf(f, "%s%u", i ? "," : "", a->v[i]);
	fputc(']', f);
}

/* The curated syscalls (recorder.h): name, argument positions (index, mask; 0 = the whole value), where the values are. */
static const struct {
	const char *name;
	int positions;
	struct {
		int index;
		unsigned long long mask;
	} pos[2];
	int off, cap;
} arg_syscalls[SCR_ARG_SYSCALLS] = {
	[SCR_ARG_SOCKET] = { "socket", 2, { { 0, 0 }, { 1, SCR_SOCKET_TYPE_MASK } }, SCR_ARG_OFF_SOCKET, SCR_ARG_CAP_SOCKET },
	[SCR_ARG_CLONE] = { "clone", 1, { { 0, SCR_CLONE_NS_MASK } }, SCR_ARG_OFF_CLONE, SCR_ARG_CAP_CLONE },
	[SCR_ARG_UNSHARE] = { "unshare", 1, { { 0, 0 } }, SCR_ARG_OFF_UNSHARE, SCR_ARG_CAP_UNSHARE },
	[SCR_ARG_PERSONALITY] = { "personality", 1, { { 0, 0 } }, SCR_ARG_OFF_PERSONALITY, SCR_ARG_CAP_PERSONALITY },
	[SCR_ARG_PRCTL] = { "prctl", 1, { { 0, 0 } }, SCR_ARG_OFF_PRCTL, SCR_ARG_CAP_PRCTL },
	[SCR_ARG_IOCTL] = { "ioctl", 1, { { 1, 0 } }, SCR_ARG_OFF_IOCTL, SCR_ARG_CAP_IOCTL },
	[SCR_ARG_SETNS] = { "setns", 1, { { 1, 0 } }, SCR_ARG_OFF_SETNS, SCR_ARG_CAP_SETNS },
};

struct tuple {
	__u64 v[2];
};

static int cmp_tuple(const void *a, const void *b)
{
	const struct tuple *x = a, *y = b;

	for (int i = 0; i < 2; i++)
		if (x->v[i] != y->v[i])
			return x->v[i] < y->v[i] ? -1 : 1;
	return 0;
}

/* One syscall's published tuples, sorted (numerically, position by position) and unique; returns how many. */
static int arg_tuples(const struct scr_args *a, int k, struct tuple *out)
{
	int width = arg_syscalls[k].positions, n = 0, m = 0;

	for (int i = 0; i < arg_syscalls[k].cap; i++) {
		if (!(a->set[k].ready & (1ULL << i)))
			continue;
		out[n] = (struct tuple){ { a->vals[arg_syscalls[k].off + i * width], 0 } };
		if (width == 2)
			out[n].v[1] = a->vals[arg_syscalls[k].off + i * width + 1];
		n++;
	}
	qsort(out, n, sizeof(*out), cmp_tuple);
	for (int i = 0; i < n; i++)
		if (!m || cmp_tuple(&out[m - 1], &out[i]))
			out[m++] = out[i];
	return m;
}

void print_args(FILE *f, const struct scr_args *a)
{
	struct tuple tuples[SCR_ARG_MAX_CAP];
	bool first = true;

	for (int k = 0; k < SCR_ARG_SYSCALLS; k++) {
		int n = arg_tuples(a, k, tuples), width = arg_syscalls[k].positions;

		if (!n && !a->set[k].overflow)
			continue;
		fprintf(f, "%s\"%s\":{\"positions\":[", first ? ",\"args\":{" : ",", arg_syscalls[k].name);
		first = false;
		for (int p = 0; p < width; p++) {
			fprintf(f, "%s{\"index\":%d", p ? "," : "", arg_syscalls[k].pos[p].index);
			if (arg_syscalls[k].pos[p].mask)
				fprintf(f, ",\"mask\":\"%llu\"", arg_syscalls[k].pos[p].mask);
			fputc('}', f);
		}
		fputs("],\"values\":[", f);
		for (int i = 0; i < n; i++) {
			fputs(i ? ",[" : "[", f);
			for (int p = 0; p < width; p++)
				fprintf(f, "%s\"%llu\"", p ? "," : "", (unsigned long long)tuples[i].v[p]);
			fputc(']', f);
		}
		fputc(']', f);
		if (a->set[k].overflow)
			fputs(",\"overflow\":true", f);
		fputc('}', f);
	}
	if (!first)
		fputc('}', f);
}

void print_result(FILE *f, const struct result *r, int detached)
{
	const struct scr_target *t = &r->t;
	bool first = true;

	fprintf(f,
		"{\"mntns\":%u,\"ns_id\":%llu,\"state\":\"%s\",\"lost\":%u,\"interrupted\":%s,"
		"\"quota\":{\"nested\":%u,\"words\":%u},\"nested\":",
		r->mntns, (unsigned long long)t->ns_id, t->state == SCR_STATE_RECORDING ? "recording" : "armed", t->lost,
		json_bool(t->flags & SCR_INTERRUPTED), t->over_nested, t->over_words);
	print_vec(f, &r->nested);
	fputs(",\"syscalls\":{", f);
	for (int a = 0; a < SCR_ABI_COUNT; a++) {
		if (!r->sys[a].n)
			continue;
		fprintf(f, "%s\"%s\":", first ? "" : ",", abi_names[a]);
		print_vec(f, &r->sys[a]);
		first = false;
	}
	fputc('}', f);
	if (r->has_args)
		print_args(f, &r->args);
	if (detached >= 0)
		fprintf(f, ",\"detached\":%s", json_bool(detached));
	fputs("}\n", f);
}
