// SPDX-License-Identifier: Apache-2.0
/*
 * Prerequisites, the helper's lock, and the recorder's pins: load, attach and pin the programs (embedded
 * through the skeleton), check that pinned maps have this build's layout, and put pins right (repair).
 *
 * Pins live in a bpffs directory (SCR_PIN_DIR, or $SECCOMP_RECORDER_BPFFS: a separate recorder, e.g. for
 * tests). The sys_enter link is pinned last and marks a complete attach.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <sys/file.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include "helper.h"
#include "recorder.skel.h"

static const char *const pin_names[PIN_COUNT] = { "link_sys_enter", "link_task_newtask", "link_process_exit",
						  "slots", "targets", "words", "filter", "args" };
/* The kernel's names of the pinned maps (BPF_OBJ_NAME_LEN), in pin order. */
static const char *const map_names[PIN_COUNT] = { [PIN_SLOTS] = "scr_slots", [PIN_TARGETS] = "scr_targets",
						  [PIN_WORDS] = "scr_words", [PIN_FILTER] = "scr_filter",
						  [PIN_ARGS] = "scr_args" };
char pin_dir[256], pin_path[PIN_COUNT][320];
int slots_fd = -1, targets_fd = -1, words_fd = -1, filter_fd = -1, args_fd = -1;

/* ---- prerequisites, lock, pins ---------------------------------------- */

/* Root, BTF and a mounted bpffs: what every BPF subcommand needs. */
void need_bpf(void)
{
	struct statfs sfs;

	if (geteuid() != 0)
		fail(EX_NO_BPF, R_NOT_ROOT, EPERM, "the recorder needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN)");
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
		fail(EX_NO_BPF, R_NO_BTF, errno, "kernel BTF /sys/kernel/btf/vmlinux is missing (CONFIG_DEBUG_INFO_BTF)");
	if (statfs("/sys/fs/bpf", &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC)
		return;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL) != 0)
		fail(EX_NO_BPF, R_BPF_UNAVAILABLE, errno, "cannot mount bpffs at /sys/fs/bpf");
}

/* Serialise state changes between concurrent helpers (hooks run in parallel). */
static int lock_fd = -1;

void lock(void)
{
	/* A SCHED_IDLE holder would starve every prestart on a busy node: the lock is taken at normal policy. */
	if (sched_getscheduler(0) == SCHED_IDLE)
		sched_setscheduler(0, SCHED_OTHER, &(struct sched_param){ .sched_priority = 0 });
	if (mkdir(SCR_LOCK_DIR, 0700) != 0 && errno != EEXIST)
		fail(EX_RUNTIME, R_LOCK, errno, "cannot create %s", SCR_LOCK_DIR);
	lock_fd = open(SCR_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX) != 0)
		fail(EX_RUNTIME, R_LOCK, errno, "cannot lock %s", SCR_LOCK_FILE);
	/* Maps opened before the lock may have been replaced meanwhile (a detach, then a new attach): judging
	 * the new recorder by the old maps could unpin it with its recordings.  Open them afresh. */
	close_maps();
}

void unlock(void)
{
	close(lock_fd);
	lock_fd = -1;
}

/* $SECCOMP_RECORDER_BPFFS (a directory below /sys/fs/bpf) or the default. */
void set_pin_dir(void)
{
	const char *dir = getenv("SECCOMP_RECORDER_BPFFS");

	if (!dir || !*dir)
		dir = SCR_PIN_DIR;
	if (strncmp(dir, "/sys/fs/bpf/", 12) || strstr(dir, "/.") || strlen(dir) >= sizeof(pin_dir) || dir[12] == 0)
		usage("SECCOMP_RECORDER_BPFFS must be a directory below /sys/fs/bpf/ (no . or .. components)");
	snprintf(pin_dir, sizeof(pin_dir), "%s", dir);
	for (int i = 0; i < PIN_COUNT; i++)
		snprintf(pin_path[i], sizeof(pin_path[i]), "%s/%s", pin_dir, pin_names[i]);
}

bool pinned(int pin)
{
	return access(pin_path[pin], F_OK) == 0;
}

/* Remove every pin; links go first so the programs stop before the maps go. */
bool unpin_all(void)
{
	bool any = false;

	for (int i = 0; i < PIN_COUNT; i++)
		any |= unlink(pin_path[i]) == 0;
	rmdir(pin_dir);
	return any;
}

void close_maps(void)
{
	int *fds[MAP_COUNT] = { &slots_fd, &targets_fd, &words_fd, &filter_fd, &args_fd };

	for (int i = 0; i < MAP_COUNT; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* Open the pinned maps; false when any of them is missing.  The args map is optional (args_fd -1): a recorder
 * pinned by an older build has none, and its recordings are still read (without argument values). */
bool open_maps(void)
{
	if (slots_fd >= 0 && targets_fd >= 0 && words_fd >= 0 && filter_fd >= 0)
		return true;
	close_maps();
	slots_fd = bpf_obj_get(pin_path[PIN_SLOTS]);
	targets_fd = bpf_obj_get(pin_path[PIN_TARGETS]);
	words_fd = bpf_obj_get(pin_path[PIN_WORDS]);
	filter_fd = bpf_obj_get(pin_path[PIN_FILTER]);
	args_fd = bpf_obj_get(pin_path[PIN_ARGS]);
	return slots_fd >= 0 && targets_fd >= 0 && words_fd >= 0 && filter_fd >= 0;
}

static void pin_or_fail(int err, const char *path)
{
	if (err)
		fail(EX_NO_BPF, R_BPF_UNAVAILABLE, -err, "cannot pin %s", path);
}

/* Do the pinned maps have this build's layout?  (A helper of another build may have pinned them.) */
static bool layout_matches(void)
{
	/* key size, value size, entries (0: any), flags */
	static const __u32 want[MAP_COUNT][4] = { { sizeof(__u32), sizeof(struct scr_target), SCR_SLOTS, 0 },
						  { sizeof(__u32), sizeof(struct scr_target), 0, BPF_F_NO_PREALLOC },
						  { sizeof(struct scr_word_key), sizeof(__u64), 0, BPF_F_NO_PREALLOC },
						  { sizeof(__u32), sizeof(__u32), SCR_SLOTS + 1, 0 },
						  { sizeof(__u32), sizeof(struct scr_args), 0, BPF_F_NO_PREALLOC } };
	int fds[MAP_COUNT] = { slots_fd, targets_fd, words_fd, filter_fd, args_fd };

	for (int i = 0; i < MAP_COUNT; i++) {
		struct bpf_map_info info = {};
		__u32 len = sizeof(info);

		if (bpf_obj_get_info_by_fd(fds[i], &info, &len) != 0 || info.key_size != want[i][0] ||
		    info.value_size != want[i][1] || (want[i][2] && info.max_entries != want[i][2]) ||
		    (info.map_flags & BPF_F_NO_PREALLOC) != want[i][3])
			return false;
	}
	return true;
}

/* ---- attach and repair -------------------------------------------------- */

/*
 * The sys_enter link is pinned but a map pin is missing (removed by hand): the running program still holds
 * its maps, with every recording in them.  Find them through the program and pin them again.
 */
static bool repin_maps(void)
{
	__u32 map_ids[16], n = 16, len;
	struct bpf_link_info link = {};
	struct bpf_prog_info prog = {};
	bool done = false;
	int fd, prog_fd;

	len = sizeof(link);
	fd = bpf_obj_get(pin_path[PIN_ENTER]);
	if (fd < 0 || bpf_obj_get_info_by_fd(fd, &link, &len) != 0)
		return false;
	close(fd);
	prog_fd = bpf_prog_get_fd_by_id(link.prog_id);
	if (prog_fd < 0)
		return false;
	len = sizeof(prog);
	prog.nr_map_ids = n;
	prog.map_ids = (__u64)(unsigned long)map_ids;
	if (bpf_obj_get_info_by_fd(prog_fd, &prog, &len) != 0) {
		close(prog_fd);
		return false;
	}
	close(prog_fd);
	for (__u32 i = 0; i < prog.nr_map_ids && i < n; i++) {
		struct bpf_map_info info = {};
		int map_fd = bpf_map_get_fd_by_id(map_ids[i]);

		len = sizeof(info);
		if (map_fd < 0 || bpf_obj_get_info_by_fd(map_fd, &info, &len) != 0) {
			if (map_fd >= 0)
				close(map_fd);
			continue;
		}
		for (int p = PIN_FIRST_MAP; p < PIN_COUNT; p++)
			if (!strcmp(info.name, map_names[p]) && !pinned(p))
				done |= bpf_obj_pin(map_fd, pin_path[p]) == 0;
		close(map_fd);
	}
	close_maps();
	return done;
}

/* Flag every target of the pinned maps: the programs were detached for a while, syscalls were missed.
 * (Nothing marks into these maps meanwhile: their programs are gone, the new ones not attached yet.) */
static void mark_interrupted(void)
{
	__u32 key, *kp = NULL;
	struct scr_target t;

	if (read_slots())
		for (__u32 i = 0; i < SCR_SLOTS; i++)
			if (slot_vals[i].inum) {
				slot_vals[i].flags |= SCR_INTERRUPTED;
				bpf_map_update_elem(slots_fd, &i, &slot_vals[i], BPF_ANY);
			}
	for (; bpf_map_get_next_key(targets_fd, kp, &key) == 0; kp = &key)
		if (bpf_map_lookup_elem(targets_fd, &key, &t) == 0 && !(t.flags & SCR_INTERRUPTED)) {
			t.flags |= SCR_INTERRUPTED;
			bpf_map_update_elem(targets_fd, &key, &t, BPF_EXIST);
		}
}

/* Load and attach the programs, on the pinned maps when reuse (else on new ones), and pin what is new. */
static void load_and_pin(bool reuse)
{
	const char *max = getenv("SECCOMP_RECORDER_MAX_TARGETS");
	struct recorder *skel = recorder__open();
	int err = 0;

	if (!skel)
		fail(EX_NO_BPF, R_BPF_UNAVAILABLE, errno, "cannot open the BPF programs");
	/* Fewer targets at once, for tests of a full recorder (only when the maps are new); the hashes
	 * are sized for every target at its quotas (recorder.h). */
	if (max && !reuse) {
		__u32 n = (__u32)parse_num(max, 65536, "bad SECCOMP_RECORDER_MAX_TARGETS");

		err = bpf_map__set_max_entries(skel->maps.scr_targets, SCR_TARGETS_ENTRIES(n)) ?:
		      bpf_map__set_max_entries(skel->maps.scr_words, SCR_WORDS_ENTRIES(n)) ?:
		      bpf_map__set_max_entries(skel->maps.scr_args, n);
	}
	if (reuse && !err)
		err = bpf_map__reuse_fd(skel->maps.scr_slots, slots_fd) ?:
		      bpf_map__reuse_fd(skel->maps.scr_targets, targets_fd) ?:
		      bpf_map__reuse_fd(skel->maps.scr_words, words_fd) ?:
		      bpf_map__reuse_fd(skel->maps.scr_filter, filter_fd) ?:
		      bpf_map__reuse_fd(skel->maps.scr_args, args_fd);
	if (err || recorder__load(skel) != 0)
		fail(EX_NO_BPF, R_BPF_UNAVAILABLE, errno, "cannot load the BPF programs (SCR_HELPER_DEBUG=1 shows why)");
	if (recorder__attach(skel) != 0)
		fail(EX_NO_BPF, R_BPF_UNAVAILABLE, errno, "cannot attach the BPF programs");

	/* Pin maps, the helper links, then the sys_enter link (marks "attached"). */
	if (mkdir(pin_dir, 0700) != 0 && errno != EEXIST)
		fail(EX_NO_BPF, R_BPF_UNAVAILABLE, errno, "cannot create %s", pin_dir);
	if (!reuse) {
		pin_or_fail(bpf_map__pin(skel->maps.scr_slots, pin_path[PIN_SLOTS]), pin_path[PIN_SLOTS]);
		pin_or_fail(bpf_map__pin(skel->maps.scr_targets, pin_path[PIN_TARGETS]), pin_path[PIN_TARGETS]);
		pin_or_fail(bpf_map__pin(skel->maps.scr_words, pin_path[PIN_WORDS]), pin_path[PIN_WORDS]);
		pin_or_fail(bpf_map__pin(skel->maps.scr_filter, pin_path[PIN_FILTER]), pin_path[PIN_FILTER]);
		pin_or_fail(bpf_map__pin(skel->maps.scr_args, pin_path[PIN_ARGS]), pin_path[PIN_ARGS]);
	}
	pin_or_fail(bpf_link__pin(skel->links.scr_exit, pin_path[PIN_EXIT]), pin_path[PIN_EXIT]);
	pin_or_fail(bpf_link__pin(skel->links.scr_newtask, pin_path[PIN_NEWTASK]), pin_path[PIN_NEWTASK]);
	pin_or_fail(bpf_link__pin(skel->links.scr_sys_enter, pin_path[PIN_ENTER]), pin_path[PIN_ENTER]);

	/* Pinned links stay attached after our descriptors are closed. */
	recorder__destroy(skel);
}

/*
 * Bring the pins into a consistent state (caller holds the lock) and, with want_attached, make sure the
 * programs run.  Never drops a recording: pinned maps holding targets are kept and re-attached to.
 *   links and maps pinned               nothing to do ("already")
 *   link pinned, a map pin missing      pin the program's maps again
 *   no link, maps holding targets       attach again on those maps; their targets are marked interrupted
 *   anything else                       leftovers (an interrupted attach, another build's idle maps) go
 */
void ensure_pins(struct attach_info *ai, bool want_attached)
{
	struct timespec t0, t1;
	bool reuse;

	memset(ai, 0, sizeof(*ai));
	if (pinned(PIN_ENTER) && (!open_maps() || args_fd < 0) && (ai->repinned = repin_maps()) && !open_maps())
		ai->repinned = false;
	if (pinned(PIN_ENTER) && open_maps()) {
		if (!layout_matches()) {
			if (holds_targets())
				fail(EX_NO_BPF, R_OTHER_BUILD, 0,
				     "the recorder pinned in %s was loaded by another build of seccomp-recorder-helper and still "
				     "records; let those recordings finish (then run `seccomp-recorder gc`)",
				     pin_dir);
			/* Idle, from another build: replace it. */
		} else {
			ai->already = true;
			ai->follows_nested = pinned(PIN_NEWTASK) && pinned(PIN_EXIT);
			if (ai->follows_nested)
				return;
			/* A helper link is gone: re-attach everything on the same maps (below). */
		}
	}

	/* Not attached (or incompletely).  Keep maps that still hold recordings of this build's layout. */
	reuse = open_maps() && layout_matches() && holds_targets();
	if (!reuse) {
		close_maps();
		ai->cleaned = unpin_all();
		if (!want_attached)
			return;
	} else {
		for (int i = PIN_ENTER; i < PIN_FIRST_MAP; i++)
			unlink(pin_path[i]);
		mark_interrupted();
		ai->reattached = true;
	}
	clock_gettime(CLOCK_MONOTONIC, &t0);
	load_and_pin(reuse);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	ai->load_ms = (t1.tv_sec - t0.tv_sec) * 1e3 + (t1.tv_nsec - t0.tv_nsec) / 1e6;
	ai->already = false;
	ai->follows_nested = true;
}

/* Load, attach and pin unless already attached (caller holds the lock). */
void attach(struct attach_info *ai)
{
	ensure_pins(ai, true);
}

/* Unpin everything when no target is left: nothing attached, zero overhead.
 * (Nested entries alone, e.g. orphaned by a race with remove, do not count.) */
bool detach_if_idle(void)
{
	if (!open_maps() || count_targets() != 0)
		return false;
	release_stamp_remove();
	return unpin_all();
}

/* ---- the last release that kept the recorder attached ------------------- */

/*
 * A poststop takes its target with `remove --keep-attached` and starts `detach-idle --after N`: the recorder is to
 * stay attached until N seconds after the *last* such release. Each release sets the mtime of a file of this
 * recorder in the lock directory (no fsync: it means nothing after a reboot, when nothing is attached); a
 * detach-idle that finds it younger than its own wait leaves the decision to the detach-idle of that later release.
 */
static void release_stamp_path(char *out, size_t size)
{
	size_t at = strlen(SCR_LOCK_DIR "/released.");

	snprintf(out, size, SCR_LOCK_DIR "/released.%s", pin_dir + strlen("/sys/fs/bpf/"));
	for (char *c = out + at; *c; c++)
		if (*c == '/')
			*c = '+';
}

/* Caller holds the lock (which created the lock directory). */
void release_stamp(void)
{
	char path[sizeof(SCR_LOCK_DIR) + sizeof(pin_dir) + 16];
	int fd;

	release_stamp_path(path, sizeof(path));
	fd = open(path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd >= 0) {
		futimens(fd, NULL);
		close(fd);
	}
}

void release_stamp_remove(void)
{
	char path[sizeof(SCR_LOCK_DIR) + sizeof(pin_dir) + 16];

	release_stamp_path(path, sizeof(path));
	unlink(path);
}

/* Was there a release less than seconds ago?  (Never for 0; a stamp from the future, after the clock was set
 * back, does not count.) */
bool released_within(long seconds)
{
	char path[sizeof(SCR_LOCK_DIR) + sizeof(pin_dir) + 16];
	struct timespec now;
	struct stat st;
	double age;

	release_stamp_path(path, sizeof(path));
	if (seconds <= 0 || lstat(path, &st) != 0 || !S_ISREG(st.st_mode))
		return false;
	clock_gettime(CLOCK_REALTIME, &now);
	age = (double)(now.tv_sec - st.st_mtim.tv_sec) + (now.tv_nsec - st.st_mtim.tv_nsec) / 1e9;
	return age >= 0 && age < (double)seconds;
}
