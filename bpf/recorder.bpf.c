// SPDX-License-Identifier: GPL-2.0-only
/*
 * seccomp-recorder, kernel side.
 *
 * Marks, per recorded mount namespace, which syscalls were made: one bit per
 * syscall number in the namespace's entry (in its slot of an array, or in a
 * hash map when the slot is taken; see recorder.h).  Nothing is sent to user space per
 * syscall; the helper (recorder.c) reads the bitmaps when asked.
 *
 * Programs (all BTF tracepoints; fentry/fexit are refused on locked-down
 * kernels such as the development VM, so following nested namespaces does
 * not rely on them):
 *   scr_sys_enter  tp_btf/sys_enter           every syscall: slot (and filter) load; a miss is done
 *   scr_newtask    tp_btf/task_newtask        clone/clone3 with CLONE_NEWNS in a target
 *   scr_exit       tp_btf/sched_process_exit  drop an unshare note of a dying task; drop the
 *                                             nested namespace its last task leaves
 * unshare(CLONE_NEWNS) in a target is noted per task and the new namespace is
 * adopted as nested at that task's next syscall.
 *
 * Quotas (recorder.h): a recording holds at most SCR_NESTED_QUOTA live nested
 * namespaces and SCR_WORDS_QUOTA words of numbers no ABI has; beyond them it is
 * flagged incomplete (over_nested, over_words) and takes nothing from the maps.
 * Nested entries do not accumulate: the entry of a nested namespace is deleted
 * when the last task holding it exits or unshares away from it, and when its
 * number turns out to belong to a newer namespace.  Nested entries hold no marks
 * (they record into their owner), so dropping one loses nothing.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "recorder.h"

char LICENSE[] SEC("license") = "GPL";

/* Kernel constants (not in BTF). */
#define SCR_TS_COMPAT 0x0002          /* thread_info.status: 32-bit syscall */
#define SCR_CLONE_NEWNS 0x00020000
#define SCR_SECCOMP_SET_MODE_FILTER 1 /* seccomp(2) operation */
#define SCR_PR_SET_SECCOMP 22         /* prctl(2) option */
#define SCR_SECCOMP_MODE_FILTER 2     /* prctl(PR_SET_SECCOMP) mode */

/* Targets whose slot is free: index inum & (SCR_SLOTS - 1), free while inum is 0. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SCR_SLOTS);
	__type(key, __u32);
	__type(value, struct scr_target);
} scr_slots SEC(".maps");

/* Targets whose slot was taken, and nested namespaces. */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SCR_TARGETS_ENTRIES(SCR_MAX_TARGETS));
	__type(key, __u32);
	__type(value, struct scr_target);
} scr_targets SEC(".maps");

/* Rare words: non-native numbers and native ones >= SCR_NATIVE_BITS (see recorder.h). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SCR_WORDS_ENTRIES(SCR_MAX_TARGETS));
	__type(key, struct scr_word_key);
	__type(value, __u64);
} scr_words SEC(".maps");

/* Argument values of the curated syscalls: one entry per own target (the helper inserts and removes it). */
struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__uint(max_entries, SCR_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct scr_args);
} scr_args SEC(".maps");

/* Non-zero: some scr_targets key may have a number in this slot (see recorder.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SCR_FILTER_SLOTS + 1); /* + the helper's count, SCR_COUNT_INDEX */
	__type(key, __u32);
	__type(value, __u32);
} scr_filter SEC(".maps");

/* Tasks of a target that called unshare(CLONE_NEWNS). */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, struct scr_unshare_note);
} scr_unshared SEC(".maps");

/* Number of tasks in scr_unshared: while 0, a miss costs nothing more.
 * A plain array map, not a global variable: .bss maps are mmapable and thus
 * vmalloc'ed, and every extra page a miss touches shows in the benchmark. */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, 1);
	__type(key, __u32);
	__type(value, __u32);
} scr_pending SEC(".maps");

static __always_inline __u32 *scr_pending_count(void)
{
	__u32 zero = 0;

	return bpf_map_lookup_elem(&scr_pending, &zero);
}

/* The entry for a namespace number: its slot when it holds it, else the hash (if the filter says so). */
static __always_inline struct scr_target *scr_find(__u32 inum)
{
	__u32 slot = inum & (SCR_SLOTS - 1), *maybe;
	struct scr_target *t = bpf_map_lookup_elem(&scr_slots, &slot);

	if (t && t->inum == inum)
		return t;
	maybe = bpf_map_lookup_elem(&scr_filter, &slot);
	return maybe && *maybe ? bpf_map_lookup_elem(&scr_targets, &inum) : NULL;
}

/* Older kernels keep the mount namespace id in mnt_namespace.seq. */
struct mnt_namespace___seq {
	u64 seq;
} __attribute__((preserve_access_index));

/* Before Linux 6.18 the namespace's reference count is ns_common.count. */
struct ns_common___count {
	refcount_t count;
} __attribute__((preserve_access_index));
struct mnt_namespace___count {
	struct ns_common___count ns;
} __attribute__((preserve_access_index));

/* Never-reused id of a mount namespace (0 when the kernel has none). */
static __always_inline __u64 scr_ns_id(struct mnt_namespace *mnt)
{
	if (bpf_core_field_exists(mnt->ns.ns_id))
		return mnt->ns.ns_id;
	if (bpf_core_field_exists(((struct mnt_namespace___seq *)mnt)->seq))
		return ((struct mnt_namespace___seq *)mnt)->seq;
	return 0;
}

/*
 * Does the task hold the only reference to its mount namespace?  Then the namespace dies when
 * the task exits or leaves it: its nsproxy is the task's alone and the namespace has no other
 * holder (another nsproxy, an open /proc/PID/ns/mnt, a bind mount).  False when unsure.
 */
static __always_inline bool scr_last_holder(struct nsproxy *nsp, struct mnt_namespace *mnt)
{
	int refs = 0;

	if (nsp->count.refs.counter != 1)
		return false;
	if (bpf_core_field_exists(mnt->ns.__ns_ref))
		refs = mnt->ns.__ns_ref.refs.counter;
	else if (bpf_core_field_exists(((struct mnt_namespace___count *)mnt)->ns.count))
		refs = ((struct mnt_namespace___count *)mnt)->ns.count.refs.counter;
	return refs == 1;
}

/* Is entry t made for this namespace?  An unknown id (0) is claimed once. */
static __always_inline bool scr_same_ns(struct scr_target *t, __u64 id)
{
	__u64 old;

	if (t->ns_id == id)
		return true;
	old = __sync_val_compare_and_swap(&t->ns_id, 0, id);
	return old == 0 || old == id;
}

/* Mark a number's filter slot (before and after inserting it into scr_targets). */
static __always_inline void scr_set_slot(__u32 inum)
{
	__u32 slot = inum & (SCR_FILTER_SLOTS - 1), *v = bpf_map_lookup_elem(&scr_filter, &slot);

	if (v)
		*v = 1;
}

/* Count something that could not be stored in the owner's entry. */
static __always_inline void scr_lost(__u32 owner)
{
	struct scr_target *t = scr_find(owner);

	if (t)
		__sync_fetch_and_add(&t->lost, 1);
}

/* Count one more thing refused by a quota (saturating: never wraps back to "complete"). */
static __always_inline void scr_over(__u32 *counter)
{
	if (*counter != (__u32)-1)
		__sync_fetch_and_add(counter, 1);
}

/* Take one unit of a quota (exact under concurrency); false when it is used up. */
static __always_inline bool scr_charge(__u32 *used, __u32 quota)
{
	if (__sync_fetch_and_add(used, 1) < quota)
		return true;
	__sync_fetch_and_add(used, -1);
	return false;
}

/* The owner (owner, owner_id) of a nested entry, if it is still there: not another target given its number. */
static __always_inline struct scr_target *scr_find_owner(__u32 owner, __u64 owner_id)
{
	struct scr_target *o = scr_find(owner);

	return o && o->owner == owner && o->ns_id == owner_id ? o : NULL;
}

/* Give a nested namespace's unit back to its owner (if the owner is still there). */
static __always_inline void scr_uncharge_nested(__u32 owner, __u64 owner_id)
{
	struct scr_target *t = scr_find_owner(owner, owner_id);

	if (t && t->nested)
		__sync_fetch_and_add(&t->nested, -1);
}

/* Delete the nested entry of namespace (inum, id), if that is what the hash holds for inum. */
static __always_inline void scr_drop_nested(__u32 inum, __u64 id)
{
	struct scr_target *t = bpf_map_lookup_elem(&scr_targets, &inum);
	__u64 owner_id;
	__u32 owner;

	if (!t || t->owner == inum || t->ns_id != id)
		return;
	owner = t->owner;
	owner_id = t->owner_id;
	if (bpf_map_delete_elem(&scr_targets, &inum) == 0)
		scr_uncharge_nested(owner, owner_id);
}

/* Register a just-created namespace as nested in owner (owner_id: its ns_id); returns its entry. */
static __always_inline struct scr_target *scr_add_nested(__u32 inum, __u32 owner, __u64 owner_id, __u64 id)
{
	struct scr_target nested = { .inum = inum, .owner = owner, .ns_id = id, .owner_id = owner_id }, *old, *o;

	/* The owner may just have been removed (and its number given to another container): then there is
	 * nothing to record into. */
	o = scr_find_owner(owner, owner_id);
	if (!o)
		return NULL;

	/* The number is fresh, so any entry holding it is stale.  A stale nested
	 * entry carries no data: it is dropped (its owner gets its unit back); a
	 * stale target still holds an unread recording and is kept (the nested
	 * namespace is then lost).  Nested entries always go into the hash: only
	 * the helper writes slots. */
	old = scr_find(inum);
	if (old && old->owner == inum) {
		__sync_fetch_and_add(&o->lost, 1);
		return NULL;
	}
	if (old)
		scr_drop_nested(inum, old->ns_id);

	/* The owner's quota of live nested namespaces: beyond it, flag the owner, take nothing. */
	if (!scr_charge(&o->nested, SCR_NESTED_QUOTA)) {
		scr_over(&o->over_nested);
		return NULL;
	}
	scr_set_slot(inum);
	if (bpf_map_update_elem(&scr_targets, &inum, &nested, BPF_NOEXIST) != 0) {
		__sync_fetch_and_add(&o->nested, -1);
		__sync_fetch_and_add(&o->lost, 1); /* out of memory, or inserted meanwhile */
		return NULL;
	}
	scr_set_slot(inum); /* again: the helper may have cleared it meanwhile */
	return bpf_map_lookup_elem(&scr_targets, &inum);
}

/* Take the current task's unshare note, if any, into *out. */
static __always_inline bool scr_forget(struct task_struct *task, struct scr_unshare_note *out)
{
	struct scr_unshare_note *note = bpf_task_storage_get(&scr_unshared, task, 0, 0);
	__u32 *pending;

	if (!note)
		return false;
	*out = *note;
	bpf_task_storage_delete(&scr_unshared, task);
	pending = scr_pending_count();
	if (pending)
		__sync_fetch_and_add(pending, -1);
	return out->owner != 0;
}

/* execve/execveat for the given ABI. */
static __always_inline bool scr_is_exec(__u32 abi, __u64 nr)
{
	if (abi == SCR_ABI_X86)
		return nr == 11 || nr == 358;
	if (abi == SCR_ABI_X32)
		return nr == 520 || nr == 545;
	return nr == 59 || nr == 322;
}

/* First syscall argument: bx for ia32; di for x86_64 and x32. */
static __always_inline __u64 scr_arg0(__u32 abi, struct pt_regs *regs)
{
	return abi == SCR_ABI_X86 ? (__u32)regs->bx : regs->di;
}

/*
 * seccomp(SECCOMP_SET_MODE_FILTER, flags, prog) or prctl(PR_SET_SECCOMP,
 * SECCOMP_MODE_FILTER, prog) with a program: libseccomp probes flags with a
 * NULL program, which is not an install.  Arguments: bx cx dx on ia32, else di si dx.
 */
static __always_inline bool scr_installs_filter(__u32 abi, __u64 nr, struct pt_regs *regs)
{
	bool ia32 = abi == SCR_ABI_X86;
	__u64 a0, a1, a2;

	if (nr != (ia32 ? 354 : 317) && nr != (ia32 ? 172 : 157))
		return false;
	a0 = (__u32)scr_arg0(abi, regs);
	a1 = ia32 ? (__u32)regs->cx : regs->si;
	a2 = ia32 ? (__u32)regs->dx : regs->dx;
	if (nr == (ia32 ? 354 : 317))
		return a0 == SCR_SECCOMP_SET_MODE_FILTER && a2;
	return a0 == SCR_PR_SET_SECCOMP && a1 == SCR_SECCOMP_MODE_FILTER && a2;
}

/* Set bit nr for (owner, abi): native numbers in the target, others in scr_words (rare words,
 * charged against the owner's quota unless a real syscall can have that number). */
static __always_inline void scr_mark(struct scr_target *t, __u32 owner, __u32 abi, __u64 nr)
{
	struct scr_word_key key = {};
	__u64 bit = 1ULL << (nr & 63);
	__u64 *word;

	/* Common case: native number, bit in the target entry already at hand.
	 * Read first so that a syscall seen before costs no locked instruction. */
	if (abi == SCR_ABI_X86_64 && nr < SCR_NATIVE_BITS) {
		word = &t->native[nr >> 6];
		if (!(*word & bit))
			__sync_fetch_and_or(word, bit);
		return;
	}
	/* Out of range of the rare-words map: count it, never drop silently. */
	if (nr >= (__u64)SCR_MAX_WORD * 64) {
		__sync_fetch_and_add(&t->lost, 1);
		return;
	}
	/* Rare word: update in place, or create it holding just this bit. */
	key.owner = owner;
	key.abi = abi;
	key.word = nr >> 6;
	word = bpf_map_lookup_elem(&scr_words, &key);
	if (!word) {
		/* A new word: reserved for ia32/x32 numbers a real syscall can have, else from the quota. */
		bool reserved = abi != SCR_ABI_X86_64 && key.word < SCR_REAL_WORDS;

		if (!reserved && !scr_charge(&t->words, SCR_WORDS_QUOTA)) {
			scr_over(&t->over_words);
			return;
		}
		if (bpf_map_update_elem(&scr_words, &key, &bit, BPF_NOEXIST) == 0)
			return;
		if (!reserved)
			__sync_fetch_and_add(&t->words, -1);
		/* Another CPU may have created it meanwhile; else out of memory. */
		word = bpf_map_lookup_elem(&scr_words, &key);
		if (!word) {
			__sync_fetch_and_add(&t->lost, 1);
			return;
		}
	}
	if (!(*word & bit))
		__sync_fetch_and_or(word, bit);
}

/* The curated native syscalls whose arguments are recorded: socket, clone, unshare, personality, prctl, ioctl,
 * setns.  Every other syscall pays these compares only (no map access). */
static __always_inline bool scr_curated(__u64 nr)
{
	return nr == 16 || nr == 41 || nr == 56 || nr == 135 || nr == 157 || nr == 272 || nr == 308;
}

/*
 * Note the arguments (a0, a1: the first two registers) of curated native syscall nr in its owner's scr_args entry
 * (recorder.h): a value seen before costs the entry's lookup and a scan of at most the syscall's cap; a new one is
 * claimed, written, then published (ready bit); one beyond the cap sets overflow.  Two CPUs adding the same new
 * value at once may both store it (the helper prints each tuple once).
 */
static __noinline int scr_note_args(__u32 owner, __u64 nr, __u64 a0, __u64 a1)
{
	__u32 k, off, cap, width = 1, n, i, j;
	struct scr_argset *set;
	struct scr_args *a;
	__u64 v0, v1 = 0, ready;

	switch (nr) {
	case 41: /* socket(family, type without its flag bits) */
		k = SCR_ARG_SOCKET, off = SCR_ARG_OFF_SOCKET, cap = SCR_ARG_CAP_SOCKET, width = 2;
		v0 = a0, v1 = a1 & SCR_SOCKET_TYPE_MASK;
		break;
	case 56: /* clone(namespace flags) */
		k = SCR_ARG_CLONE, off = SCR_ARG_OFF_CLONE, cap = SCR_ARG_CAP_CLONE, v0 = a0 & SCR_CLONE_NS_MASK;
		break;
	case 272: /* unshare(flags) */
		k = SCR_ARG_UNSHARE, off = SCR_ARG_OFF_UNSHARE, cap = SCR_ARG_CAP_UNSHARE, v0 = a0;
		break;
	case 135: /* personality(persona) */
		k = SCR_ARG_PERSONALITY, off = SCR_ARG_OFF_PERSONALITY, cap = SCR_ARG_CAP_PERSONALITY, v0 = a0;
		break;
	case 157: /* prctl(option) */
		k = SCR_ARG_PRCTL, off = SCR_ARG_OFF_PRCTL, cap = SCR_ARG_CAP_PRCTL, v0 = a0;
		break;
	case 16: /* ioctl(fd, request) */
		k = SCR_ARG_IOCTL, off = SCR_ARG_OFF_IOCTL, cap = SCR_ARG_CAP_IOCTL, v0 = a1;
		break;
	case 308: /* setns(fd, nstype) */
		k = SCR_ARG_SETNS, off = SCR_ARG_OFF_SETNS, cap = SCR_ARG_CAP_SETNS, v0 = a1;
		break;
	default:
		return 0;
	}
	a = bpf_map_lookup_elem(&scr_args, &owner);
	if (!a)
		return 0;
	set = &a->set[k];
	ready = set->ready;
	n = set->claimed;
	for (i = 0; i < SCR_ARG_MAX_CAP && i < n && i < cap; i++) {
		j = off + i * width;
		if (j >= SCR_ARG_VALUES)
			break;
		if (!(ready & (1ULL << i)) || a->vals[j] != v0)
			continue;
		if (width == 1 || (j + 1 < SCR_ARG_VALUES && a->vals[j + 1] == v1))
			return 0;
	}
	if (n >= cap) {
		if (!set->overflow)
			set->overflow = 1;
		return 0;
	}
	i = __sync_fetch_and_add(&set->claimed, 1);
	j = off + i * width;
	if (i >= cap || i >= SCR_ARG_MAX_CAP || j + width > SCR_ARG_VALUES) {
		set->overflow = 1;
		return 0;
	}
	a->vals[j] = v0;
	if (width == 2 && j + 1 < SCR_ARG_VALUES)
		a->vals[j + 1] = v1;
	__sync_fetch_and_or(&set->ready, 1ULL << i);
	return 0;
}

SEC("tp_btf/sys_enter")
int BPF_PROG(scr_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 inum, owner, abi = SCR_ABI_X86_64, *pending;
	struct scr_unshare_note note;
	struct mnt_namespace *mnt;
	struct scr_target *t;
	struct nsproxy *nsp;
	__u64 nr = (__u64)id;

	/* Mount namespace of the current task (exiting tasks have no nsproxy). */
	nsp = task->nsproxy;
	if (!nsp)
		return 0;
	mnt = nsp->mnt_ns;
	inum = mnt->ns.inum;

	/* What every untraced syscall pays for: a slot and a filter load (a hash lookup only on a
	 * shared slot); a recorded namespace in its slot: one load. */
	t = scr_find(inum);
	if (!t) {
		/* Unless a recorded task has just unshared its mount namespace. */
		pending = scr_pending_count();
		if (!pending || !*pending)
			return 0;
		if (!scr_forget(task, &note))
			return 0;
		/* The nested namespace it left died with the unshare: drop it first (frees its unit). */
		if (note.dying)
			scr_drop_nested(note.dying, note.dying_id);
		t = scr_add_nested(inum, note.owner, note.owner_id, scr_ns_id(mnt));
		if (!t)
			return 0;
	}

	/* The entry must be for this very namespace, not a dead one with the same number
	 * (a nested one is then dropped: its namespace is gone). */
	if (!scr_same_ns(t, scr_ns_id(mnt))) {
		if (t->owner != inum)
			scr_drop_nested(inum, t->ns_id);
		return 0;
	}

	/* Nested namespace: record into its owner, if that is still the owner it was made for. */
	owner = t->owner;
	if (owner != inum) {
		t = scr_find_owner(owner, t->owner_id);
		if (!t)
			return 0;
	}

	/* ABI: ia32 syscalls set TS_COMPAT for their duration; x32 ids carry a bit. */
	if (bpf_core_field_exists(task->thread_info.status) &&
	    (task->thread_info.status & SCR_TS_COMPAT)) {
		abi = SCR_ABI_X86;
		nr = (__u32)id;
	} else if (nr & SCR_X32_SYSCALL_BIT) {
		abi = SCR_ABI_X32;
		nr &= ~(__u64)SCR_X32_SYSCALL_BIT;
	}

	/* unshare(CLONE_NEWNS): note it, the task's next syscall adopts the new namespace.
	 * Any other syscall clears a note left by an unshare that failed. */
	if (nr == (abi == SCR_ABI_X86 ? 310 : 272)) {
		if (scr_arg0(abi, regs) & SCR_CLONE_NEWNS) {
			struct scr_unshare_note *n = bpf_task_storage_get(&scr_unshared, task, 0,
									   BPF_LOCAL_STORAGE_GET_F_CREATE);
			pending = scr_pending_count();
			if (!n || !pending) {
				__sync_fetch_and_add(&t->lost, 1);
			} else {
				if (!n->owner)
					__sync_fetch_and_add(pending, 1);
				/* Leaving a nested namespace nobody else holds: it dies if the unshare succeeds.
				 * (nsproxy and namespace read again here: keeps them out of the hot path's registers.) */
				struct nsproxy *cur = task->nsproxy;

				n->owner = owner;
				n->owner_id = t->ns_id;
				n->dying = owner != inum && cur && scr_last_holder(cur, cur->mnt_ns) ? inum : 0;
				n->dying_id = cur ? scr_ns_id(cur->mnt_ns) : 0;
			}
		}
	} else {
		pending = scr_pending_count();
		if (pending && *pending)
			scr_forget(task, &note);
	}

	/* Armed: wait for the boundary.  ARMED -> RECORDING is a compare-and-swap
	 * (runs once per target) so it can never undo another state. */
	if (t->state == SCR_STATE_ARMED) {
		if ((t->flags & SCR_BOUNDARY_EXEC) && scr_is_exec(abi, nr)) {
			/* exec boundary: this execve is the first recorded syscall */
			__sync_val_compare_and_swap(&t->state, SCR_STATE_ARMED, SCR_STATE_RECORDING);
		} else {
			/* seccomp boundary: record from the next syscall on */
			if ((t->flags & SCR_BOUNDARY_SECCOMP) && scr_installs_filter(abi, nr, regs))
				__sync_val_compare_and_swap(&t->state, SCR_STATE_ARMED,
							    SCR_STATE_RECORDING);
			return 0;
		}
	} else if (t->state != SCR_STATE_RECORDING) {
		return 0;
	}

	/* Recording: set the syscall's bit. */
	scr_mark(t, owner, abi, nr);

	/* A curated native syscall: its arguments too (into the owner's entry, like its syscalls). */
	if (abi == SCR_ABI_X86_64 && scr_curated(nr))
		scr_note_args(owner, nr, regs->di, regs->si);
	return 0;
}

SEC("tp_btf/task_newtask")
int BPF_PROG(scr_newtask, struct task_struct *child, u64 clone_flags)
{
	struct task_struct *parent = bpf_get_current_task_btf();
	struct mnt_namespace *mnt;
	struct scr_target *t;
	struct nsproxy *nsp;
	__u32 inum;

	/* Only clone/clone3 creating a mount namespace. */
	if (!(clone_flags & SCR_CLONE_NEWNS))
		return 0;

	/* Is the parent's namespace recorded (and really that one)? */
	nsp = parent->nsproxy;
	if (!nsp)
		return 0;
	mnt = nsp->mnt_ns;
	inum = mnt->ns.inum;
	t = scr_find(inum);
	if (!t || !scr_same_ns(t, scr_ns_id(mnt)))
		return 0;

	/* The child already has its new namespace and has not run yet: register it. */
	nsp = child->nsproxy;
	if (!nsp)
		return 0;
	mnt = nsp->mnt_ns;
	scr_add_nested(mnt->ns.inum, t->owner, t->owner == inum ? t->ns_id : t->owner_id, scr_ns_id(mnt));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(scr_exit)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 *pending = scr_pending_count();
	struct scr_unshare_note note;
	struct mnt_namespace *mnt;
	struct scr_target *t;
	struct nsproxy *nsp;
	__u32 inum;

	/* A task that unshared and died before its next syscall leaves a note. */
	if (pending && *pending)
		scr_forget(task, &note);

	/* Is the task in a nested namespace (really that one)? */
	nsp = task->nsproxy;
	if (!nsp)
		return 0;
	mnt = nsp->mnt_ns;
	inum = mnt->ns.inum;
	t = scr_find(inum);
	if (!t || t->owner == inum || t->ns_id != scr_ns_id(mnt))
		return 0;

	/* Its last task is leaving: the namespace dies, its entry goes (it holds no marks). */
	if (scr_last_holder(nsp, mnt))
		scr_drop_nested(inum, t->ns_id);
	return 0;
}
