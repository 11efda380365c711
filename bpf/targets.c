// SPDX-License-Identifier: Apache-2.0
/*
 * Targets: a recorded mount namespace lives in its slot (scr_slots, index inum & 4095) when that is free, else in
 * the scr_targets hash with the nested namespaces; scr_filter tells the kernel which slots may have hash entries.
 * Registering, finding, taking out and reading targets (their recordings) happens here; callers hold the lock
 * when they change anything.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <sched.h>
#include <string.h>
#include <unistd.h>
#include <linux/magic.h>
#include <linux/nsfs.h>
#include <sys/stat.h>
#include <sys/vfs.h>
#include <bpf/bpf.h>
#include "helper.h"

static __u32 slot_of(__u32 inum)
{
	return inum & (SCR_SLOTS - 1);
}

/* Every slot at once (one batch syscall instead of SCR_SLOTS lookups); false if the maps are unusable. */
struct scr_target slot_vals[SCR_SLOTS];

bool read_slots(void)
{
	static __u32 keys[SCR_SLOTS];
	__u32 count = SCR_SLOTS, out;
	int err;

	memset(slot_vals, 0, sizeof(slot_vals));
	err = bpf_map_lookup_batch(slots_fd, NULL, &out, keys, slot_vals, &count, NULL);
	return (err == 0 || errno == ENOENT) && count == SCR_SLOTS;
}

/* The entry for inum, wherever it is; *in_slot (if given) says where. */
bool find_entry(__u32 inum, struct scr_target *t, bool *in_slot)
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

/* A target's argument values as they are now; false when it has none (or the maps predate them). */
bool read_args(__u32 inum, struct scr_args *args)
{
	return args_fd >= 0 && bpf_map_lookup_elem(args_fd, &inum, args) == 0;
}

/*
 * Reserve a new target's argument entry (before the target exists, so the kernel never misses it): the map holds
 * one entry per possible target.  Entries left by a helper killed between taking a target and its entry are
 * dropped when the map is full.  Caller holds the lock.
 */
static void reserve_args(__u32 inum)
{
	static const struct scr_args empty;
	struct scr_target t;
	__u32 key, next;
	bool more;

	if (args_fd < 0 || bpf_map_update_elem(args_fd, &inum, &empty, BPF_ANY) == 0)
		return;
	if (errno == ENOMEM)
		fail(EX_RUNTIME, R_NO_MEMORY, errno, "cannot reserve the argument values of mount namespace %u", inum);
	if (errno != E2BIG)
		fail(EX_RUNTIME, R_BPF_ERROR, errno, "cannot reserve the argument values of mount namespace %u", inum);
	/* The next key is fetched before an entry is deleted, so the walk goes on past it. */
	for (more = bpf_map_get_next_key(args_fd, NULL, &key) == 0; more; key = next) {
		more = bpf_map_get_next_key(args_fd, &key, &next) == 0;
		if (!find_entry(key, &t, NULL) || t.owner != key)
			bpf_map_delete_elem(args_fd, &key);
	}
	if (bpf_map_update_elem(args_fd, &inum, &empty, BPF_ANY) != 0)
		fail(EX_FULL, R_MAP_FULL, errno, "the recorder has no room for the argument values of mount namespace %u",
		     inum);
}

/* Take an entry out, with its data as it was at that moment (a slot is then freed); its argument values go too. */
bool take_entry(__u32 inum, struct scr_target *t)
{
	struct scr_args args;
	bool has;

	return take_entry_args(inum, t, &args, &has);
}

bool take_entry_args(__u32 inum, struct scr_target *t, struct scr_args *args, bool *has_args)
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
	/* After the target: values noted until it was taken are in; the kernel finds no entry afterwards. */
	*has_args = taken && t->owner == inum && args_fd >= 0 && bpf_map_lookup_and_delete_elem(args_fd, &inum, args) == 0;
	return taken;
}

/* Number of own targets (nested entries not counted); -1 if the slots cannot be read. */
int count_targets(void)
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
bool holds_targets(void)
{
	__u32 key;

	return bpf_map_get_next_key(targets_fd, NULL, &key) == 0 || count_targets() != 0;
}

static void set_slot(__u32 inum, __u32 on)
{
	__u32 slot = slot_of(inum);

	bpf_map_update_elem(filter_fd, &slot, &on, BPF_ANY);
}

/* After removing keys: clear their filter slots, then set the slot of every
 * remaining entry again (the kernel sets a nested entry's slot after inserting
 * it, so an insert racing with this is never left without its slot). */
void refresh_filter(const __u32 *removed, size_t n)
{
	__u32 key, *kp = NULL;

	for (size_t i = 0; i < n; i++)
		set_slot(removed[i], 0);
	for (; bpf_map_get_next_key(targets_fd, kp, &key) == 0; kp = &key)
		set_slot(key, 1);
}

/* Inode number (and id, 0 if unknown) of a mount-namespace file, checked to be one. */
__u32 mntns_inum(const char *path, __u64 *id)
{
	struct statfs sfs;
	struct stat st;
	int fd = open(path, O_RDONLY | O_CLOEXEC);

	if (fd < 0)
		fail(errno == ENOENT ? EX_NO_TARGET : EX_RUNTIME, R_NO_SUCH_PROCESS, errno, "cannot open %s", path);
	if (fstatfs(fd, &sfs) != 0 || sfs.f_type != NSFS_MAGIC || fstat(fd, &st) != 0 ||
	    ioctl(fd, NS_GET_NSTYPE) != CLONE_NEWNS)
		fail(EX_RUNTIME, R_NOT_NSFS, errno, "%s is not a mount namespace", path);
	if (id && ioctl(fd, NS_GET_MNTNS_ID, id) != 0)
		*id = 0;
	close(fd);
	return (__u32)st.st_ino;
}

/* Is inum the initial mount namespace (kthreadd's, pid 2) or pid 1's? */
bool host_mntns(__u32 inum)
{
	struct stat st;

	return (stat("/proc/2/ns/mnt", &st) == 0 && st.st_ino == inum) ||
	       (stat("/proc/1/ns/mnt", &st) == 0 && st.st_ino == inum);
}

/* The most own targets at once: the hash is sized for each of them and its nested quota (recorder.h). */
int max_targets(void)
{
	struct bpf_map_info info = {};
	__u32 len = sizeof(info);

	return bpf_obj_get_info_by_fd(targets_fd, &info, &len) == 0 ? (int)(info.max_entries / SCR_TARGETS_ENTRIES(1))
								    : SCR_MAX_TARGETS;
}

/* Registering failed after the argument entry was reserved: give it back. */
static __attribute__((noreturn)) void drop_args_and_fail(__u32 inum, int err)
{
	if (args_fd >= 0)
		bpf_map_delete_elem(args_fd, &inum);
	fail(EX_RUNTIME, R_BPF_ERROR, err, "cannot register mount namespace %u", inum);
}

/* Insert a new target: into its slot when free, else into the hash. Caller holds the lock. */
void add_target(__u32 inum, __u64 id, __u32 flags)
{
	struct scr_target t = { .inum = inum, .owner = inum, .flags = flags, .ns_id = id }, old;
	__u32 slot = slot_of(inum);
	int n, err;

	t.state = (flags & SCR_RECORD_ALL) ? SCR_STATE_RECORDING : SCR_STATE_ARMED;
	if (!open_maps())
		fail(EX_NO_BPF, R_BPF_UNAVAILABLE, errno, "cannot open the pinned maps");
	if (find_entry(inum, &old, NULL)) {
		bool stale = id && old.ns_id && old.ns_id != id;

		if (stale && old.owner == inum)
			fail(EX_RUNTIME, R_STALE, EEXIST,
			     "mount namespace number %u (reused) still holds the unread recording of an earlier, dead "
			     "namespace (ns_id %llu): read and remove it first", inum, (unsigned long long)old.ns_id);
		/* A nested entry of a dead namespace with the same number holds no data. */
		if (stale)
			bpf_map_delete_elem(targets_fd, &inum);
		else if (old.owner != inum)
			fail(EX_RUNTIME, R_EXISTS, EEXIST, "mount namespace %u is already recorded, nested in target %u",
			     inum, old.owner);
		else
			fail(EX_RUNTIME, R_EXISTS, EEXIST, "mount namespace %u is already registered", inum);
	}
	/* The running count, checked exactly (and put right) only when it says full. */
	n = (int)stored_count();
	if (n >= max_targets()) {
		n = count_targets();
		if (n < 0)
			fail(EX_RUNTIME, R_BPF_ERROR, errno, "cannot read the recorder's slots");
		store_count((__u32)n);
	}
	if (n >= max_targets())
		fail(EX_FULL, R_MAP_FULL, 0,
		     "the recorder is full (%d mount namespaces recorded at once): this one is not recorded; the "
		     "others are unaffected",
		     n);

	reserve_args(inum);
	/* Its slot, when free: the kernel finds it with one array load. */
	if (bpf_map_lookup_elem(slots_fd, &slot, &old) == 0 && !old.inum) {
		if (bpf_map_update_elem(slots_fd, &slot, &t, BPF_ANY) != 0)
			drop_args_and_fail(inum, errno);
		store_count((__u32)n + 1);
		return;
	}
	set_slot(inum, 1); /* before the entry: the kernel must never miss it */
	if (bpf_map_update_elem(targets_fd, &inum, &t, BPF_NOEXIST) == 0) {
		store_count((__u32)n + 1);
		return;
	}
	err = errno;
	if (args_fd >= 0)
		bpf_map_delete_elem(args_fd, &inum);
	if (err == E2BIG || err == ENOMEM)
		fail(EX_FULL, R_MAP_FULL, 0,
		     "the recorder is full (%d entries for recorded and nested mount namespaces): this one is not "
		     "recorded; the others are unaffected",
		     max_targets());
	fail(EX_RUNTIME, R_BPF_ERROR, err, "cannot register mount namespace %u", inum);
}

/* Look up a target's own entry (exit 3 when absent or nested). */
static void get_target(__u32 inum, struct scr_target *t)
{
	if (!open_maps())
		fail(EX_NO_TARGET, R_NO_SUCH_TARGET, ENOENT, "nothing is attached");
	if (!find_entry(inum, t, NULL))
		fail(EX_NO_TARGET, R_NO_SUCH_TARGET, ENOENT, "no target for mount namespace %u", inum);
	if (t->owner != inum)
		fail(EX_NO_TARGET, R_NO_SUCH_TARGET, ENOENT, "mount namespace %u is nested in target %u", inum,
		     t->owner);
}

/*
 * A target's recording: merges the native bitmap and its rare words.
 * With del, the target is deleted first (lookup-and-delete, so nothing is
 * marked after the snapshot), then its nested entries and rare words.
 */
void take_result(__u32 inum, bool del, struct result *r)
{
	struct vec wkeys = {};
	struct scr_word_key wk, *prev = NULL;
	struct scr_target *t = &r->t;
	__u32 key, *kp = NULL;
	__u64 word;

	*r = (struct result){ .mntns = inum };
	get_target(inum, t);
	if (del && !take_entry_args(inum, t, &r->args, &r->has_args))
		fail(EX_NO_TARGET, R_NO_SUCH_TARGET, errno, "no target for mount namespace %u", inum);
	if (!del)
		r->has_args = read_args(inum, &r->args);

	/* Nested namespaces (always in the hash): every entry whose owner is this target. */
	while (bpf_map_get_next_key(targets_fd, kp, &key) == 0) {
		struct scr_target n;

		kp = &key;
		if (key != inum && bpf_map_lookup_elem(targets_fd, &key, &n) == 0 && n.owner == inum)
			vec_push(&r->nested, key);
	}

	/* Native bitmap, then the rare words of this owner. */
	for (__u32 nr = 0; nr < SCR_NATIVE_BITS; nr++)
		if (t->native[nr / 64] & (1ULL << (nr % 64)))
			vec_push(&r->sys[SCR_ABI_X86_64], nr);
	while (bpf_map_get_next_key(words_fd, prev, &wk) == 0) {
		prev = &wk;
		if (wk.owner != inum || wk.abi >= SCR_ABI_COUNT || bpf_map_lookup_elem(words_fd, &wk, &word) != 0)
			continue;
		for (__u32 b = 0; b < 64; b++)
			if (word & (1ULL << b))
				vec_push(&r->sys[wk.abi], (__u32)wk.word * 64 + b);
		vec_push(&wkeys, wk.abi << 16 | wk.word);
	}

	/* Deleting: nested entries and words go after the walk (keeps it stable). */
	for (size_t i = 0; del && i < r->nested.n; i++)
		bpf_map_delete_elem(targets_fd, &r->nested.v[i]);
	for (size_t i = 0; del && i < wkeys.n; i++) {
		wk = (struct scr_word_key){ .owner = inum, .abi = wkeys.v[i] >> 16, .word = wkeys.v[i] & 0xffff };
		bpf_map_delete_elem(words_fd, &wk);
	}
	if (del) {
		vec_push(&r->nested, inum);
		refresh_filter(r->nested.v, r->nested.n);
		r->nested.n--;
	}
	vec_free(&wkeys);
}
