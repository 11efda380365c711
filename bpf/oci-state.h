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

struct scr_oci_state {
	char id[SCR_ID_MAX + 1];
	long pid;              /* 0 when absent */
	bool sandbox;          /* io.kubernetes.cri-o.ContainerType == "sandbox" */
};

/* Parse len bytes; on failure returns false and points *why at a static message. */
bool scr_parse_oci_state(const char *text, size_t len, struct scr_oci_state *out, const char **why);

#endif /* SCR_OCI_STATE_H */
