// SPDX-License-Identifier: Apache-2.0
/*
 * libFuzzer harness of the native OCI state scanner (bpf/oci-state.c), which runs as root in the prestart hook
 * on bytes the runtime copies from a pod's spec. Built by fuzz/build.sh with -fsanitize=fuzzer,address,undefined:
 * AddressSanitizer catches any read outside the input (libFuzzer hands over an exact-size heap copy), UBSan any
 * undefined arithmetic. On top of that every input is checked against a model of what bpf/oci-state.h and the
 * comments of bpf/oci-state.c promise, written independently of the scanner:
 *
 *  - the scanner accepts exactly the inputs the model accepts: one strict RFC 8259 JSON object (ws = space, tab,
 *    LF, CR; no BOM, comments or trailing commas; strings without bytes < 0x20 and with valid escapes only;
 *    bytes >= 0x80 are not UTF-8-checked, as documented in fixtures/hostile/README.md), no value nested deeper
 *    than 64 below the top-level object, top-level and "annotations" keys unescaped, unrepeated and at most 1024
 *    per object, "id" an unescaped string of 1-128 [A-Za-z0-9_.+-] starting with a letter or digit, "pid" a plain
 *    integer from 2 to 2^31 - 9 (when present), "annotations" an object of strings whose
 *    io.kubernetes.cri-o.ContainerType value is unescaped;
 *  - an accepted state's fields are the document's: id (NUL-terminated, within SCR_ID_MAX), pid (0 when absent),
 *    sandbox (the container type is exactly "sandbox"), trace_own (the value of io.containers.trace-syscall/<N>
 *    exactly when some key starts with io.kubernetes.cri. and io.kubernetes.cri.container-name is an unescaped
 *    Kubernetes name N: [A-Za-z0-9][A-Za-z0-9_.-]{0,252});
 *  - a refusal points *why at a NUL-terminated message of one line without control characters (it is printed to
 *    the runtime's log), shorter than 200 bytes.
 * A difference aborts (a finding: libFuzzer writes the input to crash-*).
 */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "admission.h"
#include "oci-state.h"

#define MODEL_MAX_DEPTH 64
#define MODEL_MAX_KEYS 1024
#define MODEL_PID_LIMIT 2147483639L /* the scanner's "fits": digits accumulate while the value is <= 214748363 */

struct span {
	const unsigned char *p;
	size_t n;
	bool escaped;
};

struct model {
	const unsigned char *p, *end;
	struct span id;
	bool have_id, sandbox;
	long pid;
	struct span trace_own; /* io.containers.trace-syscall/<containerd's container name> */
	bool trace_own_set;
};

static void skip_ws(struct model *m)
{
	while (m->p < m->end && (*m->p == ' ' || *m->p == '\t' || *m->p == '\n' || *m->p == '\r'))
		m->p++;
}

static bool is_hex(unsigned char c)
{
	return (c >= '0' && c <= '9') || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F');
}

/* A string token at m->p (no leading ws). */
static bool m_string(struct model *m, struct span *out)
{
	if (m->p >= m->end || *m->p != '"')
		return false;
	m->p++;
	out->p = m->p;
	out->escaped = false;
	for (;;) {
		if (m->p >= m->end)
			return false;
		unsigned char c = *m->p;
		if (c == '"')
			break;
		if (c < 0x20)
			return false;
		if (c != '\\') {
			m->p++;
			continue;
		}
		out->escaped = true;
		if (m->end - m->p < 2)
			return false;
		switch (m->p[1]) {
		case '"': case '\\': case '/': case 'b': case 'f': case 'n': case 'r': case 't':
			m->p += 2;
			break;
		case 'u':
			if (m->end - m->p < 6 || !is_hex(m->p[2]) || !is_hex(m->p[3]) || !is_hex(m->p[4]) || !is_hex(m->p[5]))
				return false;
			m->p += 6;
			break;
		default:
			return false;
		}
	}
	out->n = (size_t)(m->p - out->p);
	m->p++;
	return true;
}

/* A number token; *plain gets its value when it is a non-negative integer without fraction or exponent that
 * fits below MODEL_PID_LIMIT, else -1. */
static bool m_number(struct model *m, long *plain)
{
	bool simple = true;
	unsigned long long v = 0;
	bool overflow = false;

	if (m->p < m->end && *m->p == '-') {
		m->p++;
		simple = false;
	}
	if (m->p >= m->end)
		return false;
	if (*m->p == '0') {
		m->p++;
	} else if (*m->p >= '1' && *m->p <= '9') {
		while (m->p < m->end && *m->p >= '0' && *m->p <= '9') {
			if (v > MODEL_PID_LIMIT)
				overflow = true;
			else
				v = v * 10 + (unsigned)(*m->p - '0');
			m->p++;
		}
	} else {
		return false;
	}
	if (m->p < m->end && *m->p == '.') {
		simple = false;
		m->p++;
		if (m->p >= m->end || *m->p < '0' || *m->p > '9')
			return false;
		while (m->p < m->end && *m->p >= '0' && *m->p <= '9')
			m->p++;
	}
	if (m->p < m->end && (*m->p == 'e' || *m->p == 'E')) {
		simple = false;
		m->p++;
		if (m->p < m->end && (*m->p == '+' || *m->p == '-'))
			m->p++;
		if (m->p >= m->end || *m->p < '0' || *m->p > '9')
			return false;
		while (m->p < m->end && *m->p >= '0' && *m->p <= '9')
			m->p++;
	}
	*plain = simple && !overflow && v <= MODEL_PID_LIMIT ? (long)v : -1;
	return true;
}

static bool m_word(struct model *m, const char *w)
{
	size_t n = strlen(w);
	if ((size_t)(m->end - m->p) < n || memcmp(m->p, w, n) != 0)
		return false;
	m->p += n;
	return true;
}

/* Any JSON value at the given depth (the top-level object's members are at depth 1). */
/* After a member or element: 1 after a ',' (another follows), 0 after close (done), -1 otherwise. */
static int m_next(struct model *m, char close)
{
	skip_ws(m);
	if (m->p < m->end && (*m->p == ',' || *m->p == close))
		return *m->p++ == ',' ? 1 : 0;
	return -1;
}

struct keyset;
static bool keyset_add(struct keyset *ks, const struct span *k);

/* A member's key and its ':' (added to ks when given: repeated keys are refused). */
static bool m_key(struct model *m, struct span *k, struct keyset *ks)
{
	skip_ws(m);
	if (!m_string(m, k) || (ks && !keyset_add(ks, k)))
		return false;
	skip_ws(m);
	if (m->p >= m->end || *m->p != ':')
		return false;
	m->p++;
	return true;
}

/* Past an opening bracket: true (and past the closing one) when the object or array is empty. */
static bool m_empty(struct model *m, char close)
{
	m->p++;
	skip_ws(m);
	if (m->p < m->end && *m->p == close) {
		m->p++;
		return true;
	}
	return false;
}

static bool m_value(struct model *m, int depth)
{
	struct span s;
	long ignored;

	if (depth > MODEL_MAX_DEPTH)
		return false;
	skip_ws(m);
	if (m->p >= m->end)
		return false;
	switch (*m->p) {
	case '{':
		if (m_empty(m, '}'))
			return true;
		for (;;) {
			if (!m_key(m, &s, NULL) || !m_value(m, depth + 1))
				return false;
			int next = m_next(m, '}');

			if (next <= 0)
				return next == 0;
		}
	case '[':
		if (m_empty(m, ']'))
			return true;
		for (;;) {
			if (!m_value(m, depth + 1))
				return false;
			int next = m_next(m, ']');

			if (next <= 0)
				return next == 0;
		}
	case '"':
		return m_string(m, &s);
	case 't':
		return m_word(m, "true");
	case 'f':
		return m_word(m, "false");
	case 'n':
		return m_word(m, "null");
	default:
		return m_number(m, &ignored);
	}
}

static bool span_is(const struct span *s, const char *word)
{
	return s->n == strlen(word) && memcmp(s->p, word, s->n) == 0;
}

/* Keys of one object: unescaped, distinct, at most MODEL_MAX_KEYS. */
struct keyset {
	struct span k[MODEL_MAX_KEYS];
	int n;
};

static bool keyset_add(struct keyset *ks, const struct span *k)
{
	if (k->escaped)
		return false;
	for (int i = 0; i < ks->n; i++)
		if (ks->k[i].n == k->n && memcmp(ks->k[i].p, k->p, k->n) == 0)
			return false;
	if (ks->n == MODEL_MAX_KEYS)
		return false;
	ks->k[ks->n++] = *k;
	return true;
}

static bool span_has_prefix(const struct span *s, const char *prefix)
{
	size_t n = strlen(prefix);

	return s->n >= n && memcmp(s->p, prefix, n) == 0;
}

static bool m_object_name(const struct span *s)
{
	if (s->escaped || s->n == 0 || s->n > 253)
		return false;
	for (size_t i = 0; i < s->n; i++) {
		unsigned char c = s->p[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		if (!alnum && (i == 0 || !(c == '_' || c == '.' || c == '-')))
			return false;
	}
	return true;
}

/* After the whole object was read: the per-container trace key of containerd's container, from all pairs. */
static void m_trace_own(struct model *m, const struct span *keys, const struct span *values, int n)
{
	static const char prefix[] = "io.containers.trace-syscall/";
	const struct span *name = NULL;
	bool cri_any = false;

	for (int i = 0; i < n; i++) {
		cri_any |= span_has_prefix(&keys[i], "io.kubernetes.cri.");
		if (span_is(&keys[i], "io.kubernetes.cri.container-name"))
			name = &values[i];
	}
	if (!cri_any || !name || !m_object_name(name))
		return;
	for (int i = 0; i < n; i++) {
		if (keys[i].n == sizeof(prefix) - 1 + name->n && span_has_prefix(&keys[i], prefix) &&
		    memcmp(keys[i].p + sizeof(prefix) - 1, name->p, name->n) == 0) {
			m->trace_own = values[i];
			m->trace_own_set = true;
		}
	}
}

static bool m_annotations(struct model *m)
{
	static struct keyset ks;
	static struct span values[MODEL_MAX_KEYS];
	struct span k, v;

	ks.n = 0;
	skip_ws(m);
	if (m->p >= m->end || *m->p != '{')
		return false;
	if (m_empty(m, '}'))
		return true;
	for (;;) {
		int next;

		if (!m_key(m, &k, &ks))
			return false;
		skip_ws(m);
		if (!m_string(m, &v))
			return false;
		values[ks.n - 1] = v;
		if (span_is(&k, "io.kubernetes.cri-o.ContainerType")) {
			if (v.escaped)
				return false;
			m->sandbox = span_is(&v, "sandbox");
		}
		next = m_next(m, '}');
		if (next == 0)
			m_trace_own(m, ks.k, values, ks.n);
		if (next <= 0)
			return next == 0;
	}
}

static bool id_ok(const struct span *s)
{
	if (s->escaped || s->n == 0 || s->n > SCR_ID_MAX)
		return false;
	for (size_t i = 0; i < s->n; i++) {
		unsigned char c = s->p[i];
		bool alnum = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
		bool punct = c == '_' || c == '.' || c == '+' || c == '-';
		if (!alnum && (i == 0 || !punct))
			return false;
	}
	return true;
}

/* The model's verdict on the whole input. */
static bool model_accepts(const uint8_t *data, size_t size, struct model *m)
{
	static struct keyset top;
	struct span k;

	memset(m, 0, sizeof(*m));
	m->p = data;
	m->end = data + size;
	top.n = 0;
	skip_ws(m);
	if (m->p >= m->end || *m->p != '{')
		return false;
	if (!m_empty(m, '}')) {
		for (int next = 1; next == 1;) {
			if (!m_key(m, &k, &top))
				return false;
			skip_ws(m);
			if (span_is(&k, "id")) {
				if (!m_string(m, &m->id) || !id_ok(&m->id))
					return false;
				m->have_id = true;
			} else if (span_is(&k, "pid")) {
				long v;
				if (!m_number(m, &v) || v <= 1)
					return false;
				m->pid = v;
			} else if (span_is(&k, "annotations")) {
				if (!m_annotations(m))
					return false;
			} else if (!m_value(m, 1)) {
				return false;
			}
			next = m_next(m, '}');
			if (next < 0)
				return false;
		}
	}
	skip_ws(m);
	return m->p == m->end && m->have_id;
}

static void finding(const char *what, const uint8_t *data, size_t size)
{
	fprintf(stderr, "oci-state-fuzz: broken promise: %s (input of %zu bytes)\n", what, size);
	(void)data;
	abort();
}

/*
 * The admission (bpf/admission.c) on every accepted state, with and without roots: under the sanitizers any read
 * outside the annotation spans shows; a verdict is one of the three, and a refusal one printable line.
 */
static void check_admission(const struct scr_oci_state *st, const uint8_t *data, size_t size)
{
	static const char *const roots[] = { "/var/lib/seccomp-recorder/output", "/o" };
	char why[512];

	for (int nroots = 0; nroots <= 2; nroots += 2) {
		enum scr_admission verdict;

		memset(why, 0, sizeof(why));
		verdict = scr_admit(st, roots, nroots, why, sizeof(why));
		if (verdict != SCR_ADMIT && verdict != SCR_SKIP && verdict != SCR_REFUSE)
			finding("admission returned no verdict", data, size);
		if (verdict != SCR_REFUSE)
			continue;
		size_t n = strnlen(why, sizeof(why));
		if (n == 0 || n == sizeof(why))
			finding("admission refused without a one-line reason", data, size);
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)why[i] < 0x20 || why[i] == 0x7f)
				finding("control character in the admission's reason", data, size);
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct scr_oci_state st;
	struct model m;
	const char *why = NULL;
	bool accepted, expected;

	if (size > SCR_STATE_MAX)
		return -1; /* the helper refuses those before parsing */
	/* Poison the output so that a field the scanner forgets to set shows. */
	memset(&st, 0xa5, sizeof(st));
	accepted = scr_parse_oci_state((const char *)data, size, &st, &why);
	expected = model_accepts(data, size, &m);

	if (accepted && !expected)
		finding("the scanner accepted a state the header refuses", data, size);
	if (!accepted && expected)
		finding("the scanner refused a state the header accepts", data, size);
	if (accepted) {
		size_t n = strnlen(st.id, sizeof(st.id));
		if (n == sizeof(st.id))
			finding("accepted id is not NUL-terminated within SCR_ID_MAX + 1", data, size);
		if (n != m.id.n || memcmp(st.id, m.id.p, n) != 0)
			finding("accepted id differs from the document's", data, size);
		if (st.pid != m.pid)
			finding("accepted pid differs from the document's", data, size);
		if (st.pid != 0 && (st.pid < 2 || st.pid > MODEL_PID_LIMIT))
			finding("accepted pid out of range", data, size);
		if (st.sandbox != m.sandbox)
			finding("sandbox flag differs from the document's container type", data, size);
		if (st.trace_own.set != m.trace_own_set ||
		    (m.trace_own_set && ((const unsigned char *)st.trace_own.p != m.trace_own.p ||
					 st.trace_own.n != m.trace_own.n || st.trace_own.escaped != m.trace_own.escaped)))
			finding("per-container trace-syscall value differs from the document's", data, size);
		check_admission(&st, data, size);
	} else {
		if (why == NULL)
			finding("refused without a reason", data, size);
		size_t n = strnlen(why, 200);
		if (n == 0 || n == 200)
			finding("refusal message empty or longer than 199 bytes", data, size);
		for (size_t i = 0; i < n; i++)
			if ((unsigned char)why[i] < 0x20 || why[i] == 0x7f)
				finding("control character in the refusal message", data, size);
	}
	return 0;
}
