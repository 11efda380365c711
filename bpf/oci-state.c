// SPDX-License-Identifier: Apache-2.0
/*
 * A strict, allocation-free JSON scanner for the OCI state (see oci-state.h). It validates the whole document
 * (RFC 8259: no comments, no trailing commas, no control characters in strings, bounded nesting) and picks out
 * "id", "pid" and the annotations the admission decides on (admission.c). Keys of the top level and of
 * "annotations" must not use escapes and must not repeat: runtimes never escape them, and a hostile
 * document could otherwise show one value to us and another to the runtime.
 */
#include <stddef.h>
#include <stdio.h>
#include <string.h>
#include "oci-state.h"

#define MAX_DEPTH 64
#define MAX_KEYS 1024 /* per object we look into: more is refused */

/* Keys seen in one object, to refuse repeats (runtimes never repeat a key; a hostile document would). */
struct keys {
	const char *k[MAX_KEYS];
	size_t n[MAX_KEYS];
	int count;
};

static bool seen_before(struct keys *ks, const char *k, size_t n)
{
	for (int i = 0; i < ks->count; i++)
		if (ks->n[i] == n && !memcmp(ks->k[i], k, n))
			return true;
	if (ks->count == MAX_KEYS)
		return true; /* treated as a repeat: refused */
	ks->k[ks->count] = k;
	ks->n[ks->count++] = n;
	return false;
}

struct scan {
	const char *p, *end;
	const char *why;
};

static bool bad(struct scan *s, const char *why)
{
	if (!s->why)
		s->why = why;
	return false;
}

static void ws(struct scan *s)
{
	while (s->p < s->end && (*s->p == ' ' || *s->p == '\t' || *s->p == '\n' || *s->p == '\r'))
		s->p++;
}

static bool eat(struct scan *s, char c)
{
	ws(s);
	if (s->p < s->end && *s->p == c) {
		s->p++;
		return true;
	}
	return false;
}

static bool hex4(const char *p)
{
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		if (!((c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F')))
			return false;
	}
	return true;
}

/* A string: its raw (still escaped) contents go to start and len; escaped tells whether it has escapes. */
static bool string(struct scan *s, const char **start, size_t *len, bool *escaped)
{
	if (!eat(s, '"'))
		return bad(s, "string expected");
	*start = s->p;
	*escaped = false;
	while (s->p < s->end && *s->p != '"') {
		unsigned char c = (unsigned char)*s->p;

		if (c < 0x20)
			return bad(s, "control character in a string");
		if (c == '\\') {
			*escaped = true;
			if (s->end - s->p < 2)
				return bad(s, "unterminated escape");
			c = (unsigned char)s->p[1];
			if (c == 'u') {
				if (s->end - s->p < 6 || !hex4(s->p + 2))
					return bad(s, "invalid \\u escape");
				s->p += 6;
				continue;
			}
			if (c == '\0' || !strchr("\"\\/bfnrt", c)) /* strchr finds the terminating NUL */
				return bad(s, "invalid escape");
			s->p += 2;
			continue;
		}
		s->p++;
	}
	if (s->p >= s->end)
		return bad(s, "unterminated string");
	*len = (size_t)(s->p - *start);
	s->p++;
	return true;
}

/* A number; *integer gets its value when it is a plain non-negative integer that fits, else -1. */
static bool number(struct scan *s, long *integer)
{
	const char *q = s->p;
	bool plain = true;
	long v = 0;

	if (q < s->end && *q == '-')
		q++, plain = false;
	if (q >= s->end || *q < '0' || *q > '9')
		return bad(s, "value expected");
	if (*q == '0' && q + 1 < s->end && q[1] >= '0' && q[1] <= '9')
		return bad(s, "leading zero in a number");
	for (; q < s->end && *q >= '0' && *q <= '9'; q++) {
		if (v > (0x7fffffffL - 9) / 10)
			plain = false;
		else
			v = v * 10 + (*q - '0');
	}
	if (q < s->end && *q == '.') {
		plain = false;
		if (++q >= s->end || *q < '0' || *q > '9')
			return bad(s, "malformed number");
		while (q < s->end && *q >= '0' && *q <= '9')
			q++;
	}
	if (q < s->end && (*q == 'e' || *q == 'E')) {
		plain = false;
		if (++q < s->end && (*q == '+' || *q == '-'))
			q++;
		if (q >= s->end || *q < '0' || *q > '9')
			return bad(s, "malformed number");
		while (q < s->end && *q >= '0' && *q <= '9')
			q++;
	}
	s->p = q;
	*integer = plain ? v : -1;
	return true;
}

static bool literal(struct scan *s, const char *word)
{
	size_t n = strlen(word);

	if ((size_t)(s->end - s->p) < n || memcmp(s->p, word, n))
		return bad(s, "value expected");
	s->p += n;
	return true;
}

static bool value(struct scan *s, int depth);

static bool object(struct scan *s, int depth)
{
	const char *k;
	size_t n;
	bool esc;

	if (!eat(s, '{'))
		return bad(s, "object expected");
	if (eat(s, '}'))
		return true;
	do {
		if (!string(s, &k, &n, &esc) || !eat(s, ':') || !value(s, depth + 1))
			return bad(s, "malformed object");
	} while (eat(s, ','));
	return eat(s, '}') || bad(s, "',' or '}' expected");
}

static bool array(struct scan *s, int depth)
{
	if (!eat(s, '['))
		return bad(s, "array expected");
	if (eat(s, ']'))
		return true;
	do {
		if (!value(s, depth + 1))
			return false;
	} while (eat(s, ','));
	return eat(s, ']') || bad(s, "',' or ']' expected");
}

static bool value(struct scan *s, int depth)
{
	const char *v;
	size_t n;
	bool esc;
	long num;

	if (depth > MAX_DEPTH)
		return bad(s, "nested too deeply");
	ws(s);
	if (s->p >= s->end)
		return bad(s, "value expected");
	switch (*s->p) {
	case '{': return object(s, depth);
	case '[': return array(s, depth);
	case '"': return string(s, &v, &n, &esc);
	case 't': return literal(s, "true");
	case 'f': return literal(s, "false");
	case 'n': return literal(s, "null");
	default: return number(s, &num);
	}
}

static bool key_is(const char *k, size_t n, const char *name)
{
	return n == strlen(name) && !memcmp(k, name, n);
}

static bool key_has_prefix(const char *k, size_t n, const char *prefix)
{
	size_t pn = strlen(prefix);

	return n >= pn && !memcmp(k, prefix, pn);
}

/* The annotation values the admission decides on (see oci-state.h). */
static const struct {
	const char *key;
	size_t offset;
} picked[] = {
	{ "io.kubernetes.cri-o.ContainerType", offsetof(struct scr_oci_state, crio_type) },
	{ "io.kubernetes.cri-o.ContainerName", offsetof(struct scr_oci_state, crio_name) },
	{ "io.kubernetes.cri-o.Labels", offsetof(struct scr_oci_state, crio_labels) },
	{ "io.kubernetes.cri.container-type", offsetof(struct scr_oci_state, cri_type) },
	{ "io.kubernetes.cri.sandbox-namespace", offsetof(struct scr_oci_state, cri_namespace) },
	{ "io.kubernetes.cri.container-name", offsetof(struct scr_oci_state, cri_name) },
	{ "io.container.manager", offsetof(struct scr_oci_state, manager) },
	{ "io.containers.trace-syscall", offsetof(struct scr_oci_state, trace) },
	{ "seccomp-recorder.io/record", offsetof(struct scr_oci_state, record) },
	{ "seccomp-recorder.io/runtime-tail", offsetof(struct scr_oci_state, tail) },
	{ "seccomp-recorder.io/runtime-threads", offsetof(struct scr_oci_state, threads) },
	{ "seccomp-recorder.io/check", offsetof(struct scr_oci_state, check) },
};

static void pick(struct scr_oci_state *out, const char *k, size_t kn, const char *v, size_t vn, bool esc)
{
	out->cri_any |= key_has_prefix(k, kn, "io.kubernetes.cri.");
	for (size_t i = 0; i < sizeof(picked) / sizeof(picked[0]); i++) {
		if (key_is(k, kn, picked[i].key)) {
			struct scr_json_str *str = (struct scr_json_str *)((char *)out + picked[i].offset);

			*str = (struct scr_json_str){ .p = v, .n = vn, .set = true, .escaped = esc };
			return;
		}
	}
}

#define TRACE_PER_CONTAINER "io.containers.trace-syscall/"

/* A container name as src/oci/containerd-keys.ts's OBJECT_NAME: [A-Za-z0-9][A-Za-z0-9_.-]{0,252}. */
static bool object_name(const struct scr_json_str *v)
{
	if (!v->set || v->escaped || v->n == 0 || v->n > 253)
		return false;
	for (size_t i = 0; i < v->n; i++) {
		char c = v->p[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || !strchr("_.-", c)))
			return false;
	}
	return true;
}

/*
 * The key io.containers.trace-syscall/<cri_name> in the annotations object at [from, end), already validated by
 * annotations() below: one more linear pass over it, made only when some key has the per-container prefix.
 */
static void pick_trace_own(const char *from, const char *end, struct scr_oci_state *out)
{
	struct scan s = { .p = from, .end = end };
	size_t pn = strlen(TRACE_PER_CONTAINER);
	const char *k, *v;
	size_t kn, vn;
	bool esc;

	if (!out->cri_any || !object_name(&out->cri_name) || !eat(&s, '{') || eat(&s, '}'))
		return;
	do {
		if (!string(&s, &k, &kn, &esc) || !eat(&s, ':') || !string(&s, &v, &vn, &esc))
			return;
		if (kn == pn + out->cri_name.n && !memcmp(k, TRACE_PER_CONTAINER, pn) &&
		    !memcmp(k + pn, out->cri_name.p, out->cri_name.n)) {
			out->trace_own = (struct scr_json_str){ .p = v, .n = vn, .set = true, .escaped = esc };
			return;
		}
	} while (eat(&s, ','));
}

/* The annotations object: the values the admission decides on are picked out. */
static bool annotations(struct scan *s, struct scr_oci_state *out)
{
	static struct keys ks;
	const char *k, *v, *from;
	size_t kn, vn;
	bool esc, per_container = false;

	ks.count = 0;
	ws(s);
	from = s->p;
	if (!eat(s, '{'))
		return bad(s, "\"annotations\" must be an object");
	if (eat(s, '}'))
		return true;
	do {
		if (!string(s, &k, &kn, &esc))
			return false;
		if (esc)
			return bad(s, "escaped annotation key");
		if (seen_before(&ks, k, kn))
			return bad(s, "repeated annotation key (or more than 1024 annotations)");
		if (!eat(s, ':'))
			return bad(s, "':' expected");
		ws(s);
		if (s->p >= s->end || *s->p != '"')
			return bad(s, "annotation values must be strings");
		if (!string(s, &v, &vn, &esc))
			return false;
		pick(out, k, kn, v, vn, esc);
		per_container |= key_has_prefix(k, kn, TRACE_PER_CONTAINER);
		if (key_is(k, kn, "io.kubernetes.cri-o.ContainerType")) {
			if (esc)
				return bad(s, "escaped container type");
			out->sandbox = vn == 7 && !memcmp(v, "sandbox", 7);
		}
	} while (eat(s, ','));
	if (!eat(s, '}'))
		return bad(s, "',' or '}' expected");
	if (per_container)
		pick_trace_own(from, s->p, out);
	return true;
}

static bool valid_id(const char *k, size_t n)
{
	if (n == 0 || n > SCR_ID_MAX)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = k[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');

		if (!alnum && (i == 0 || !strchr("_.+-", c)))
			return false;
	}
	return true;
}

bool scr_state_pid_zero_ok;

bool scr_parse_oci_state(const char *text, size_t len, struct scr_oci_state *out, const char **why)
{
	static struct keys top;
	struct scan s = { .p = text, .end = text + len };
	bool have_id = false, have_pid = false, have_ann = false;
	const char *k, *v;
	size_t kn, vn;
	bool esc;

	memset(out, 0, sizeof(*out));
	top.count = 0;
	if (!eat(&s, '{')) {
		*why = "the state is not a JSON object";
		return false;
	}
	if (!eat(&s, '}')) {
		do {
			if (!string(&s, &k, &kn, &esc))
				goto fail;
			if (esc) {
				bad(&s, "escaped key at the top level");
				goto fail;
			}
			if (seen_before(&top, k, kn)) {
				static char msg[128];

				snprintf(msg, sizeof(msg), "repeated key \"%.*s\" at the top level", (int)(kn > 64 ? 64 : kn), k);
				/* The key is the pod's and the message goes to the runtime's log: no DEL (string() refuses < 0x20). */
				for (char *c = msg; *c; c++)
					if (*c == 0x7f)
						*c = '?';
				bad(&s, msg);
				goto fail;
			}
			if (!eat(&s, ':')) {
				bad(&s, "':' expected");
				goto fail;
			}
			if (key_is(k, kn, "id")) {
				if (have_id || !string(&s, &v, &vn, &esc) || esc || !valid_id(v, vn)) {
					bad(&s, "\"id\" must be one container id (1-128 of [A-Za-z0-9_.+-])");
					goto fail;
				}
				memcpy(out->id, v, vn);
				have_id = true;
			} else if (key_is(k, kn, "pid")) {
				ws(&s);
				if (have_pid || !number(&s, &out->pid) ||
				    (out->pid <= 1 && !(out->pid == 0 && scr_state_pid_zero_ok))) {
					bad(&s, "\"pid\" must be one process id");
					goto fail;
				}
				have_pid = true;
			} else if (key_is(k, kn, "bundle") && (ws(&s), s.p < s.end && *s.p == '"')) {
				if (!string(&s, &v, &vn, &esc))
					goto fail;
				out->bundle = (struct scr_json_str){ .p = v, .n = vn, .set = true, .escaped = esc };
			} else if (key_is(k, kn, "annotations")) {
				if (have_ann || !annotations(&s, out)) {
					bad(&s, "\"annotations\" given twice");
					goto fail;
				}
				have_ann = out->has_annotations = true;
			} else if (!value(&s, 1)) {
				goto fail;
			}
		} while (eat(&s, ','));
		if (!eat(&s, '}')) {
			bad(&s, "',' or '}' expected");
			goto fail;
		}
	}
	ws(&s);
	if (s.p != s.end) {
		bad(&s, "unexpected content after the state");
		goto fail;
	}
	if (!have_id) {
		*why = "the state has no \"id\"";
		return false;
	}
	return true;
fail:
	*why = s.why ? s.why : "malformed state";
	return false;
}
