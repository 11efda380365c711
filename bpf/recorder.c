// SPDX-License-Identifier: Apache-2.0
/*
 * seccomp-recorder-helper: the small native side of seccomp-recorder.
 *
 * Loads/attaches/pins the kernel recorder (recorder.bpf.c, embedded through
 * its skeleton), registers mount namespaces as targets, reads and removes
 * their results, and runs commands either recorded (launch) or under a
 * seccomp filter (enforce).  It has no policy: names, paths, annotations and
 * profiles are the TypeScript side's business.
 *
 * Output: one JSON document on stdout on success; one JSON line on stderr on
 * failure ({"error","reason","errno"}); warnings as {"warning"} lines on stderr.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sys/file.h>
#include <sys/ioctl.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <bpf/bpf.h>
#include <bpf/libbpf.h>
#include <seccomp.h>
#include "admission.h"
#include "oci-state.h"
#include "recorder.h"
#include "recorder.skel.h"

/* Exit codes (the TypeScript side keeps the same table). */
enum { EX_OK = 0, EX_USAGE = 2, EX_NO_TARGET = 3, EX_NO_BPF = 4, EX_FULL = 5, EX_RUNTIME = 6, EX_EXEC = 127 };

/*
 * Pins, in a bpffs directory (SCR_PIN_DIR, or $SECCOMP_RECORDER_BPFFS: a
 * separate recorder, e.g. for tests).  The sys_enter link is pinned last and
 * marks a complete attach.
 */
enum { PIN_ENTER, PIN_NEWTASK, PIN_EXIT, PIN_SLOTS, PIN_TARGETS, PIN_WORDS, PIN_FILTER, PIN_COUNT };
#define PIN_FIRST_MAP PIN_SLOTS
#define MAP_COUNT (PIN_COUNT - PIN_FIRST_MAP)
static const char *const pin_names[PIN_COUNT] = { "link_sys_enter", "link_task_newtask", "link_process_exit",
						  "slots", "targets", "words", "filter" };
/* The kernel's names of the pinned maps (BPF_OBJ_NAME_LEN), in pin order. */
static const char *const map_names[PIN_COUNT] = { [PIN_SLOTS] = "scr_slots", [PIN_TARGETS] = "scr_targets",
						  [PIN_WORDS] = "scr_words", [PIN_FILTER] = "scr_filter" };
static char pin_dir[256], pin_path[PIN_COUNT][320];

__attribute__((noreturn)) static void usage(const char *what);
static unsigned long parse_num(const char *s, unsigned long max, const char *what);

/* Linux >= 6.8; Debian 12's headers predate it. */
#ifndef NS_GET_MNTNS_ID
#define NS_GET_MNTNS_ID _IOR(0xb7, 0x5, __u64)
#endif

static const char *const abi_names[SCR_ABI_COUNT] = { "x86_64", "x86", "x32" };

/* ---- output ------------------------------------------------------------ */

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		if (*s == '"' || *s == '\\')
			fprintf(f, "\\%c", *s);
		else if ((unsigned char)*s < 0x20)
			fprintf(f, "\\u%04x", *s);
		else
			fputc(*s, f);
	}
	fputc('"', f);
}

/* launch/enforce --ready-fd: errors are reported there too (the caller reads it to EOF). */
static FILE *report;
/* As an OCI hook: messages are for people reading the runtime's error (plain text on stderr), and with
 * --on-error warn a failure lets the container start unrecorded. */
static bool hook_mode, hook_warn_only;

/*
 * crun (1.8) drops what its hooks print and reports only "error executing hook": a hook's line goes to crun's own
 * stderr as well, which its caller (podman, conmon, a terminal) shows. runc shows the hook's stderr itself.
 */
static void copy_to_crun_stderr(const char *line)
{
	char path[64], comm[32] = "";
	pid_t runtime = getppid(); /* once: if crun died meanwhile, a second call would name another process */
	FILE *f;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/comm", runtime);
	if (!(f = fopen(path, "re")))
		return;
	if (!fgets(comm, sizeof(comm), f))
		comm[0] = 0;
	fclose(f);
	if (strcmp(comm, "crun\n"))
		return;
	snprintf(path, sizeof(path), "/proc/%d/fd/2", runtime);
	fd = open(path, O_WRONLY | O_APPEND | O_NONBLOCK | O_NOCTTY | O_CLOEXEC);
	if (fd < 0)
		return;
	if (write(fd, line, strlen(line)) < 0)
		; /* best effort: the line is on our own stderr too */
	close(fd);
}

/* One JSON line on stderr (and the ready fd): {"KEY":"message"REST}. */
static void emit(const char *key, const char *rest, int err, const char *fmt, va_list ap)
{
	char msg[512];
	int n = vsnprintf(msg, sizeof(msg), fmt, ap);

	if (err && n >= 0 && (size_t)n < sizeof(msg))
		snprintf(msg + n, sizeof(msg) - n, ": %s", strerror(err));
	if (hook_mode) {
		char line[600];

		snprintf(line, sizeof(line), "seccomp-recorder: %s%s\n", strcmp(key, "error") ? "warning: " : "", msg);
		fputs(line, stderr);
		copy_to_crun_stderr(line);
		return;
	}
	/* With a ready fd the caller reports the message; the command's stderr stays its own. */
	for (FILE *f = report ? report : stderr; f; f = f == report ? NULL : report) {
		fprintf(f, "{\"%s\":", key);
		json_str(f, msg);
		fprintf(f, "%s}\n", rest);
		fflush(f);
	}
}

/* Set once we may have attached: a failure then detaches if no target is left. */
static bool detach_on_failure;
static bool detach_if_idle(void);

/* {"error":…,"reason":…,"errno":…} on stderr, then exit with code. */
__attribute__((noreturn, format(printf, 4, 5)))
static void fail(int code, const char *reason, int err, const char *fmt, ...)
{
	char rest[96];
	va_list ap;

	if (detach_on_failure) {
		detach_on_failure = false;
		detach_if_idle();
	}
	snprintf(rest, sizeof(rest), ",\"reason\":\"%s\",\"errno\":%d", reason, err);
	va_start(ap, fmt);
	emit(hook_warn_only ? "warning" : "error", rest, err, fmt, ap);
	va_end(ap);
	exit(hook_warn_only ? EX_OK : code);
}

__attribute__((format(printf, 1, 2)))
static void warn(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	emit("warning", "", 0, fmt, ap);
	va_end(ap);
}

/* libbpf chatter only when asked for (it would break the one-JSON-line contract). */
static int libbpf_log(enum libbpf_print_level level, const char *fmt, va_list ap)
{
	(void)level;
	return getenv("SCR_HELPER_DEBUG") ? vfprintf(stderr, fmt, ap) : 0;
}

/* ---- small vectors of u32 --------------------------------------------- */

struct vec {
	__u32 *v;
	size_t n, cap;
};

static void vec_push(struct vec *a, __u32 x)
{
	if (a->n == a->cap) {
		a->cap = a->cap ? a->cap * 2 : 64;
		a->v = realloc(a->v, a->cap * sizeof(*a->v));
		if (!a->v)
			fail(EX_RUNTIME, "no-memory", ENOMEM, "out of memory");
	}
	a->v[a->n++] = x;
}

static int cmp_u32(const void *a, const void *b)
{
	__u32 x = *(const __u32 *)a, y = *(const __u32 *)b;
	return x < y ? -1 : x > y;
}

static void print_vec(const struct vec *a)
{
	qsort(a->v, a->n, sizeof(*a->v), cmp_u32);
	putchar('[');
	for (size_t i = 0; i < a->n; i++)
		printf("%s%u", i ? "," : "", a->v[i]);
	putchar(']');
}

/* ---- prerequisites, lock, pins ---------------------------------------- */

/* Root, BTF and a mounted bpffs: what every BPF subcommand needs. */
static void need_bpf(void)
{
	struct statfs sfs;

	if (geteuid() != 0)
		fail(EX_NO_BPF, "not-root", EPERM, "the recorder needs root (CAP_BPF, CAP_PERFMON, CAP_SYS_ADMIN)");
	if (access("/sys/kernel/btf/vmlinux", R_OK) != 0)
		fail(EX_NO_BPF, "no-btf", errno, "kernel BTF /sys/kernel/btf/vmlinux is missing (CONFIG_DEBUG_INFO_BTF)");
	if (statfs("/sys/fs/bpf", &sfs) == 0 && sfs.f_type == BPF_FS_MAGIC)
		return;
	if (mount("bpf", "/sys/fs/bpf", "bpf", 0, NULL) != 0)
		fail(EX_NO_BPF, "bpf-unavailable", errno, "cannot mount bpffs at /sys/fs/bpf");
}

/* Serialise state changes between concurrent helpers (hooks run in parallel). */
static int lock_fd = -1;
static void close_maps(void);

static void lock(void)
{
	if (mkdir(SCR_LOCK_DIR, 0700) != 0 && errno != EEXIST)
		fail(EX_RUNTIME, "lock", errno, "cannot create %s", SCR_LOCK_DIR);
	lock_fd = open(SCR_LOCK_FILE, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (lock_fd < 0 || flock(lock_fd, LOCK_EX) != 0)
		fail(EX_RUNTIME, "lock", errno, "cannot lock %s", SCR_LOCK_FILE);
	/* Maps opened before the lock may have been replaced meanwhile (a detach, then a new attach): judging
	 * the new recorder by the old maps could unpin it with its recordings.  Open them afresh. */
	close_maps();
}

static void unlock(void)
{
	close(lock_fd);
	lock_fd = -1;
}

/* $SECCOMP_RECORDER_BPFFS (a directory below /sys/fs/bpf) or the default. */
static void set_pin_dir(void)
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

static bool pinned(int pin)
{
	return access(pin_path[pin], F_OK) == 0;
}

/* Remove every pin; links go first so the programs stop before the maps go. */
static bool unpin_all(void)
{
	bool any = false;

	for (int i = 0; i < PIN_COUNT; i++)
		any |= unlink(pin_path[i]) == 0;
	rmdir(pin_dir);
	return any;
}

/* ---- attach and repair -------------------------------------------------- */

struct attach_info {
	bool already, follows_nested;
	double load_ms;
	/* What a repair did: maps pinned again from the running program; programs attached again to pinned
	 * maps that still held recordings (those recordings are marked interrupted); leftovers removed. */
	bool repinned, reattached, cleaned;
};

static int slots_fd = -1, targets_fd = -1, words_fd = -1, filter_fd = -1;

static void close_maps(void)
{
	int *fds[MAP_COUNT] = { &slots_fd, &targets_fd, &words_fd, &filter_fd };

	for (int i = 0; i < MAP_COUNT; i++) {
		if (*fds[i] >= 0)
			close(*fds[i]);
		*fds[i] = -1;
	}
}

/* Open the pinned maps; false when any of them is missing. */
static bool open_maps(void)
{
	if (slots_fd >= 0 && targets_fd >= 0 && words_fd >= 0 && filter_fd >= 0)
		return true;
	close_maps();
	slots_fd = bpf_obj_get(pin_path[PIN_SLOTS]);
	targets_fd = bpf_obj_get(pin_path[PIN_TARGETS]);
	words_fd = bpf_obj_get(pin_path[PIN_WORDS]);
	filter_fd = bpf_obj_get(pin_path[PIN_FILTER]);
	return slots_fd >= 0 && targets_fd >= 0 && words_fd >= 0 && filter_fd >= 0;
}

static void pin_or_fail(int err, const char *path)
{
	if (err)
		fail(EX_NO_BPF, "bpf-unavailable", -err, "cannot pin %s", path);
}

/* Do the pinned maps have this build's layout?  (A helper of another build may have pinned them.) */
static bool layout_matches(void)
{
	/* key size, value size, entries (0: any), flags */
	static const __u32 want[MAP_COUNT][4] = { { sizeof(__u32), sizeof(struct scr_target), SCR_SLOTS, 0 },
						  { sizeof(__u32), sizeof(struct scr_target), 0, BPF_F_NO_PREALLOC },
						  { sizeof(struct scr_word_key), sizeof(__u64), 0, BPF_F_NO_PREALLOC },
						  { sizeof(__u32), sizeof(__u32), SCR_SLOTS + 1, 0 } };
	int fds[MAP_COUNT] = { slots_fd, targets_fd, words_fd, filter_fd };

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

/* ---- entries: a target lives in its slot, or in the hash when the slot is taken ---- */

static __u32 slot_of(__u32 inum)
{
	return inum & (SCR_SLOTS - 1);
}

/* Every slot at once (one batch syscall instead of SCR_SLOTS lookups); false if the maps are unusable. */
static struct scr_target slot_vals[SCR_SLOTS];

static bool read_slots(void)
{
	static __u32 keys[SCR_SLOTS];
	__u32 count = SCR_SLOTS, out;
	int err;

	memset(slot_vals, 0, sizeof(slot_vals));
	err = bpf_map_lookup_batch(slots_fd, NULL, &out, keys, slot_vals, &count, NULL);
	return (err == 0 || errno == ENOENT) && count == SCR_SLOTS;
}

/* The entry for inum, wherever it is; *in_slot (if given) says where. */
static bool find_entry(__u32 inum, struct scr_target *t, bool *in_slot)
{
	__u32 slot = slot_of(inum);
	bool found = bpf_map_lookup_elem(slots_fd, &slot, t) == 0 && t->inum == inum;

	if (in_slot)
		*in_slot = found;
	return found || bpf_map_lookup_elem(targets_fd, &inum, t) == 0;
}

/* The helper's running count of own targets (filter[SCR_COUNT_INDEX]); exact only after count_targets. */
static __u32 stored_count(void)
{
	__u32 key = SCR_COUNT_INDEX, n = 0;

	bpf_map_lookup_elem(filter_fd, &key, &n);
	return n;
}

static void store_count(__u32 n)
{
	__u32 key = SCR_COUNT_INDEX;

	bpf_map_update_elem(filter_fd, &key, &n, BPF_ANY);
}

/* Take an entry out, with its data as it was at that moment (a slot is then freed). */
static bool take_entry(__u32 inum, struct scr_target *t)
{
	static const struct scr_target free_slot;
	__u32 slot = slot_of(inum), n;
	bool taken;

	if (bpf_map_lookup_elem(slots_fd, &slot, t) == 0 && t->inum == inum)
		taken = bpf_map_update_elem(slots_fd, &slot, &free_slot, BPF_ANY) == 0;
	else
		taken = bpf_map_lookup_and_delete_elem(targets_fd, &inum, t) == 0;
	if (taken && t->owner == inum && (n = stored_count()) > 0)
		store_count(n - 1);
	return taken;
}

/* Number of own targets (nested entries not counted); -1 if the slots cannot be read. */
static int count_targets(void)
{
	__u32 key, *kp = NULL;
	struct scr_target t;
	int n = 0;

	if (!read_slots())
		return -1;
	for (int i = 0; i < SCR_SLOTS; i++)
		n += slot_vals[i].inum != 0;
	for (; bpf_map_get_next_key(targets_fd, kp, &key) == 0; kp = &key)
		n += bpf_map_lookup_elem(targets_fd, &key, &t) == 0 && t.owner == key;
	return n;
}

/* Does any entry exist, nested or not?  (Only called once the layout matches.) */
static bool holds_targets(void)
{
	__u32 key;

	return bpf_map_get_next_key(targets_fd, NULL, &key) == 0 || count_targets() != 0;
}

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
		fail(EX_NO_BPF, "bpf-unavailable", errno, "cannot open the BPF programs");
	/* Fewer targets at once, for tests of a full recorder (only when the maps are new); the hashes
	 * are sized for every target at its quotas (recorder.h). */
	if (max && !reuse) {
		__u32 n = (__u32)parse_num(max, 65536, "bad SECCOMP_RECORDER_MAX_TARGETS");

		err = bpf_map__set_max_entries(skel->maps.scr_targets, SCR_TARGETS_ENTRIES(n)) ?:
		      bpf_map__set_max_entries(skel->maps.scr_words, SCR_WORDS_ENTRIES(n));
	}
	if (reuse && !err)
		err = bpf_map__reuse_fd(skel->maps.scr_slots, slots_fd) ?:
		      bpf_map__reuse_fd(skel->maps.scr_targets, targets_fd) ?:
		      bpf_map__reuse_fd(skel->maps.scr_words, words_fd) ?:
		      bpf_map__reuse_fd(skel->maps.scr_filter, filter_fd);
	if (err || recorder__load(skel) != 0)
		fail(EX_NO_BPF, "bpf-unavailable", errno, "cannot load the BPF programs (SCR_HELPER_DEBUG=1 shows why)");
	if (recorder__attach(skel) != 0)
		fail(EX_NO_BPF, "bpf-unavailable", errno, "cannot attach the BPF programs");

	/* Pin maps, the helper links, then the sys_enter link (marks "attached"). */
	if (mkdir(pin_dir, 0700) != 0 && errno != EEXIST)
		fail(EX_NO_BPF, "bpf-unavailable", errno, "cannot create %s", pin_dir);
	if (!reuse) {
		pin_or_fail(bpf_map__pin(skel->maps.scr_slots, pin_path[PIN_SLOTS]), pin_path[PIN_SLOTS]);
		pin_or_fail(bpf_map__pin(skel->maps.scr_targets, pin_path[PIN_TARGETS]), pin_path[PIN_TARGETS]);
		pin_or_fail(bpf_map__pin(skel->maps.scr_words, pin_path[PIN_WORDS]), pin_path[PIN_WORDS]);
		pin_or_fail(bpf_map__pin(skel->maps.scr_filter, pin_path[PIN_FILTER]), pin_path[PIN_FILTER]);
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
static void ensure_pins(struct attach_info *ai, bool want_attached)
{
	struct timespec t0, t1;
	bool reuse;

	memset(ai, 0, sizeof(*ai));
	if (pinned(PIN_ENTER) && !open_maps() && (ai->repinned = repin_maps()) && !open_maps())
		ai->repinned = false;
	if (pinned(PIN_ENTER) && open_maps()) {
		if (!layout_matches()) {
			if (holds_targets())
				fail(EX_NO_BPF, "other-build", 0,
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
static void attach(struct attach_info *ai)
{
	ensure_pins(ai, true);
}

/* ---- targets ----------------------------------------------------------- */

static void set_slot(__u32 inum, __u32 on)
{
	__u32 slot = slot_of(inum);

	bpf_map_update_elem(filter_fd, &slot, &on, BPF_ANY);
}

/* After removing keys: clear their filter slots, then set the slot of every
 * remaining entry again (the kernel sets a nested entry's slot after inserting
 * it, so an insert racing with this is never left without its slot). */
static void refresh_filter(const __u32 *removed, size_t n)
{
	__u32 key, *kp = NULL;

	for (size_t i = 0; i < n; i++)
		set_slot(removed[i], 0);
	for (; bpf_map_get_next_key(targets_fd, kp, &key) == 0; kp = &key)
		set_slot(key, 1);
}

/* Unpin everything when no target is left: nothing attached, zero overhead.
 * (Nested entries alone, e.g. orphaned by a race with remove, do not count.) */
static bool detach_if_idle(void)
{
	if (!open_maps() || count_targets() != 0)
		return false;
	return unpin_all();
}

/* Inode number (and id, 0 if unknown) of a mount-namespace file, checked to be one. */
static __u32 mntns_inum(const char *path, __u64 *id)
{
	struct statfs sfs;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail(errno == ENOENT ? EX_NO_TARGET : EX_RUNTIME, "no-such-process", errno, "cannot open %s", path);
	if (fstatfs(fd, &sfs) != 0 || sfs.f_type != NSFS_MAGIC || fstat(fd, &st) != 0 ||
	    ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNS)
		fail(EX_RUNTIME, "not-nsfs", errno, "%s is not a mount namespace", path);
	if (id && ioctl(fd, NS_GET_MNTNS_ID, id) != 0)
		*id = 0;
	close(fd);
	return (__u32)st.st_ino;
}

/* Is inum the initial mount namespace (kthreadd's, pid 2) or pid 1's? */
static bool host_mntns(__u32 inum)
{
	struct stat st;

	return (stat("/proc/2/ns/mnt", &st) == 0 && st.st_ino == inum) ||
	       (stat("/proc/1/ns/mnt", &st) == 0 && st.st_ino == inum);
}

/* The most own targets at once: the hash is sized for each of them and its nested quota (recorder.h). */
static int max_targets(void)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(targets_fd, &info, &len) == 0 ? (int)(info.max_entries / SCR_TARGETS_ENTRIES(1))
								    : SCR_MAX_TARGETS;
}

/* Insert a new target: into its slot when free, else into the hash. Caller holds the lock. */
static void add_target(__u32 inum, __u64 id, __u32 flags)
{
	struct scr_target t = { .inum = inum, .owner = inum, .flags = flags, .ns_id = id }, old;
	__u32 slot = slot_of(inum);
	int n;

	t.state = (flags & SCR_RECORD_ALL) ? SCR_STATE_RECORDING : SCR_STATE_ARMED;
	if (!open_maps())
		fail(EX_NO_BPF, "bpf-unavailable", errno, "cannot open the pinned maps");
	if (find_entry(inum, &old, NULL)) {
		bool stale = id && old.ns_id && old.ns_id != id;

		if (stale && old.owner == inum)
			fail(EX_RUNTIME, "stale", EEXIST,
			     "mount namespace number %u (reused) still holds the unread recording of an earlier, dead "
			     "namespace (ns_id %llu): read and remove it first", inum, (unsigned long long)old.ns_id);
		/* A nested entry of a dead namespace with the same number holds no data. */
		if (stale)
			bpf_map_delete_elem(targets_fd, &inum);
		else if (old.owner != inum)
			fail(EX_RUNTIME, "exists", EEXIST, "mount namespace %u is already recorded, nested in target %u",
			     inum, old.owner);
		else
			fail(EX_RUNTIME, "exists", EEXIST, "mount namespace %u is already registered", inum);
	}
	/* The running count, checked exactly (and put right) only when it says full. */
	n = (int)stored_count();
	if (n >= max_targets()) {
		n = count_targets();
		if (n < 0)
			fail(EX_RUNTIME, "bpf-error", errno, "cannot read the recorder's slots");
		store_count((__u32)n);
	}
	if (n >= max_targets())
		fail(EX_FULL, "map-full", 0,
		     "the recorder is full (%d mount namespaces recorded at once): this one is not recorded; the "
		     "others are unaffected",
		     n);

	/* Its slot, when free: the kernel finds it with one array load. */
	if (bpf_map_lookup_elem(slots_fd, &slot, &old) == 0 && !old.inum) {
		if (bpf_map_update_elem(slots_fd, &slot, &t, BPF_ANY) != 0)
			fail(EX_RUNTIME, "bpf-error", errno, "cannot register mount namespace %u", inum);
		store_count((__u32)n + 1);
		return;
	}
	set_slot(inum, 1); /* before the entry: the kernel must never miss it */
	if (bpf_map_update_elem(targets_fd, &inum, &t, BPF_NOEXIST) == 0) {
		store_count((__u32)n + 1);
		return;
	}
	if (errno == E2BIG || errno == ENOMEM)
		fail(EX_FULL, "map-full", 0,
		     "the recorder is full (%d entries for recorded and nested mount namespaces): this one is not "
		     "recorded; the others are unaffected",
		     max_targets());
	fail(EX_RUNTIME, "bpf-error", errno, "cannot register mount namespace %u", inum);
}

/* Look up a target's own entry (exit 3 when absent or nested). */
static void get_target(__u32 inum, struct scr_target *t)
{
	if (!open_maps())
		fail(EX_NO_TARGET, "no-such-target", ENOENT, "nothing is attached");
	if (!find_entry(inum, t, NULL))
		fail(EX_NO_TARGET, "no-such-target", ENOENT, "no target for mount namespace %u", inum);
	if (t->owner != inum)
		fail(EX_NO_TARGET, "no-such-target", ENOENT, "mount namespace %u is nested in target %u", inum,
		     t->owner);
}

/*
 * Print a target's result: merges the native bitmap and its rare words.
 * With del, the target is deleted first (lookup-and-delete, so nothing is
 * marked after the snapshot), then its nested entries and rare words.
 */
static void print_result(__u32 inum, bool del)
{
	struct vec nested = {}, sys[SCR_ABI_COUNT] = {}, wkeys = {};
	struct scr_word_key wk, *prev = NULL;
	struct scr_target t;
	__u32 key, *kp = NULL;
	__u64 word;
	bool first = true;

	get_target(inum, &t);
	if (del && !take_entry(inum, &t))
		fail(EX_NO_TARGET, "no-such-target", errno, "no target for mount namespace %u", inum);

	/* Nested namespaces (always in the hash): every entry whose owner is this target. */
	while (bpf_map_get_next_key(targets_fd, kp, &key) == 0) {
		struct scr_target n;

		kp = &key;
		if (key != inum && bpf_map_lookup_elem(targets_fd, &key, &n) == 0 && n.owner == inum)
			vec_push(&nested, key);
	}

	/* Native bitmap, then the rare words of this owner. */
	for (__u32 nr = 0; nr < SCR_NATIVE_BITS; nr++)
		if (t.native[nr / 64] & (1ULL << (nr % 64)))
			vec_push(&sys[SCR_ABI_X86_64], nr);
	while (bpf_map_get_next_key(words_fd, prev, &wk) == 0) {
		prev = &wk;
		if (wk.owner != inum || wk.abi >= SCR_ABI_COUNT ||
		    bpf_map_lookup_elem(words_fd, &wk, &word) != 0)
			continue;
		for (__u32 b = 0; b < 64; b++)
			if (word & (1ULL << b))
				vec_push(&sys[wk.abi], (__u32)wk.word * 64 + b);
		vec_push(&wkeys, wk.abi << 16 | wk.word);
	}

	/* Deleting: nested entries and words go after the walk (keeps it stable). */
	for (size_t i = 0; del && i < nested.n; i++)
		bpf_map_delete_elem(targets_fd, &nested.v[i]);
	for (size_t i = 0; del && i < wkeys.n; i++) {
		wk = (struct scr_word_key){ .owner = inum, .abi = wkeys.v[i] >> 16, .word = wkeys.v[i] & 0xffff };
		bpf_map_delete_elem(words_fd, &wk);
	}
	if (del) {
		vec_push(&nested, inum);
		refresh_filter(nested.v, nested.n);
		nested.n--;
	}

	printf("{\"mntns\":%u,\"ns_id\":%llu,\"state\":\"%s\",\"lost\":%u,\"interrupted\":%s,"
	       "\"quota\":{\"nested\":%u,\"words\":%u},\"nested\":",
	       inum, (unsigned long long)t.ns_id, t.state == SCR_STATE_RECORDING ? "recording" : "armed", t.lost,
	       t.flags & SCR_INTERRUPTED ? "true" : "false", t.over_nested, t.over_words);
	print_vec(&nested);
	printf(",\"syscalls\":{");
	for (int a = 0; a < SCR_ABI_COUNT; a++) {
		if (!sys[a].n)
			continue;
		printf("%s\"%s\":", first ? "" : ",", abi_names[a]);
		print_vec(&sys[a]);
		first = false;
	}
	putchar('}');
}

/* ---- signals, seccomp -------------------------------------------------- */

/* crun runs hooks with nearly all signals blocked and SIGPIPE ignored: undo that. */
static void reset_signals(void)
{
	sigset_t none;

	for (int s = 1; s < NSIG; s++)
		signal(s, SIG_DFL); /* fails harmlessly for SIGKILL, SIGSTOP, libc-internal ones */
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

/* Spec actions; ERRNO and TRACE take a number (ERRNO defaults to EPERM). */
static const struct {
	const char *name;
	__u32 action;
	unsigned long dflt; /* ~0: takes no number */
} actions[] = {
	{ "KILL", SCMP_ACT_KILL_THREAD, ~0UL }, { "KILL_THREAD", SCMP_ACT_KILL_THREAD, ~0UL },
	{ "KILL_PROCESS", SCMP_ACT_KILL_PROCESS, ~0UL }, { "TRAP", SCMP_ACT_TRAP, ~0UL },
	{ "ERRNO", SCMP_ACT_ERRNO(0), EPERM }, { "TRACE", SCMP_ACT_TRACE(0), 0 },
	{ "ALLOW", SCMP_ACT_ALLOW, ~0UL }, { "LOG", SCMP_ACT_LOG, ~0UL },
}; /* NOTIFY needs a listener: not supported */

/* NAME [NUMBER|-] -> libseccomp action; false if unknown or malformed. */
static bool parse_action(const char *name, const char *num, __u32 *action)
{
	bool has_num = num && strcmp(num, "-");
	unsigned long n;
	char *end;

	if (!strncmp(name, "SCMP_ACT_", 9))
		name += 9;
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (strcmp(name, actions[i].name))
			continue;
		if (actions[i].dflt == ~0UL) /* takes no number */
			return !has_num && (*action = actions[i].action, true);
		n = has_num ? strtoul(num, &end, 10) : actions[i].dflt;
		if (has_num && (!*num || *end || n > 0xffff))
			return false;
		*action = actions[i].action | n;
		return true;
	}
	return false;
}

static const char *const cmp_ops[] = { "", "NE", "LT", "LE", "EQ", "GE", "GT", "MASKED_EQ" };

static bool parse_u64(const char *s, scmp_datum_t *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 10);
	return *s >= '0' && *s <= '9' && !*end && !errno;
}

/* Split a spec line into tokens; returns the count (0 for blank/comment). */
static int split(char *line, char **tok, int max)
{
	char *save;
	int n = 0;

	if (line[0] == '#')
		return 0;
	for (char *t = strtok_r(line, " \t\r\n", &save); t && n < max; t = strtok_r(NULL, " \t\r\n", &save))
		tok[n++] = t;
	return n;
}

/* libseccomp arch token from "x86_64" or "SCMP_ARCH_X86_64"; 0 if unknown. */
static __u32 arch_token(const char *name)
{
	char lower[32] = "";

	if (!strncmp(name, "SCMP_ARCH_", 10))
		name += 10;
	for (int i = 0; name[i] && i < 31; i++)
		lower[i] = name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i];
	return seccomp_arch_resolve_name(lower);
}

/* One "rule ACTION ERRNO|- NAME [INDEX OP VALUE VALUETWO]..." line. */
static void add_rule(scmp_filter_ctx ctx, char **tok, int n, size_t lineno, __u32 dflt, const __u32 *arches,
		     int narch)
{
	struct scmp_arg_cmp cmp[6];
	int nr, ncmp = (n - 4) / 4, rc;
	bool known = false;
	__u32 action;

	if (n < 4 || (n - 4) % 4 || ncmp > 6 || !parse_action(tok[1], tok[2], &action))
		fail(EX_USAGE, "usage", 0, "spec line %zu: rule ACTION ERRNO|- NAME [INDEX OP VALUE VALUETWO]...",
		     lineno);
	for (int i = 0; i < ncmp; i++) {
		char **a = tok + 4 + 4 * i;
		const char *op = strncmp(a[1], "SCMP_CMP_", 9) ? a[1] : a[1] + 9;
		scmp_datum_t idx;

		cmp[i].op = 0;
		for (int o = 1; o < 8; o++)
			if (!strcmp(op, cmp_ops[o]))
				cmp[i].op = o;
		if (!parse_u64(a[0], &idx) || idx > 5 || !cmp[i].op || !parse_u64(a[2], &cmp[i].datum_a) ||
		    !parse_u64(a[3], &cmp[i].datum_b))
			fail(EX_USAGE, "usage", 0, "spec line %zu: bad argument condition", lineno);
		cmp[i].arg = idx;
	}

	/* Unknown to every arch of the filter: warn and skip. */
	nr = seccomp_syscall_resolve_name(tok[3]);
	for (int i = 0; i < narch && nr != __NR_SCMP_ERROR; i++)
		known |= seccomp_syscall_resolve_name_arch(arches[i], tok[3]) >= 0;
	if (!known) {
		warn("syscall %s is unknown for the filter's architectures; rule skipped", tok[3]);
		return;
	}
	/* An unconditional rule equal to the default changes nothing (libseccomp refuses it). */
	if (action == dflt && !ncmp)
		return;
	rc = seccomp_rule_add_array(ctx, action, nr, ncmp, cmp);
	if (rc)
		fail(EX_USAGE, "usage", -rc, "spec line %zu: rule for %s rejected", lineno, tok[3]);
}

/* Build a filter from the spec file (format in bpf/README.md); exit 2 on a bad spec. */
static scmp_filter_ctx build_filter(const char *path, bool log)
{
	__u32 arches[16], dflt = 0, a;
	scmp_filter_ctx ctx = NULL;
	char *line = NULL, *tok[40];
	size_t cap = 0, lineno;
	int narch = 1, n, rc;
	FILE *f = fopen(path, "re");

	if (!f)
		fail(EX_USAGE, "usage", errno, "cannot read spec %s", path);
	arches[0] = seccomp_arch_native();

	/* Pass 1: default, arch, nnp (they shape the filter the rules go into). */
	for (lineno = 1; getline(&line, &cap, f) > 0; lineno++) {
		if (!(n = split(line, tok, 40)))
			continue;
		if (!strcmp(tok[0], "default")) {
			if (ctx || n < 2 || n > 3 || !parse_action(tok[1], n == 3 ? tok[2] : NULL, &dflt) ||
			    !(ctx = seccomp_init(dflt)))
				fail(EX_USAGE, "usage", 0,
				     "spec line %zu: bad or repeated default (actions: KILL KILL_PROCESS KILL_THREAD TRAP "
				     "ERRNO TRACE ALLOW LOG; NOTIFY is not supported)",
				     lineno);
		} else if (!strcmp(tok[0], "arch")) {
			if (!ctx || n != 2 || !(a = arch_token(tok[1])) || narch == 16)
				fail(EX_USAGE, "usage", 0, "spec line %zu: bad arch (or arch before default)", lineno);
			if ((rc = seccomp_arch_add(ctx, a)) && rc != -EEXIST)
				fail(EX_USAGE, "usage", -rc, "spec line %zu: arch %s", lineno, tok[1]);
			if (!rc)
				arches[narch++] = a;
		} else if (!strcmp(tok[0], "nnp")) {
			if (!ctx || n != 2 || (strcmp(tok[1], "0") && strcmp(tok[1], "1")))
				fail(EX_USAGE, "usage", 0, "spec line %zu: nnp 0|1 (after default)", lineno);
			seccomp_attr_set(ctx, SCMP_FLTATR_CTL_NNP, tok[1][0] == '1');
		} else if (strcmp(tok[0], "rule")) {
			fail(EX_USAGE, "usage", 0, "spec line %zu: unknown directive %s", lineno, tok[0]);
		}
	}
	if (!ctx)
		fail(EX_USAGE, "usage", 0, "spec %s has no default line", path);

	/* Pass 2: the rules. */
	rewind(f);
	for (lineno = 1; getline(&line, &cap, f) > 0; lineno++)
		if ((n = split(line, tok, 40)) && !strcmp(tok[0], "rule"))
			add_rule(ctx, tok, n, lineno, dflt, arches, narch);
	fclose(f);
	free(line);
	if (log && seccomp_attr_set(ctx, SCMP_FLTATR_CTL_LOG, 1) != 0)
		warn("this kernel or libseccomp cannot log denials (SCMP_FLTATR_CTL_LOG)");
	return ctx;
}

/* ---- command line ------------------------------------------------------ */

#define SCR_MAX_ROOTS 64

struct opts {
	const char *cmd, *spec, *spool;
	const char *roots[SCR_MAX_ROOTS]; /* hook-prestart --output-root, repeatable */
	int nroots;
	char **argv; /* after "--" */
	long pid;    /* -1: --self */
	__u32 mntns, boundary;
	int ready_fd;
	bool has_pid, has_mntns, log, keep_attached;
	long after; /* detach-idle --after SECONDS */
};

__attribute__((noreturn)) static void usage(const char *what)
{
	fail(EX_USAGE, "usage", 0,
	     "%s; usage: seccomp-recorder-helper attach | add --pid PID|--self [--boundary B] | read --mntns N | "
	     "remove --mntns N | list | detach | repair | ns-ids -- PID... | launch [--boundary B] [--ready-fd FD] -- CMD... | "
	     "enforce --spec FILE [--log] -- CMD... | detach-idle [--after SECONDS] | hook-prestart --spool DIR [--output-root DIR]... [--on-error fail|warn] < STATE  "
	     "(B: exec, seccomp, exec,seccomp, all)",
	     what);
}

static unsigned long parse_num(const char *s, unsigned long max, const char *what)
{
	char *end;
	unsigned long v;

	errno = 0;
	v = s ? strtoul(s, &end, 10) : 0;
	if (!s || *s < '0' || *s > '9' || *end || errno || v > max)
		usage(what);
	return v;
}

static __u32 parse_boundary(const char *s)
{
	if (!s)
		usage("--boundary needs a value");
	if (!strcmp(s, "all"))
		return SCR_RECORD_ALL;
	if (!strcmp(s, "exec"))
		return SCR_BOUNDARY_EXEC;
	if (!strcmp(s, "seccomp"))
		return SCR_BOUNDARY_SECCOMP;
	if (!strcmp(s, "exec,seccomp") || !strcmp(s, "seccomp,exec"))
		return SCR_BOUNDARY_EXEC | SCR_BOUNDARY_SECCOMP;
	usage("bad --boundary");
}

static void parse(int argc, char **argv, struct opts *o)
{
	memset(o, 0, sizeof(*o));
	o->boundary = SCR_BOUNDARY_EXEC;
	o->ready_fd = -1;
	if (argc < 2)
		usage("no subcommand");
	o->cmd = argv[1];
	for (int i = 2; i < argc; i++) {
		const char *a = argv[i], *v = i + 1 < argc ? argv[i + 1] : NULL;

		if (!strcmp(a, "--")) {
			o->argv = argv + i + 1;
			break;
		} else if (!strcmp(a, "--pid")) {
			o->pid = parse_num(v, 0x7fffffff, "bad --pid"), o->has_pid = true, i++;
		} else if (!strcmp(a, "--self")) {
			o->pid = -1, o->has_pid = true;
		} else if (!strcmp(a, "--mntns")) {
			o->mntns = parse_num(v, 0xffffffff, "bad --mntns"), o->has_mntns = true, i++;
		} else if (!strcmp(a, "--boundary")) {
			o->boundary = parse_boundary(v), i++;
		} else if (!strcmp(a, "--ready-fd")) {
			o->ready_fd = parse_num(v, 0x7fffffff, "bad --ready-fd"), i++;
		} else if (!strcmp(a, "--spec") && v) {
			o->spec = v, i++;
		} else if (!strcmp(a, "--log")) {
			o->log = true;
		} else if (!strcmp(a, "--keep-attached")) {
			o->keep_attached = true;
		} else if (!strcmp(a, "--after")) {
			o->after = parse_num(v, 3600, "bad --after (0-3600 seconds)"), i++;
		} else if (!strcmp(a, "--spool") && v && v[0] == '/') {
			o->spool = v, i++;
		} else if (!strcmp(a, "--output-root") && v && v[0] == '/' && v[1] && v[strlen(v) - 1] != '/' &&
			   o->nroots < SCR_MAX_ROOTS) {
			o->roots[o->nroots++] = v, i++;
		} else if (!strcmp(a, "--on-error") && v && (!strcmp(v, "fail") || !strcmp(v, "warn"))) {
			hook_warn_only = !strcmp(v, "warn"), i++;
		} else {
			usage("unknown option");
		}
	}
}

/* ---- subcommands ------------------------------------------------------- */

/* ns-ids -- PID...: the mount namespace (inode number, never-reused id) of each process; gone ones left out.
 * Inode and id come from the same open file, so a reused pid cannot mix two namespaces. */
static int cmd_ns_ids(char **pids)
{
	bool first = true;

	for (char **p = pids; p && *p; p++)
		parse_num(*p, 0x7fffffff, "bad PID");
	printf("{\"namespaces\":[");
	for (; pids && *pids; pids++) {
		char path[64];
		struct stat st;
		__u64 id = 0;
		long pid = (long)parse_num(*pids, 0x7fffffff, "bad PID");
		int fd;

		snprintf(path, sizeof(path), "/proc/%ld/ns/mnt", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd < 0)
			continue;
		if (fstat(fd, &st) == 0) {
			printf("%s{\"pid\":%ld,\"mntns\":%llu", first ? "" : ",", pid, (unsigned long long)st.st_ino);
			if (ioctl(fd, NS_GET_MNTNS_ID, &id) == 0)
				printf(",\"ns_id\":%llu", (unsigned long long)id);
			putchar('}');
			first = false;
		}
		close(fd);
	}
	printf("]}\n");
	return EX_OK;
}

static void list_entry(__u32 key, const struct scr_target *t, bool *first)
{
	printf("%s{\"mntns\":%u,\"ns_id\":%llu,\"owner\":%u,\"state\":\"%s\"}", *first ? "" : ",", key,
	       (unsigned long long)t->ns_id, t->owner,
	       t->owner != key ? "nested" : t->state == SCR_STATE_RECORDING ? "recording" : "armed");
	*first = false;
}

static int cmd_list(void)
{
	__u32 key, *kp = NULL;
	struct scr_target t;
	bool first = true;

	printf("{\"attached\":%s,\"follows_nested\":%s,\"targets\":[", pinned(PIN_ENTER) ? "true" : "false",
	       pinned(PIN_NEWTASK) ? "true" : "false");
	if (open_maps() && read_slots())
		for (int i = 0; i < SCR_SLOTS; i++)
			if (slot_vals[i].inum)
				list_entry(slot_vals[i].inum, &slot_vals[i], &first);
	while (open_maps() && bpf_map_get_next_key(targets_fd, kp, &key) == 0) {
		kp = &key;
		if (bpf_map_lookup_elem(targets_fd, &key, &t) == 0)
			list_entry(key, &t, &first);
	}
	printf("],\"prog_ids\":[");
	first = true;
	for (int i = PIN_ENTER; i < PIN_FIRST_MAP; i++) {
		struct bpf_link_info info = {};
		__u32 len = sizeof(info);
		int fd = bpf_obj_get(pin_path[i]);

		if (fd >= 0 && bpf_obj_get_info_by_fd(fd, &info, &len) == 0) {
			printf("%s%u", first ? "" : ",", info.prog_id);
			first = false;
		}
		if (fd >= 0)
			close(fd);
	}
	printf("]}\n");
	return EX_OK;
}

/* --ready-fd: close-on-exec, so the caller sees EOF once the command runs. */
static void open_report(int fd)
{
	if (fd < 0)
		return;
	if (fcntl(fd, F_SETFD, FD_CLOEXEC) != 0 || !(report = fdopen(fd, "w")))
		usage("--ready-fd is not an open descriptor");
}

static int cmd_launch(struct opts *o)
{
	struct attach_info ai;
	__u32 inum;
	__u64 id;
	int err;

	if (!o->argv || !o->argv[0])
		usage("launch needs -- CMD");
	open_report(o->ready_fd);

	/* Attach, then move into a private mount namespace of our own. */
	lock();
	attach(&ai);
	detach_on_failure = true;
	/*
	 * A namespace number may still be held by a finished recording nobody has read yet (numbers are reused at
	 * once, lowest first). Then keep that namespace open, so the next one gets another number, and try again.
	 * Each namespace kept open holds a number that has an entry, so this ends within (entries + 1) tries, however
	 * many finished recordings wait to be read (50 concurrent `record` runs on 2 cores leave more than 16).
	 */
	for (int attempt = 0, tries = SCR_SLOTS + max_targets();; attempt++) {
		struct scr_target old;

		if (unshare(CLONE_NEWNS) != 0)
			fail(EX_RUNTIME, "unshare", errno, "unshare(CLONE_NEWNS)");
		if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0)
			fail(EX_RUNTIME, "mount", errno, "cannot make / private");
		inum = mntns_inum("/proc/self/ns/mnt", &id);
		if (attempt > tries || !open_maps() || !find_entry(inum, &old, NULL))
			break;
		if (open("/proc/self/ns/mnt", O_RDONLY | O_CLOEXEC) < 0) /* closed by the exec */
			fail(EX_RUNTIME, "busy", errno,
			     "%d namespace numbers in a row still hold unread recordings and no more can be held open: "
			     "let those recordings be read (`seccomp-recorder gc` finishes abandoned ones)",
			     attempt + 1);
	}

	/* Register it; the boundary (exec by default) excludes our own set-up. */
	add_target(inum, id, o->boundary);
	detach_on_failure = false;
	unlock();

	/* Tell the caller which namespace to read, then become the command. */
	if (report) {
		fprintf(report, "{\"mntns\":%u,\"ns_id\":%llu}\n", inum, (unsigned long long)id);
		fflush(report);
	}
	reset_signals();
	execvp(o->argv[0], o->argv);

	/* exec failed: take the target back so nothing stays registered. */
	err = errno;
	lock();
	if (open_maps())
		take_entry(inum, &(struct scr_target){});
	refresh_filter(&inum, 1);
	detach_on_failure = true;
	fail(EX_EXEC, "exec-failed", err, "cannot execute %s", o->argv[0]);
}

static int cmd_enforce(struct opts *o)
{
	scmp_filter_ctx ctx;
	int rc;

	if (!o->spec || !o->argv || !o->argv[0])
		usage("enforce needs --spec FILE -- CMD");
	open_report(o->ready_fd);
	ctx = build_filter(o->spec, o->log);

	/* Signals first: once the filter is loaded only execve is certain to pass. */
	reset_signals();
	if ((rc = seccomp_load(ctx)) != 0)
		fail(EX_RUNTIME, "seccomp", -rc, "cannot load the seccomp filter");
	execvp(o->argv[0], o->argv);
	fail(EX_EXEC, "exec-failed", errno, "cannot execute %s", o->argv[0]);
}

/* ---- OCI hook ---------------------------------------------------------- */

/* mkdir -p for the spool (root only, 0700). */
static void make_dirs(const char *path)
{
	char buf[4096];
	size_t n = strlen(path);

	if (n >= sizeof(buf))
		fail(EX_USAGE, "usage", 0, "--spool path too long");
	memcpy(buf, path, n + 1);
	for (char *p = buf + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = 0;
		if (mkdir(buf, 0700) != 0 && errno != EEXIST)
			fail(EX_RUNTIME, "spool", errno, "cannot create %s", buf);
		*p = '/';
	}
	if (mkdir(buf, 0700) != 0 && errno != EEXIST)
		fail(EX_RUNTIME, "spool", errno, "cannot create %s", buf);
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

/* Leave a note for the poststop stage: <spool>/<id>.json, written atomically (temp file, fsync, rename). */
static bool write_spool(const char *spool, const struct scr_oci_state *st, __u32 inum, __u64 id, const char *state,
			size_t len)
{
	char tmp[4352], dst[4352], runtime[32];
	struct timespec now;
	FILE *f;
	int fd, dfd;
	bool ok;

	snprintf(dst, sizeof(dst), "%s/%s.json", spool, st->id);
	snprintf(tmp, sizeof(tmp), "%s/.%s.%d.tmp", spool, st->id, getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || !(f = fdopen(fd, "w")))
		return false;
	clock_gettime(CLOCK_REALTIME, &now);
	runtime_name(runtime, sizeof(runtime));
	fprintf(f, "{\"mntns\":%u,\"ns_id\":%llu,\"runtime\":\"%s\",\"registered_unix_ms\":%lld,\"state\":", inum,
		(unsigned long long)id, runtime, (long long)now.tv_sec * 1000 + now.tv_nsec / 1000000);
	fwrite(state, 1, len, f); /* validated strict JSON: embedded as it is */
	fputs("}\n", f);
	ok = fflush(f) == 0 && fsync(fileno(f)) == 0;
	ok = fclose(f) == 0 && ok;
	if (!ok || rename(tmp, dst) != 0) {
		unlink(tmp);
		return false;
	}
	if ((dfd = open(spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return true;
}

/* Write the target of inum to <spool>/orphan-<ns_id>.json atomically (temp file, fsync, rename); with del the
 * target is taken out of the maps in the same snapshot. */
static void write_orphan(const char *spool, __u32 inum, __u64 ns_id, bool del)
{
	char tmp[4352], dst[4352];
	int fd, saved;

	snprintf(dst, sizeof(dst), "%s/orphan-%llu.json", spool, (unsigned long long)ns_id);
	snprintf(tmp, sizeof(tmp), "%s/.orphan-%llu.%d.tmp", spool, (unsigned long long)ns_id, getpid());
	fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0)
		fail(EX_RUNTIME, "spool", errno, "cannot write %s", tmp);
	/* print_result writes to stdout: point stdout at the file for the moment. */
	fflush(stdout);
	saved = dup(STDOUT_FILENO);
	dup2(fd, STDOUT_FILENO);
	print_result(inum, del);
	printf("}\n");
	fflush(stdout);
	dup2(saved, STDOUT_FILENO);
	close(saved);
	if (fsync(fd) != 0 || close(fd) != 0 || rename(tmp, dst) != 0)
		fail(EX_RUNTIME, "spool", errno, "cannot write %s", dst);
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
static int cmd_hook_prestart(struct opts *o)
{
	static char state[SCR_STATE_MAX + 1];
	char refusal[512];
	struct scr_oci_state st;
	struct attach_info ai;
	const char *why;
	char path[64];
	size_t len = 0;
	ssize_t n;
	__u32 inum;
	__u64 id;
	struct stat self;

	hook_mode = true;
	if (!o->spool)
		usage("hook-prestart needs --spool /ABS/DIR");
	while (len <= SCR_STATE_MAX && (n = read(STDIN_FILENO, state + len, SCR_STATE_MAX + 1 - len)) != 0) {
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			fail(EX_USAGE, "state", errno, "cannot read the OCI state from stdin");
		len += (size_t)n;
	}
	if (len > SCR_STATE_MAX)
		fail(EX_USAGE, "state", 0, "the OCI state is larger than %d bytes", SCR_STATE_MAX);
	if (!scr_parse_oci_state(state, len, &st, &why))
		fail(EX_USAGE, "state", 0, "refusing the OCI state: %s", why);
	/* What the poststop would refuse is refused now, where the user sees it; a pod's sandbox is never recorded. */
	switch (scr_admit(&st, o->roots, o->nroots, refusal, sizeof(refusal))) {
	case SCR_SKIP:
		return EX_OK;
	case SCR_REFUSE:
		fail(EX_USAGE, "refused", 0, "container %s: %s", st.id, refusal);
	case SCR_ADMIT:
		break;
	}
	if (!st.pid)
		fail(EX_USAGE, "state", 0, "the OCI state has no \"pid\": is this hook configured for prestart?");

	/* The process must be in a mount namespace of its own: not the host's, not ours. */
	snprintf(path, sizeof(path), "/proc/%ld/ns/mnt", st.pid);
	inum = mntns_inum(path, &id);
	if (host_mntns(inum) || (stat("/proc/self/ns/mnt", &self) == 0 && self.st_ino == inum))
		fail(EX_RUNTIME, "host-namespace", 0,
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
		fail(EX_RUNTIME, "spool", err, "cannot write %s/%s.json", o->spool, st.id);
	}
	detach_on_failure = false;
	unlock();
	return EX_OK;
}

int main(int argc, char **argv)
{
	struct attach_info ai;
	struct opts o;

	libbpf_set_print(libbpf_log);
	parse(argc, argv, &o);
	set_pin_dir();

	if (!strcmp(o.cmd, "enforce"))
		return cmd_enforce(&o);
	if (!strcmp(o.cmd, "hook-prestart"))
		return cmd_hook_prestart(&o);
	if (!strcmp(o.cmd, "ns-ids"))
		return cmd_ns_ids(o.argv);
	if (strcmp(o.cmd, "attach") && strcmp(o.cmd, "add") && strcmp(o.cmd, "read") && strcmp(o.cmd, "remove") &&
	    strcmp(o.cmd, "list") && strcmp(o.cmd, "detach") && strcmp(o.cmd, "launch") && strcmp(o.cmd, "detach-idle") &&
	    strcmp(o.cmd, "repair"))
		usage("unknown subcommand");
	if ((!strcmp(o.cmd, "read") || !strcmp(o.cmd, "remove")) && !o.has_mntns)
		usage("--mntns N is required");
	if (!strcmp(o.cmd, "add") && !o.has_pid)
		usage("--pid PID or --self is required");
	need_bpf();

	/* Pins removed by hand, an attach cut short (link and maps not both there): put things right, under the
	 * lock, before anything reads the maps; recordings that missed syscalls are flagged interrupted. */
	if (!strcmp(o.cmd, "repair") || pinned(PIN_ENTER) != open_maps()) {
		lock();
		ensure_pins(&ai, false);
		unlock();
		if (!strcmp(o.cmd, "repair")) {
			printf("{\"attached\":%s,\"repinned\":%s,\"reattached\":%s,\"cleaned\":%s}\n",
			       pinned(PIN_ENTER) ? "true" : "false", ai.repinned ? "true" : "false",
			       ai.reattached ? "true" : "false", ai.cleaned ? "true" : "false");
			return EX_OK;
		}
	}

	if (!strcmp(o.cmd, "list"))
		return cmd_list();
	if (!strcmp(o.cmd, "read")) {
		print_result(o.mntns, false);
		printf("}\n");
		return EX_OK;
	}
	if (!strcmp(o.cmd, "launch"))
		return cmd_launch(&o);
	/* Detach once nothing has recorded for a while (started in the background by the poststop stage):
	 * back-to-back containers then find the recorder attached, and an idle host pays nothing. */
	if (!strcmp(o.cmd, "detach-idle")) {
		reset_signals();
		sleep((unsigned int)o.after);
		lock();
		printf("{\"detached\":%s}\n", detach_if_idle() ? "true" : "false");
		return EX_OK;
	}

	/* The remaining subcommands change state: one helper at a time. */
	lock();
	if (!strcmp(o.cmd, "attach")) {
		attach(&ai);
		printf("{\"attached\":true,\"already\":%s,\"follows_nested\":%s,\"load_ms\":%.1f}\n",
		       ai.already ? "true" : "false", ai.follows_nested ? "true" : "false", ai.load_ms);
	} else if (!strcmp(o.cmd, "add")) {
		char path[64];
		__u32 inum;
		__u64 id;

		snprintf(path, sizeof(path), o.pid < 0 ? "/proc/self/ns/mnt" : "/proc/%ld/ns/mnt", o.pid);
		inum = mntns_inum(path, &id);
		if (host_mntns(inum))
			fail(EX_RUNTIME, "host-namespace", 0,
			     "mount namespace %u is the host's: refusing to record every process in it", inum);
		attach(&ai);
		detach_on_failure = true;
		add_target(inum, id, o.boundary);
		printf("{\"mntns\":%u,\"ns_id\":%llu}\n", inum, (unsigned long long)id);
	} else if (!strcmp(o.cmd, "remove")) {
		print_result(o.mntns, true);
		printf(",\"detached\":%s}\n", !o.keep_attached && detach_if_idle() ? "true" : "false");
	} else if (!strcmp(o.cmd, "detach")) {
		printf("{\"detached\":%s}\n", unpin_all() ? "true" : "false");
	}
	return EX_OK;
}
