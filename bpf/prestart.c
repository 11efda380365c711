// SPDX-License-Identifier: Apache-2.0
/*
 * hook-prestart: the OCI prestart hook. Reads and admits the OCI state (oci-state.c, admission.c), registers the
 * container's mount namespace before its first instruction and leaves notes in the spool for the poststop stage:
 * <id>.json (what was registered) and orphan-<ns_id>.json (an unread recording whose namespace number was reused).
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/stat.h>
#include "admission.h"
#include "helper.h"
#include "oci-state.h"

/* mkdir -p for the spool (root only, 0700). */
static void make_dirs(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		fail(EX_USAGE, R_USAGE, 0, "--spool path too long");
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			fail(EX_RUNTIME, R_SPOOL, errno, "cannot create %s", buf);
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		fail(EX_RUNTIME, R_SPOOL, errno, "cannot create %s", buf);
}

/* The runtime that runs this hook (runc, crun, …): the parent's comm, reduced to safe characters. */
static void runtime_name(char *out, size_t size)
{
	char path[64], comm[32] = "";
	FILE *f;
	size_t j = 0;

	snprintf(path, sizeof(path), "/proc/%d/comm", getppid());
	if ((f = fopen(path, "re"))) {
		if (!fgets(comm, sizeof(comm), f))
			comm[0] = 0;
		fclose(f);
	}
	for (size_t i = 0; comm[i] && j + 1 < size; i++)
		if ((comm[i] >= 'a' && comm[i] <= 'z') || (comm[i] >= 'A' && comm[i] <= 'Z') ||
		    (comm[i] >= '0' && comm[i] <= '9') || strchr("_.-", comm[i]))
			out[j++] = comm[i];
	out[j] = 0;
}

/*
 * Leave a note for the poststop stage: <spool>/<id>.json, written whole under a temp name, then renamed: a reader
 * (poststop, gc) sees no note or the whole note, and a kill -9 at any point leaves at most the temp file, which gc
 * removes once its writer is gone. Neither the file nor the directory is fsynced (that was 1-30 ms of every recorded
 * container's start here): an fsync only matters if the machine itself goes down, and then the note has nothing
 * left to point to — the kernel target it names is gone with the boot, and the default spool is on a tmpfs (/run).
 * On a spool kept on disk, such a crash may leave the note empty: gc reports it (`spool-damaged`) where a whole note
 * would have been finalised as a recording gone — nothing is lost that the crash had not lost already. The orphan
 * files below are the only copy of a recording and keep their fsync.
 */
static bool write_spool(const char *spool, const struct scr_oci_state *st, __u32 inum, __u64 id, const char *state,
			size_t len)
{
	char tmp[4352], dst[4352], runtime[32];
	struct timespec now;
	FILE *f;

	snprintf(dst, sizeof(dst), "%s/%s.json", spool, st->id);
	snprintf(tmp, sizeof(tmp), "%s/.%s.%d.tmp", spool, st->id, getpid());
	if (!(f = spool_file_create(tmp)))
		return false;
	clock_gettime(CLOCK_REALTIME, &now);
	runtime_name(runtime, sizeof(runtime));
	fprintf(f, "{\"mntns\":%u,\"ns_id\":%llu,\"runtime\":\"%s\",\"registered_unix_ms\":%lld,\"state\":", inum,
		(unsigned long long)id, runtime, (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
	fwrite(state, 1, len, f); /* validated strict JSON: embedded as it is */
	fputs("}\n", f);
	return spool_file_commit(f, tmp, dst, false);
}

/* Write the target of inum to <spool>/orphan-<ns_id>.json atomically (temp file, fsync, rename); with del the
 * target is taken out of the maps in the same snapshot. */
static void write_orphan(const char *spool, __u32 inum, __u64 ns_id, bool del)
{
	char tmp[4352], dst[4352];
	struct result r;
	FILE *f;

	snprintf(dst, sizeof(dst), "%s/orphan-%llu.json", spool, (unsigned long long)ns_id);
	snprintf(tmp, sizeof(tmp), "%s/.orphan-%llu.%d.tmp", spool, (unsigned long long)ns_id, getpid());
	if (!(f = spool_file_create(tmp)))
		fail(EX_RUNTIME, R_SPOOL, errno, "cannot write %s", tmp);
	take_result(inum, del, &r);
	print_result(f, &r, -1);
	result_free(&r);
	if (!spool_file_commit(f, tmp, dst, true))
		fail(EX_RUNTIME, R_SPOOL, errno, "cannot write %s", dst);
}

/*
 * Inode numbers are reused as soon as a namespace dies, often before its recording was read (the poststop
 * stage runs later). A new container must not fail to start for that, and the old recording must not be lost:
 * it is moved into the spool as orphan-<ns_id>.json, where the poststop stage of its container finds it.
 * Written before the target is removed, then again with the removal: killed in between, both are there and the
 * poststop (or gc) takes the union. Caller holds the lock.
 */
static void salvage_stale(const char *spool, __u32 inum, __u64 id)
{
	struct scr_target old;

	if (!open_maps() || !find_entry(inum, &old, NULL) || old.owner != inum || !id ||
	    !old.ns_id || old.ns_id == id)
		return;
	write_orphan(spool, inum, old.ns_id, false);
	write_orphan(spool, inum, old.ns_id, true);
}

/*
 * prestart: register the container's mount namespace before its first instruction. The runtime blocks the
 * container until we return, so only what must happen now happens here (a few milliseconds); naming, policy
 * and writing the recording happen at poststop, in TypeScript.
 */
int cmd_hook_prestart(struct opts *o)
{
	static char state[SCR_STATE_MAX + 1];
	char refusal[512];
	struct scr_oci_state st;
	struct attach_info ai;
	const char *why;
	char path[64];
	size_t len;
	__u32 inum;
	__u64 id;
	struct stat self;

	hook_mode = true;
	if (!o->spool)
		usage("hook-prestart needs --spool /ABS/DIR");
	len = read_oci_state(state);
	if (!scr_parse_oci_state(state, len, &st, &why))
		fail(EX_USAGE, R_STATE, 0, "refusing the OCI state: %s", why);
	/* What the poststop would refuse is refused now, where the user sees it; a pod's sandbox is never recorded. */
	switch (scr_admit(&st, o->roots, o->nroots, refusal, sizeof(refusal))) {
	case SCR_SKIP:
		return EX_OK;
	case SCR_REFUSE:
		fail(EX_USAGE, R_REFUSED, 0, "container %s: %s", st.id, refusal);
	case SCR_ADMIT:
		break;
	}
	if (!st.pid)
		fail(EX_USAGE, R_STATE, 0, "the OCI state has no \"pid\": is this hook configured for prestart?");

	/* The process must be in a mount namespace of its own: not the host's, not ours. */
	snprintf(path, sizeof(path), "/proc/%ld/ns/mnt", st.pid);
	inum = mntns_inum(path, &id);
	if (host_mntns(inum) || (stat("/proc/self/ns/mnt", &self) == 0 && self.st_ino == inum))
		fail(EX_RUNTIME, R_HOST_NAMESPACE, 0,
		     "container %s (pid %ld) shares the host's mount namespace: refusing to record the host", st.id,
		     st.pid);

	need_bpf();
	make_dirs(o->spool);
	lock();
	attach(&ai);
	detach_on_failure = true;
	salvage_stale(o->spool, inum, id);
	/* Recording starts when the runtime installs a seccomp filter or at the workload's execve. */
	add_target(inum, id, SCR_BOUNDARY_EXEC | SCR_BOUNDARY_SECCOMP);
	if (!write_spool(o->spool, &st, inum, id, state, len)) {
		int err = errno;

		take_entry(inum, &(struct scr_target){});
		refresh_filter(&inum, 1);
		fail(EX_RUNTIME, R_SPOOL, err, "cannot write %s/%s.json", o->spool, st.id);
	}
	detach_on_failure = false;
	unlock();
	return EX_OK;
}
