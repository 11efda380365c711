/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The few fields of an OCI state (the JSON a runtime writes to a hook's stdin) that the prestart hook needs
 * before the container's first instruction: id, pid and CRI-O's container type. The state is hostile input:
 * the whole document is validated as strict JSON, and anything odd is refused rather than guessed.
 */
#ifndef SCR_OCI_STATE_H
#define SCR_OCI_STATE_H

#include <stdbool.h>
#include <stddef.h>

#define SCR_STATE_MAX (1024 * 1024) /* larger states are refused */
#define SCR_ID_MAX 128

/* An annotation value as it stands in the state: the bytes between its quotes, still JSON-escaped. */
struct scr_json_str {
	const char *p;
	size_t n;
	bool set;     /* the key is present */
	bool escaped; /* the value holds escapes: whoever needs the value refuses it rather than decode it */
};

struct scr_oci_state {
	char id[SCR_ID_MAX + 1];
	long pid;              /* 0 when absent */
	bool sandbox;          /* io.kubernetes.cri-o.ContainerType == "sandbox" */
	/* What the admission (admission.h) decides on; the pointers point into the text given to the parser. */
	struct scr_json_str crio_type;     /* io.kubernetes.cri-o.ContainerType */
	struct scr_json_str crio_name;     /* io.kubernetes.cri-o.ContainerName */
	struct scr_json_str crio_labels;   /* io.kubernetes.cri-o.Labels */
	struct scr_json_str cri_type;      /* io.kubernetes.cri.container-type (containerd) */
	struct scr_json_str cri_namespace; /* io.kubernetes.cri.sandbox-namespace (containerd) */
	struct scr_json_str cri_name;      /* io.kubernetes.cri.container-name (containerd) */
	struct scr_json_str manager;       /* io.container.manager (podman) */
	struct scr_json_str trace;         /* io.containers.trace-syscall */
	/* io.containers.trace-syscall/<cri_name>: containerd passes a pod's per-container key to every container of
	 * the pod unchanged; it is picked only for a containerd container (cri_any) whose cri_name is a Kubernetes
	 * name, unescaped. The admission prefers it to the plain key (src/oci/annotations.ts traceSyscallKey). */
	struct scr_json_str trace_own;
	struct scr_json_str bundle;        /* the top-level "bundle" (hook-poststop: podman's container name) */
	struct scr_json_str record;        /* seccomp-recorder.io/record */
	struct scr_json_str tail;          /* seccomp-recorder.io/runtime-tail */
	struct scr_json_str threads;       /* seccomp-recorder.io/runtime-threads */
	struct scr_json_str check;         /* seccomp-recorder.io/check (a complain-mode check run) */
	bool cri_any;          /* some key starts with io.kubernetes.cri. (containerd) */
	bool has_annotations;  /* the state carries an "annotations" object (without one, the poststop reads the
				* bundle's config.json: whether recording was asked cannot be told here) */
};

/* hook-poststop sets it: crun writes "pid": 0 once the container is gone (read as no pid). */
extern bool scr_state_pid_zero_ok;

/* Parse len bytes; on failure returns false and points *why at a static message. */
bool scr_parse_oci_state(const char *text, size_t len, struct scr_oci_state *out, const char **why);

#endif /* SCR_OCI_STATE_H */
