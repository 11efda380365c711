// SPDX-License-Identifier: Apache-2.0
/*
 * The prestart's admission (see admission.h). Every value comes from a pod: spans are bounded, never
 * NUL-terminated, and quoted back only after anything unprintable was replaced.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include "admission.h"

#define SCR_MAX_VALUE 4096   /* annotation values longer than this are refused (as src/oci/annotations.ts) */
#define SCR_MAX_NAME 253     /* seccomp-recorder.io/record */
#define SCR_MAX_SEGMENT 63   /* one segment of that name */
#define SCR_MAX_OBJECT 253   /* a Kubernetes namespace, pod or container name */
#define SCR_TRACE "io.containers.trace-syscall"
#define SCR_IDENTITY "container identity"

struct span {
	const char *p;
	size_t n;
};

__attribute__((format(printf, 3, 4)))
static enum scr_admission refuse(char *why, size_t size, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(why, size, fmt, ap);
	va_end(ap);
	/* The message is for a log: nothing below 0x20, no DEL (a pod's bytes may be quoted in it). */
	for (char *c = why; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = '?';
	return SCR_REFUSE;
}

/* Up to 80 bytes of a pod's value, printable ASCII only, for a message. */
static const char *quoted(struct span s)
{
	static char out[4][84];
	static int next;
	char *q = out[next++ & 3];
	size_t n = s.n > 80 ? 80 : s.n;

	for (size_t i = 0; i < n; i++)
		q[i] = s.p[i] >= 0x20 && s.p[i] < 0x7f ? s.p[i] : '?';
	q[n] = 0;
	return q;
}

static bool span_is(struct span s, const char *word)
{
	return s.n == strlen(word) && !memcmp(s.p, word, s.n);
}

static bool str_is(const struct scr_json_str *v, const char *word)
{
	return v->set && !v->escaped && span_is((struct span){ v->p, v->n }, word);
}

/* c is one of set (never the terminating NUL). */
static bool in_set(char c, const char *set)
{
	return c && strchr(set, c);
}

static bool alnum(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
}

/* A container, pod or namespace name as src/oci/identity.ts's OBJECT_NAME: [A-Za-z0-9][A-Za-z0-9_.-]{0,252}. */
static bool object_name(struct span s)
{
	if (s.n == 0 || s.n > SCR_MAX_OBJECT || !alnum(s.p[0]))
		return false;
	for (size_t i = 1; i < s.n; i++)
		if (!alnum(s.p[i]) && !in_set(s.p[i], "_.-"))
			return false;
	return true;
}

/* Splits a span at sep as JavaScript's split does: n separators give n + 1 fields, empty ones included. */
struct splitter {
	const char *p, *end;
	bool done;
};

static struct splitter split(struct span s)
{
	return (struct splitter){ s.p, s.p + s.n, false };
}

static bool split_next(struct splitter *it, char sep, struct span *field)
{
	const char *hit;

	if (it->done)
		return false;
	hit = memchr(it->p, sep, (size_t)(it->end - it->p));
	*field = (struct span){ it->p, (size_t)((hit ? hit : it->end) - it->p) };
	if (hit)
		it->p = hit + 1;
	else
		it->done = true;
	return true;
}

/* CRI-O's k8s_<container>_<pod>_<namespace>_<pod uid>_<attempt>: its container and namespace parts. */
static bool crio_name(const struct scr_json_str *v, struct span *container, struct span *ns)
{
	struct splitter it;
	struct span f[7];
	size_t fields = 0;

	if (!v->set || v->escaped || v->n > 1024)
		return false;
	it = split((struct span){ v->p, v->n });
	while (fields < 7 && split_next(&it, '_', &f[fields]))
		fields++;
	if (fields != 6 || !span_is(f[0], "k8s") || !f[1].n || !f[2].n || !f[3].n || !f[5].n)
		return false;
	for (size_t i = 0; i < f[5].n; i++)
		if (f[5].p[i] < '0' || f[5].p[i] > '9')
			return false;
	*container = f[1];
	*ns = f[3];
	return object_name(*ns);
}

/* Who made the container; contradictory keys are a pod's spoof (see src/oci/identity.ts). */
static enum scr_admission identity(const struct scr_oci_state *st, bool *kubernetes, struct span *ns, char *why,
				   size_t size)
{
	/* io.container.manager claims a manager only with the values CRI-O and podman write. */
	bool libpod = str_is(&st->manager, "libpod"), containerd = st->cri_any;
	bool crio = st->crio_name.set || st->crio_labels.set || str_is(&st->manager, "cri-o");
	const char *conflict = crio && containerd     ? "CRI-O's and containerd's keys"
			       : crio && libpod	      ? "CRI-O's keys and io.container.manager=libpod"
			       : containerd && libpod ? "containerd's keys and io.container.manager=libpod"
						      : NULL;
	struct span container = { "", 0 };
	bool sandbox, named;

	if (st->manager.set && st->manager.escaped)
		return refuse(why, size, "annotation io.container.manager: escaped characters are not accepted in the value");
	if (conflict)
		return refuse(why, size,
			      "annotation " SCR_IDENTITY ": contradictory keys (%s): a pod set keys of another container "
			      "manager; refusing to record it",
			      conflict);
	*kubernetes = crio || containerd;
	if (containerd) {
		sandbox = str_is(&st->cri_type, "sandbox");
		named = st->cri_namespace.set && !st->cri_namespace.escaped &&
			object_name((struct span){ st->cri_namespace.p, st->cri_namespace.n });
		*ns = (struct span){ st->cri_namespace.p, st->cri_namespace.n };
	} else {
		named = crio_name(&st->crio_name, &container, ns);
		sandbox = str_is(&st->crio_type, "sandbox") || (named && span_is(container, "POD"));
	}
	if (sandbox)
		return SCR_SKIP;
	if (*kubernetes && !named)
		return refuse(why, size,
			      "annotation " SCR_IDENTITY ": a %s container whose namespace cannot be told (%s missing or "
			      "not a Kubernetes name): refusing to record it",
			      containerd ? "containerd" : "cri-o",
			      containerd ? "io.kubernetes.cri.sandbox-namespace" : "io.kubernetes.cri-o.ContainerName");
	return SCR_ADMIT;
}

/* The pod's namespace part of a root does not hold the path. */
static enum scr_admission other_tenant(struct span path, const char *root, struct span ns, char *why, size_t size)
{
	return refuse(why, size,
		      "annotation " SCR_TRACE ": %s is outside %s/%s/, the part of the output roots that belongs to the "
		      "pod's namespace %s",
		      quoted(path), root, quoted(ns), quoted(ns));
}

/* An of:/if: path as src/oci/annotations.ts checkAbsolutePath and src/spool/confined-output.ts confine it. */
static enum scr_admission check_path(struct span path, const char *const *roots, int nroots, bool kubernetes,
				     struct span ns, char *why, size_t size)
{
	struct splitter it = split(path);
	struct span seg;
	const char *root = NULL;
	size_t segments = 0, rn = 0;

	if (path.n == 0)
		return refuse(why, size, "annotation " SCR_TRACE ": empty path");
	if (path.p[0] != '/')
		return refuse(why, size, "annotation " SCR_TRACE ": path must be absolute (got \"%s\")", quoted(path));
	for (size_t i = 0; i < path.n; i++)
		if ((unsigned char)path.p[i] < 0x20 || path.p[i] == 0x7f)
			return refuse(why, size, "annotation " SCR_TRACE ": path contains NUL or control characters");
	while (split_next(&it, '/', &seg))
		if (span_is(seg, ".") || span_is(seg, ".."))
			return refuse(why, size, "annotation " SCR_TRACE ": path must not contain \".\" or \"..\" components");
	if (path.p[path.n - 1] == '/')
		return refuse(why, size, "annotation " SCR_TRACE ": path names a directory, not a file");
	if (nroots == 0)
		return refuse(why, size,
			      "annotation " SCR_TRACE ": the prestart hook was given no output roots (--output-root): "
			      "run seccomp-recorder install again");
	for (int i = 0; i < nroots && !root; i++) {
		rn = strlen(roots[i]);
		if (path.n > rn + 1 && !memcmp(path.p, roots[i], rn) && path.p[rn] == '/')
			root = roots[i];
	}
	if (!root)
		return refuse(why, size,
			      "annotation " SCR_TRACE ": %s is outside the configured output roots; see outputRoots in the "
			      "config",
			      quoted(path));
	/* Below the root: no empty segment; for a Kubernetes pod, its namespace first and a file below it. */
	it = split((struct span){ path.p + rn + 1, path.n - rn - 1 });
	while (split_next(&it, '/', &seg)) {
		if (seg.n == 0)
			return refuse(why, size, "annotation " SCR_TRACE ": %s has an empty path segment (\"//\")", quoted(path));
		if (segments++ == 0 && kubernetes && (seg.n != ns.n || memcmp(seg.p, ns.p, ns.n)))
			return other_tenant(path, root, ns, why, size);
	}
	if (kubernetes && segments < 2)
		return other_tenant(path, root, ns, why, size);
	return SCR_ADMIT;
}

/* io.containers.trace-syscall: of:/abs/out.json[;if:/abs/base.json], either order, each once. */
static enum scr_admission check_trace(const struct scr_json_str *v, const char *const *roots, int nroots,
				      bool kubernetes, struct span ns, char *why, size_t size)
{
	struct splitter parts = split((struct span){ v->p, v->n });
	struct span part, key, path, of = { NULL, 0 }, in = { NULL, 0 };
	enum scr_admission verdict;

	if (v->escaped)
		return refuse(why, size, "annotation " SCR_TRACE ": escaped characters are not accepted in the value");
	if (v->n > SCR_MAX_VALUE)
		return refuse(why, size, "annotation " SCR_TRACE ": value longer than %d characters", SCR_MAX_VALUE);
	while (split_next(&parts, ';', &part)) {
		const char *colon = memchr(part.p, ':', part.n);
		struct span *field;

		if (!colon)
			return refuse(why, size, "annotation " SCR_TRACE ": \"%s\" is not of:PATH or if:PATH", quoted(part));
		key = (struct span){ part.p, (size_t)(colon - part.p) };
		path = (struct span){ colon + 1, part.n - key.n - 1 };
		while (key.n && in_set(key.p[0], " \t"))
			key.p++, key.n--;
		while (key.n && in_set(key.p[key.n - 1], " \t"))
			key.n--;
		if (!span_is(key, "of") && !span_is(key, "if"))
			return refuse(why, size,
				      "annotation " SCR_TRACE ": unknown field \"%s\" (expected of: and optionally if:)",
				      quoted(key));
		field = span_is(key, "of") ? &of : &in;
		if (field->p)
			return refuse(why, size, "annotation " SCR_TRACE ": field %s: given twice", field == &of ? "of" : "if");
		*field = path;
	}
	if (!of.p)
		return refuse(why, size, "annotation " SCR_TRACE ": missing of:/abs/output.json");
	verdict = check_path(of, roots, nroots, kubernetes, ns, why, size);
	if (verdict == SCR_ADMIT && in.p)
		verdict = check_path(in, roots, nroots, kubernetes, ns, why, size);
	return verdict;
}

static const char *const reserved_suffixes[] = { ".complain", ".coverage" };

/* seccomp-recorder.io/record (and .../check): auto (or empty, true) or a name of 1-3 segments, as parseRecordName. */
static enum scr_admission check_name(const char *a, const struct scr_json_str *v, char *why, size_t size)
{
	struct span name = { v->p, v->n }, seg;
	struct splitter it;
	size_t segments = 0;

	if (v->escaped)
		return refuse(why, size, "annotation %s: escaped characters are not accepted in the value", a);
	while (name.n && in_set(name.p[0], " \t\n\r"))
		name.p++, name.n--;
	while (name.n && in_set(name.p[name.n - 1], " \t\n\r"))
		name.n--;
	if (name.n == 0 || span_is(name, "auto") || span_is(name, "true"))
		return SCR_ADMIT;
	if (name.n > SCR_MAX_NAME)
		return refuse(why, size, "annotation %s: name longer than %d characters", a, SCR_MAX_NAME);
	it = split(name);
	while (split_next(&it, '/', &seg)) {
		bool ok = seg.n >= 1 && seg.n <= SCR_MAX_SEGMENT && alnum(seg.p[0]);

		for (size_t i = 1; ok && i < seg.n; i++)
			ok = alnum(seg.p[i]) || in_set(seg.p[i], "._-");
		if (!ok)
			return refuse(why, size,
				      "annotation %s: name segment \"%s\" must be 1-63 of "
				      "[A-Za-z0-9._-] starting with a letter or digit",
				      a, quoted(seg));
		segments++;
	}
	if (segments > 3)
		return refuse(why, size,
			      "annotation %s: name has more than 3 segments (namespace/workload/container)", a);
	/* Not ending like the files beside a profile: RESERVED_NAME_SUFFIXES in src/core/paths.ts. */
	for (size_t i = 0; i < sizeof(reserved_suffixes) / sizeof(reserved_suffixes[0]); i++) {
		size_t n = strlen(reserved_suffixes[i]);

		if (name.n >= n && !memcmp(name.p + name.n - n, reserved_suffixes[i], n))
			return refuse(why, size,
				      "annotation %s: name \"%s\" ends in \"%s\", kept for the file beside a profile "
				      "(<name>%s.json)",
				      a, quoted(name), reserved_suffixes[i], reserved_suffixes[i]);
	}
	return SCR_ADMIT;
}

enum scr_admission scr_admit(const struct scr_oci_state *st, const char *const *roots, int nroots, char *why,
			     size_t size)
{
	struct span ns = { "", 0 };
	bool kubernetes = false;
	enum scr_admission verdict;

	/* 0. Not asked: containerd runs the hook for every container (base_runtime_spec has no `when` filter), so a
	 * container whose annotations ask for no recording is let go before anything else is looked at or done (no
	 * BPF, no lock, no spool) — and never refused, whatever else they say. A state without annotations goes on:
	 * the poststop reads them from the bundle's config.json (hooks.d's `when` filter ran the hook for a reason). */
	if (st->has_annotations && !st->record.set && !st->check.set && !st->trace.set && !st->trace_own.set)
		return SCR_SKIP;
	/* 1. Who made it; a sandbox is skipped, an unknown Kubernetes namespace refused. */
	verdict = identity(st, &kubernetes, &ns, why, size);
	if (verdict != SCR_ADMIT)
		return verdict;
	/* 2. What it asks for, each value as the poststop would parse it. */
	if (st->tail.set && !str_is(&st->tail, "both") && !str_is(&st->tail, "own"))
		return refuse(why, size, "annotation seccomp-recorder.io/runtime-tail: must be \"both\" or \"own\"");
	if (st->threads.set && !str_is(&st->threads, "true") && !str_is(&st->threads, "false"))
		return refuse(why, size, "annotation seccomp-recorder.io/runtime-threads: must be \"true\" or \"false\"");
	if (st->record.set && (verdict = check_name("seccomp-recorder.io/record", &st->record, why, size)) != SCR_ADMIT)
		return verdict;
	if (st->check.set && (verdict = check_name("seccomp-recorder.io/check", &st->check, why, size)) != SCR_ADMIT)
		return verdict;
	if (st->record.set && st->check.set)
		return refuse(why, size,
			      "annotation seccomp-recorder.io/check: a check run is recorded under the profile it checks: "
			      "leave out seccomp-recorder.io/record");
	/* 3. Where it asks us to write and read: inside the roots, and inside its namespace's part of them. A
	 * containerd container's own io.containers.trace-syscall/<name> wins over the plain key (oci-state.h). */
	if (st->trace_own.set)
		return check_trace(&st->trace_own, roots, nroots, kubernetes, ns, why, size);
	if (st->trace.set)
		return check_trace(&st->trace, roots, nroots, kubernetes, ns, why, size);
	return SCR_ADMIT;
}
