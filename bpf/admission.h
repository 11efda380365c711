/* SPDX-License-Identifier: Apache-2.0 */
/*
 * The prestart's admission: whether a container's annotations ask for something the poststop would refuse, decided
 * before the container's first instruction so the refusal reaches the user through the runtime (a container that
 * does not start, or a warning with --on-error warn) instead of a profile that silently never appears. The
 * authority stays with the TypeScript poststop (src/oci/identity.ts, src/oci/annotations.ts,
 * src/spool/confined-output.ts), which applies the same rules again; this is the subset that needs no file system:
 * who made the container, its namespace, and the syntax and place of every path and value it asks for.
 */
#ifndef SCR_ADMISSION_H
#define SCR_ADMISSION_H

#include <stddef.h>
#include "oci-state.h"

enum scr_admission {
	SCR_ADMIT,  /* register the container */
	SCR_SKIP,   /* asks for no recording, or a pod's sandbox (infra) container: never recorded */
	SCR_REFUSE, /* why holds one line for the runtime's log */
};

/*
 * roots: the configured output roots (absolute, without a trailing '/'), as install passes them with
 * --output-root. why: a buffer for the reason (one line, no control characters).
 */
enum scr_admission scr_admit(const struct scr_oci_state *st, const char *const *roots, int nroots, char *why,
			     size_t size);

#endif /* SCR_ADMISSION_H */
