// SPDX-License-Identifier: Apache-2.0
/*
 * What both OCI hooks read and write: the OCI state on stdin, and spool files written whole (a temp name in the
 * spool, then rename(2)), so that a reader sees no file or the whole file and a kill -9 leaves at most the temp
 * file, which gc removes once its writer is gone.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <unistd.h>
#include "helper.h"
#include "oci-state.h"

size_t read_oci_state(char *state)
{
	size_t len = 0;
	ssize_t n;

	while (len <= SCR_STATE_MAX && (n = read(STDIN_FILENO, state + len, SCR_STATE_MAX + 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail(EX_USAGE, R_STATE, errno, "cannot read the OCI state from stdin");
		len += (size_t)n;
	}
	if (len > SCR_STATE_MAX)
		fail(EX_USAGE, R_STATE, 0, "the OCI state is larger than %d bytes", SCR_STATE_MAX);
	return len;
}

FILE *spool_file_create(const char *tmp)
{
	FILE *f;
	int fd;

	unlink(tmp); /* a dead writer's, with our pid */
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		return NULL;
	if (!(f = fdopen(fd, "w")))
		close(fd);
	return f;
}

bool spool_file_commit(FILE *f, const char *tmp, const char *dst, bool sync)
{
	bool ok = fflush(f) == 0 && (!sync || fsync(fileno(f)) == 0);

	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, dst) != 0) {
		unlink(tmp);
		return false;
	}
	return true;
}
