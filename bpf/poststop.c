// SPDX-License-Identifier: Apache-2.0
/*
 * hook-poststop: the OCI poststop hook. The runtime waits for it, so it does only what must happen before the
 * container's resources go: under the container's lock (<spool>/c.<id>.lock, the same flock(2) src/fs/lock.ts
 * takes) the kernel's marks are copied into the crash-safe journal <id>.taken, then the kernel target is removed
 * (the release protocol of src/spool/release.ts, natively, for the common case). Naming, merging and writing the
 * outputs happen off the runtime's path, in the finaliser (src/hook/finaliser.ts), which this hook starts when
 * none runs.
 *
 * What is left to the finaliser, with the journal as the only thing written here:
 *   - an orphan-<ns_id>.json exists (a prestart moved the recording aside): the journal holds an empty target and
 *     the finaliser takes the orphan and any kernel target still this namespace's (release.ts does the checks).
 * What runs the Node poststop in the foreground (--fallback), as before this hook was native:
 *   - a journal of this container id exists already (an earlier run whose outputs are still owed: podman restart),
 *     the note is not in the form the prestart writes, or the state carries no annotations (they are in the
 *     bundle's config.json, which may be gone once the runtime returns): the TypeScript finaliser handles all three.
 * What must be read before the container's resources go is read here and kept in the journal: podman's name for
 * the container (podman_name).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <sys/mman.h>
#include <sys/random.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include "helper.h"
#include "oci-state.h"

#define LOCK_WAIT_MS 30000	/* as CONTAINER_LOCK_TIMEOUT_MS in src/spool/finalise.ts */
#define LOCK_RECORD_BYTES 512	/* as RECORD_BYTES in src/fs/lock.ts */
#define PATH_BYTES 4352

/* The prestart's note (bpf/prestart.c write_spool), read back. */
struct note {
	char *text; /* the whole file */
	__u32 mntns;
	__u64 ns_id;
	char runtime[32];
	long long registered_ms;
	const char *state; /* the state's bytes in text, as readSpoolNote takes them */
	size_t state_len;
};

static long long now_ms(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void sleep_ms(long ms)
{
	struct timespec ts = { .tv_sec = ms / 1000, .tv_nsec = (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static void random_hex(char *out, size_t bytes)
{
	unsigned char raw[16];

	if (bytes > sizeof(raw) || getrandom(raw, bytes, 0) != (ssize_t)bytes)
		fail(EX_RUNTIME, R_NO_MEMORY, errno, "no random bytes");
	for (size_t i = 0; i < bytes; i++)
		sprintf(out + 2 * i, "%02x", raw[i]);
}

/* ---- the container lock: src/fs/lock.ts's protocol on the same files ---------------------------------------- */

/* The owner record lock.ts writes (JSON padded with spaces to 512 bytes, newline ended). */
static void owner_record(char *out)
{
	char host[256] = "", start[32] = "null", pidns[64] = "", token[33], path[64], buf[1024];
	size_t n;
	int len;
	FILE *f;

	gethostname(host, sizeof(host) - 1);
	snprintf(path, sizeof(path), "/proc/%d/stat", getpid());
	if ((f = fopen(path, "re"))) {
		if (fgets(buf, sizeof(buf), f)) {
			char *p = strrchr(buf, ')');
			unsigned long long st;

			/* field 22: after ") " come fields 3…; starttime is the 20th of them */
			if (p && sscanf(p + 2, "%*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %*s %llu",
					&st) == 1)
				snprintf(start, sizeof(start), "\"%llu\"", st);
		}
		fclose(f);
	}
	n = (size_t)readlink("/proc/self/ns/pid", pidns, sizeof(pidns) - 1);
	pidns[n < sizeof(pidns) ? n : 0] = 0;
	random_hex(token, 16);
	for (char *h = host; *h; h++)
		if (*h == '"' || *h == '\\' || (unsigned char)*h < 0x20)
			*h = '_';
	len = snprintf(out, LOCK_RECORD_BYTES,
		       "{\"pid\":%d,\"host\":\"%s\",\"start\":%s,\"pidns\":\"%s\",\"token\":\"%s\",\"at\":%lld}", getpid(), host,
		       start, pidns, token, now_ms(CLOCK_REALTIME));
	/* snprintf returns the length it wanted: never pad from past the buffer */
	n = len < 0 ? 0 : len >= LOCK_RECORD_BYTES ? LOCK_RECORD_BYTES - 1 : (size_t)len;
	memset(out + n, ' ', LOCK_RECORD_BYTES - 1 - n);
	out[LOCK_RECORD_BYTES - 1] = '\n';
}

/* Creates path whole with the owner record: a temp file named as src/fs/atomic-write.ts names them, then link(2). */
static void create_lock_file(const char *path, const char *dir, const char *name, const char *record)
{
	char tmp[PATH_BYTES], hex[9];
	int fd;

	random_hex(hex, 4);
	snprintf(tmp, sizeof(tmp), "%s/.%s.%d.%s.seccomp-recorder.tmp", dir, name, getpid(), hex);
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		fail(EX_RUNTIME, R_LOCK, errno, "cannot create %s", tmp);
	if (write(fd, record, LOCK_RECORD_BYTES) != LOCK_RECORD_BYTES) {
		int err = errno;

		close(fd);
		unlink(tmp);
		fail(EX_RUNTIME, R_LOCK, err, "cannot write %s", tmp);
	}
	close(fd);
	if (link(tmp, path) != 0 && errno != EEXIST) {
		int err = errno;

		unlink(tmp);
		fail(EX_RUNTIME, R_LOCK, err, "cannot create %s", path);
	}
	unlink(tmp);
}

/* Whether path still names the file open at fd (a holder removes it on release). */
static bool same_file(int fd, const char *path)
{
	struct stat a, b;

	return lstat(path, &a) == 0 && fstat(fd, &b) == 0 && a.st_ino == b.st_ino && a.st_dev == b.st_dev;
}

/* Takes <dir>/<name> as lock.ts does (waiting up to LOCK_WAIT_MS); returns the descriptor that holds it. */
static int take_lock(const char *dir, const char *name, const char *what)
{
	char path[PATH_BYTES], record[LOCK_RECORD_BYTES];
	long long deadline = now_ms(CLOCK_MONOTONIC) + LOCK_WAIT_MS;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	owner_record(record);
	for (;;) {
		struct stat st;
		long wait = 1;
		int fd = open(path, O_RDWR | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);

		if (fd < 0 && errno == ENOENT) {
			create_lock_file(path, dir, name, record);
			continue;
		}
		if (fd < 0)
			fail(EX_RUNTIME, R_LOCK, errno, "cannot open the lock file %s", path);
		if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_uid != geteuid())
			fail(EX_RUNTIME, R_LOCK, 0, "refusing the lock file %s: not a regular file of ours", path);
		/* A second name: a creator between its link(2) and unlink(2); lock.ts settles it. Wait for that. */
		if (st.st_nlink > 1) {
			close(fd);
			if (now_ms(CLOCK_MONOTONIC) > deadline)
				fail(EX_RUNTIME, R_LOCK, 0, "the lock file %s has %lu links", path, (unsigned long)st.st_nlink);
			sleep_ms(5);
			continue;
		}
		if (st.st_mode & 077)
			fchmod(fd, 0600);
		while (flock(fd, LOCK_EX | LOCK_NB) != 0) {
			if (errno != EWOULDBLOCK && errno != EINTR)
				fail(EX_RUNTIME, R_LOCK, errno, "cannot lock %s", path);
			if (now_ms(CLOCK_MONOTONIC) > deadline)
				fail(EX_RUNTIME, R_LOCK, 0, "could not lock %s within %d s", what, LOCK_WAIT_MS / 1000);
			sleep_ms(wait);
			wait = wait < 20 ? wait * 2 : 20;
		}
		if (same_file(fd, path)) {
			if (pwrite(fd, record, LOCK_RECORD_BYTES, 0) == LOCK_RECORD_BYTES && st.st_size > LOCK_RECORD_BYTES)
				if (ftruncate(fd, LOCK_RECORD_BYTES) != 0)
					; /* the record is whole either way */
			return fd;
		}
		close(fd); /* removed by the holder we waited for: take the file now at path */
	}
}

/* Removes the lock file while still holding it (only if it is still ours), then drops the lock. */
static void release_lock(int fd, const char *dir, const char *name)
{
	char path[PATH_BYTES];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	if (same_file(fd, path))
		unlink(path);
	close(fd);
}

/* ---- the note and the journal --------------------------------------------------------------------------------- */

/* Reads <spool>/<id>.json; false when absent. note->text is NULL when it is not in the prestart's form. */
static bool read_note(const char *spool, const char *id, struct note *n)
{
	char path[PATH_BYTES];
	struct stat st;
	const char *last;
	int fd, used = -1;
	ssize_t got;

	*n = (struct note){};
	snprintf(path, sizeof(path), "%s/%s.json", spool, id);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 && errno == ENOENT)
		return false;
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size > 2 * SCR_STATE_MAX) {
		if (fd >= 0)
			close(fd);
		return true;
	}
	n->text = calloc(1, (size_t)st.st_size + 1);
	got = n->text ? read(fd, n->text, (size_t)st.st_size) : -1;
	close(fd);
	if (got != st.st_size)
		goto damaged;
	n->text[got] = 0;
	sscanf(n->text, "{\"mntns\":%u,\"ns_id\":%llu,\"runtime\":\"%31[A-Za-z0-9_.-]\",\"registered_unix_ms\":%lld,\"state\":%n",
	       &n->mntns, (unsigned long long *)&n->ns_id, n->runtime, &n->registered_ms, &used);
	if (used < 0) {
		n->runtime[0] = 0;
		sscanf(n->text, "{\"mntns\":%u,\"ns_id\":%llu,\"runtime\":\"\",\"registered_unix_ms\":%lld,\"state\":%n",
		       &n->mntns, (unsigned long long *)&n->ns_id, &n->registered_ms, &used);
	}
	last = strrchr(n->text, '}');
	if (used < 0 || !last || last < n->text + used || !n->mntns)
		goto damaged;
	n->state = n->text + used;
	n->state_len = (size_t)(last - n->state);
	return true;
damaged:
	free(n->text);
	n->text = NULL;
	return true;
}

static bool file_exists(const char *dir, const char *fmt, const char *id, unsigned long long num)
{
	char name[PATH_BYTES / 2], path[PATH_BYTES];
	struct stat st;

	if (id)
		snprintf(name, sizeof(name), fmt, id);
	else
		snprintf(name, sizeof(name), fmt, num);
	snprintf(path, sizeof(path), "%s/%s", dir, name);
	return lstat(path, &st) == 0;
}

/* The end time as JavaScript's toISOString writes it, and the store's recording id (src/store/model.ts newRecordingId). */
static void end_stamps(const char *id, char *iso, size_t iso_size, char *rec, size_t rec_size)
{
	long long ms = now_ms(CLOCK_REALTIME);
	time_t secs = (time_t)(ms / 1000);
	struct tm tm;
	char container[13] = "", hex[13];
	size_t j = 0;

	gmtime_r(&secs, &tm);
	snprintf(iso, iso_size, "%04d-%02d-%02dT%02d:%02d:%02d.%03dZ", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000));
	for (const char *p = id; *p && j < 12; p++)
		if ((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9'))
			container[j++] = *p;
	container[j] = 0;
	random_hex(hex, 6);
	snprintf(rec, rec_size, "%04d%02d%02dT%02d%02d%02d%03dZ%s%s-%s", tm.tm_year + 1900, tm.tm_mon + 1, tm.tm_mday,
		 tm.tm_hour, tm.tm_min, tm.tm_sec, (int)(ms % 1000), j ? "-" : "", container, hex);
}

/*
 * <spool>/<id>.taken, the journal src/spool/layout.ts readJournal accepts, written whole under a temp name, then
 * renamed: a reader (finaliser, gc) sees no journal or the whole journal, and a kill -9 at any point leaves at most
 * the temp file (gc removes it once its writer is gone; the kernel target is removed only after the rename). Its
 * target is exactly what `read`/`remove` print (print_result).
 * Neither the file nor the directory is fsynced (that was 1-20 ms of every recorded container's exit here, on the
 * runtime's path): an fsync only matters if the machine itself goes down. Then every recording still in progress is
 * lost with the kernel's maps, and with the default spool on a tmpfs (/run) every note and journal with them; the
 * fsync bought something only on a spool kept on disk, and only for the container that exited in the moment
 * (milliseconds, seconds at most under load) before the finaliser wrote its outputs, which are fsynced
 * (src/fs/atomic-write.ts). Such a journal may come back empty or not at all: gc reports the note as a recording
 * gone (readJournal takes an unreadable journal for none), as it does for a container running at the crash.
 */
static bool write_journal(const char *spool, const char *id, const struct note *n, const struct result *r,
			  const char *iso, const char *rec, const char *podman)
{
	char tmp[PATH_BYTES], dst[PATH_BYTES], *target = NULL;
	size_t target_len = 0;
	FILE *f, *mem;

	if (!(mem = open_memstream(&target, &target_len)))
		return false;
	print_result(mem, r, -1);
	fclose(mem);
	while (target_len && target[target_len - 1] == '\n')
		target_len--;
	snprintf(dst, sizeof(dst), "%s/%s.taken", spool, id);
	snprintf(tmp, sizeof(tmp), "%s/.%s.taken.%d.tmp", spool, id, getpid());
	if (!(f = spool_file_create(tmp))) {
		free(target);
		return false;
	}
	fputs("{\"version\":1,\"id\":", f);
	print_json_string(f, id, strlen(id));
	fprintf(f, ",\"mntns\":%u,\"ns_id\":%llu,\"endedAt\":\"%s\",\"recordingId\":\"%s\",\"target\":", n->mntns,
		(unsigned long long)n->ns_id, iso, rec);
	fwrite(target, 1, target_len, f);
	fprintf(f, ",\"note\":{\"runtime\":\"%s\",\"registered_unix_ms\":%lld,\"state\":", n->runtime, n->registered_ms);
	print_json_string(f, n->state, n->state_len);
	fputc('}', f);
	if (*podman)
		fprintf(f, ",\"podmanName\":\"%s\"", podman);
	fputs("}\n", f);
	free(target);
	return spool_file_commit(f, tmp, dst, false);
}

/* Whether the removal's snapshot b has anything the read's a lacks (layout.ts targetAdds): b is a later snapshot
 * of the same target, so it only ever has more. */
static bool result_adds(const struct result *a, const struct result *b)
{
	for (int i = 0; i < SCR_ABI_COUNT; i++)
		if (b->sys[i].n != a->sys[i].n)
			return true;
	/* argument values: a tuple made ready, or an overflow, between the read and the removal */
	if (b->has_args != a->has_args)
		return true;
	for (int i = 0; b->has_args && i < SCR_ARG_SYSCALLS; i++)
		if (b->args.set[i].ready != a->args.set[i].ready || b->args.set[i].overflow != a->args.set[i].overflow)
			return true;
	return b->t.lost != a->t.lost || b->t.flags != a->t.flags || b->t.over_nested != a->t.over_nested ||
	       b->t.over_words != a->t.over_words;
}

/*
 * podman's name for the container (src/naming/podman.ts reads it the same way): podman removes the container's
 * entry from <graph root>/<driver>-containers/containers.json when it is gone (--rm), before the finaliser runs,
 * so it is read now and kept in the journal. The bundle is <graph root>/<driver>-containers/<id>/userdata. Only
 * name characters are taken (the finaliser checks the name again); anything else: no name, as in TypeScript.
 */
static void podman_name(const struct scr_oci_state *st, char *name, size_t size)
{
	char bundle[PATH_BYTES], path[PATH_BYTES], key[SCR_ID_MAX + 16], *text = NULL, *at, *end;
	size_t idn = strlen(st->id), n = st->bundle.n, j = 0;
	struct stat sb;
	int fd = -1;

	name[0] = 0;
	if (!st->bundle.set || st->bundle.escaped || n + 1 > sizeof(bundle) || n < idn + 20)
		return;
	memcpy(bundle, st->bundle.p, n);
	bundle[n] = 0;
	/* .../<x>-containers/<id>/userdata */
	if (strcmp(bundle + n - 9, "/userdata") || bundle[n - 10 - idn] != '/' ||
	    strncmp(bundle + n - 9 - idn, st->id, idn))
		return;
	bundle[n - 10 - idn] = 0;
	if (strlen(bundle) < 11 || strcmp(bundle + strlen(bundle) - 11, "-containers"))
		return;
	snprintf(path, sizeof(path), "%s/containers.json", bundle);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_size > 32 * 1024 * 1024 ||
	    !(text = calloc(1, (size_t)sb.st_size + 1)))
		goto out;
	/* read(2) may return less than asked: until end of file or the size fstat gave */
	for (size_t got = 0; got < (size_t)sb.st_size;) {
		ssize_t r = read(fd, text + got, (size_t)sb.st_size - got);

		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			goto out;
		if (r == 0)
			break;
		got += (size_t)r;
	}
	snprintf(key, sizeof(key), "\"id\":\"%s\"", st->id);
	if (!(at = strstr(text, key)))
		goto out;
	end = strstr(at + strlen(key), "\"id\":\""); /* the next container's entry */
	at = strstr(at, "\"names\":[\"");
	if (!at || (end && at > end))
		goto out;
	for (at += 10; *at && *at != '"' && j + 1 < size; at++) {
		if (!((*at >= 'a' && *at <= 'z') || (*at >= 'A' && *at <= 'Z') || (*at >= '0' && *at <= '9') ||
		      strchr("_.-", *at))) {
			j = 0;
			break;
		}
		name[j++] = *at;
	}
	name[*at == '"' ? j : 0] = 0;
out:
	free(text);
	if (fd >= 0)
		close(fd);
}

/* ---- the finaliser and the fallback -------------------------------------------------------------------------- */

/* Whether a finaliser holds <spool>/finaliser.lock (taken by src/hook/finaliser.ts through src/fs/lock.ts). */
static bool finaliser_running(const char *spool)
{
	char path[PATH_BYTES];
	bool held;
	int fd;

	snprintf(path, sizeof(path), "%s/finaliser.lock", spool);
	fd = open(path, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
	if (fd < 0)
		return false;
	held = flock(fd, LOCK_EX | LOCK_NB) != 0 && errno == EWOULDBLOCK;
	close(fd); /* drops it if we got it */
	return held;
}

/* The finaliser's stdout and stderr: <spool>/finaliser.log when that is a regular file of ours with one link (a
 * FIFO, a device, another owner's file or a hard link to a file elsewhere gets nothing: the lines go to memory). */
static int finaliser_log(const char *spool)
{
	char log[PATH_BYTES];
	struct stat sb;
	int out;

	snprintf(log, sizeof(log), "%s/finaliser.log", spool);
	out = open(log, O_WRONLY | O_CREAT | O_APPEND | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC, 0600);
	if (out >= 0 &&
	    (fstat(out, &sb) != 0 || !S_ISREG(sb.st_mode) || sb.st_uid != geteuid() || sb.st_nlink != 1)) {
		close(out);
		out = -1;
	}
	return out >= 0 ? out : memfd_create("finaliser.log", MFD_CLOEXEC);
}

/*
 * Starts the finaliser unless one runs, without keeping the runtime waiting. runc and podman read a hook's stdout
 * and stderr to end of file before they go on: any process still holding those pipes holds them up (the child of a
 * fork until it has put its own stdio elsewhere; on a busy node that child waited 10-30 ms for a CPU first). So
 * this hook hands its own stdio over before it forks (it has printed its line; a later warning goes to the log):
 * stdin a pipe without a writer (end of file at once), stdout and stderr <spool>/finaliser.log. The child inherits
 * only those, and is not waited for: the hook exits at once and the finaliser is reparented (to init or the
 * runtime's subreaper, which reaps it), as the grandchild of a double fork was. The child, off the runtime's path:
 * a session of its own, signals reset (crun blocks them), nice 19 and SCHED_BATCH, in / with umask 077, every
 * other descriptor closed, then the finaliser told the spool (--spool). The finaliser takes its lock itself; two
 * started at once: one of them stays.
 */
static void start_finaliser(const char *spool, const char *finaliser)
{
	int out, empty[2];

	if (!finaliser || finaliser_running(spool))
		return;
	out = finaliser_log(spool);
	if (out < 0 || pipe2(empty, O_CLOEXEC) != 0) {
		warn("cannot start the finaliser %s: %s (gc will finish the recording)", finaliser, strerror(errno));
		if (out >= 0)
			close(out);
		return;
	}
	close(empty[1]);
	fflush(stdout);
	fflush(stderr);
	if (dup2(empty[0], STDIN_FILENO) < 0 || dup2(out, STDOUT_FILENO) < 0 || dup2(out, STDERR_FILENO) < 0) {
		warn("cannot start the finaliser %s: %s (gc will finish the recording)", finaliser, strerror(errno));
		return;
	}
	close(empty[0]);
	close(out);
	switch (fork()) {
	case -1:
		warn("cannot start the finaliser %s: %s (gc will finish the recording)", finaliser, strerror(errno));
		return;
	case 0:
		break;
	default:
		return;
	}
	setsid();
	reset_signals();
	setpriority(PRIO_PROCESS, 0, 19);
	/* SCHED_BATCH, not SCHED_IDLE: its children take the helper lock every prestart waits for. */
	sched_setscheduler(0, SCHED_BATCH, &(struct sched_param){ .sched_priority = 0 });
	umask(077);
	if (chdir("/") != 0)
		_exit(1);
	close_range(3, ~0U, 0);
	execl(finaliser, finaliser, "--spool", spool, (char *)NULL);
	_exit(127);
}

/* Runs the Node poststop in our place with the state on its stdin: the runtime waits for it, as it did before. */
static int run_fallback(const char *fallback, const char *state, size_t len, const char *why, const char *id)
{
	int fd;

	if (!fallback) {
		warn("container %s: %s; `seccomp-recorder gc` will finish its recording", id, why);
		return EX_OK;
	}
	fd = memfd_create("oci-state", 0);
	if (fd < 0 || write(fd, state, len) != (ssize_t)len || lseek(fd, 0, SEEK_SET) != 0 || dup2(fd, 0) < 0)
		fail(EX_RUNTIME, R_SPOOL, errno, "container %s: cannot hand the state to %s", id, fallback);
	close(fd);
	execl(fallback, fallback, (char *)NULL);
	fail(EX_RUNTIME, R_EXEC_FAILED, errno, "cannot run %s", fallback);
}

/* ---- the hook ------------------------------------------------------------------------------------------------ */

/* The kernel part, under the helper's lock: journal first, then the removal (release.ts, steps 1-3). */
static void take_into_journal(const char *spool, const char *id, const struct note *n, const char *podman)
{
	struct result read, removed;
	struct scr_target t;
	struct attach_info ai;
	char iso[32], rec[64];
	bool ours, orphan;

	need_bpf();
	if (pinned(PIN_ENTER) != open_maps()) {
		lock();
		ensure_pins(&ai, false);
		unlock();
	}
	lock();
	orphan = n->ns_id && file_exists(spool, "orphan-%llu.json", NULL, (unsigned long long)n->ns_id);
	ours = open_maps() && find_entry(n->mntns, &t, NULL) && t.owner == n->mntns &&
	       (!n->ns_id || !t.ns_id || t.ns_id == n->ns_id);
	end_stamps(id, iso, sizeof(iso), rec, sizeof(rec));
	if (orphan) {
		/* A prestart moved (part of) it aside: the finaliser takes the union (release.ts takeOrphan). */
		read = (struct result){ .mntns = n->mntns, .t = { .ns_id = n->ns_id } };
		if (!write_journal(spool, id, n, &read, iso, rec, podman))
			fail(EX_RUNTIME, R_SPOOL, errno, "cannot write %s/%s.taken", spool, id);
		unlock();
		return;
	}
	if (!ours) {
		char path[PATH_BYTES];

		/* Nothing holds its syscalls: as finalise.ts startJournal, the note goes (it can never be finalised). */
		snprintf(path, sizeof(path), "%s/%s.json", spool, id);
		unlink(path);
		unlock();
		fail(EX_RUNTIME, R_RECORDING_GONE, 0,
		     "the recording of mount namespace %u (ns_id %llu) is gone: %s", n->mntns, (unsigned long long)n->ns_id,
		     open_maps() && find_entry(n->mntns, &t, NULL) ? "its number now belongs to another namespace"
								   : "no kernel target and no orphan left");
	}
	take_result(n->mntns, false, &read);
	if (!write_journal(spool, id, n, &read, iso, rec, podman))
		fail(EX_RUNTIME, R_SPOOL, errno, "cannot write %s/%s.taken", spool, id);
	/* Still ours: we hold the lock every prestart takes before it could move it aside. */
	take_result(n->mntns, true, &removed);
	release_stamp(); /* as remove --keep-attached: a detach-idle counts its linger from this release */
	if (result_adds(&read, &removed) && !write_journal(spool, id, n, &removed, iso, rec, podman))
		fail(EX_RUNTIME, R_SPOOL, errno, "cannot write %s/%s.taken", spool, id);
	unlock();
	result_free(&read);
	result_free(&removed);
}

int cmd_hook_poststop(struct opts *o)
{
	static char state[SCR_STATE_MAX + 1];
	struct scr_oci_state st;
	struct note n;
	const char *why;
	char lock_name[SCR_ID_MAX + 16], podman[256];
	size_t len;
	int lock_fd;

	hook_mode = true;
	if (!o->spool)
		usage("hook-poststop needs --spool /ABS/DIR");
	len = read_oci_state(state);
	scr_state_pid_zero_ok = true;
	if (!scr_parse_oci_state(state, len, &st, &why))
		fail(EX_USAGE, R_STATE, 0, "refusing the OCI state: %s", why);
	/* containerd runs the hooks for every container: one that asks for nothing is done at once. */
	if (st.has_annotations && !st.record.set && !st.check.set && !st.trace.set && !st.trace_own.set)
		return EX_OK;
	/* No note: nothing was registered (and no lock file is made for it). */
	if (!file_exists(o->spool, "%s.json", st.id, 0))
		return EX_OK;

	snprintf(lock_name, sizeof(lock_name), "c.%s.lock", st.id);
	lock_fd = take_lock(o->spool, lock_name, "the recording of this container");
	if (!read_note(o->spool, st.id, &n)) {
		release_lock(lock_fd, o->spool, lock_name); /* finalised meanwhile (gc) */
		return EX_OK;
	}
	/* Left to the Node poststop, in the foreground: an earlier run still owes its outputs; a note not in the
	 * prestart's form; a state without annotations (they are in the bundle's config.json, gone after exit). */
	if (!n.text || !st.has_annotations || file_exists(o->spool, "%s.taken", st.id, 0)) {
		release_lock(lock_fd, o->spool, lock_name);
		return run_fallback(o->fallback, state, len,
				    !n.text		    ? "its spool note is not the prestart's"
				    : !st.has_annotations ? "its state carries no annotations"
							    : "an earlier run's recording is still being written",
				    st.id);
	}
	podman_name(&st, podman, sizeof(podman));
	take_into_journal(o->spool, st.id, &n, podman);
	release_lock(lock_fd, o->spool, lock_name);
	free(n.text);
	printf("{\"id\":\"%s\",\"journal\":true}\n", st.id);
	start_finaliser(o->spool, o->finaliser); /* last: it hands this hook's stdio over to the finaliser's log */
	return EX_OK;
}
