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
 *   scr_exit       tp_btf/sched_process_exit  drop an unshare note of a dying task
 * unshare(CLONE_NEWNS) in a target is noted per task and the new namespace is
 * adopted as nested at that task's next syscall.
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
	__uint(max_entries, SCR_MAX_TARGETS);
	__type(key, __u32);
	__type(value, struct scr_target);
} scr_targets SEC(".maps");

struct {
	__uint(type, BPF_MAP_TYPE_HASH);
	__uint(max_entries, SCR_MAX_WORDS);
	__type(key, struct scr_word_key);
	__type(value, __u64);
} scr_words SEC(".maps");

/* Non-zero: some scr_targets key may have a number in this slot (see recorder.h). */
struct {
	__uint(type, BPF_MAP_TYPE_ARRAY);
	__uint(max_entries, SCR_FILTER_SLOTS + 1); /* + the helper's count, SCR_COUNT_INDEX */
	__type(key, __u32);
	__type(value, __u32);
} scr_filter SEC(".maps");

/* Tasks of a target that called unshare(CLONE_NEWNS): value = owner. */
struct {
	__uint(type, BPF_MAP_TYPE_TASK_STORAGE);
	__uint(map_flags, BPF_F_NO_PREALLOC);
	__type(key, int);
	__type(value, __u32);
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
};

/* Never-reused id of a mount namespace (0 when the kernel has none). */
static __always_inline __u64 scr_ns_id(struct mnt_namespace *mnt)
{
	if (bpf_core_field_exists(mnt->ns.ns_id))
		return mnt->ns.ns_id;
	if (bpf_core_field_exists(((struct mnt_namespace___seq *)mnt)->seq))
		return ((struct mnt_namespace___seq *)mnt)->seq;
	return 0;
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

/* Register a just-created namespace as nested in owner; returns its entry. */
static __always_inline struct scr_target *scr_add_nested(__u32 inum, __u32 owner, __u64 id)
{
	struct scr_target nested = { .inum = inum, .owner = owner, .ns_id = id }, *old;

	/* The owner may just have been removed: then there is nothing to record into. */
	if (!scr_find(owner))
		return NULL;

	/* The number is fresh, so any entry holding it is stale.  A stale nested
	 * entry carries no data and is replaced; a stale target still holds an
	 * unread recording and is kept (the nested namespace is then lost).
	 * Nested entries always go into the hash: only the helper writes slots. */
	old = scr_find(inum);
	if (old && old->owner == inum) {
		scr_lost(owner);
		return NULL;
	}
	scr_set_slot(inum);
	if (bpf_map_update_elem(&scr_targets, &inum, &nested, BPF_ANY) != 0) {
		scr_lost(owner); /* map full */
		return NULL;
	}
	scr_set_slot(inum); /* again: the helper may have cleared it meanwhile */
	return bpf_map_lookup_elem(&scr_targets, &inum);
}

/* Drop the current task's unshare note, if any. */
static __always_inline __u32 scr_forget(struct task_struct *task)
{
	__u32 *note = bpf_task_storage_get(&scr_unshared, task, 0, 0);
	__u32 owner, *pending;

	if (!note)
		return 0;
	owner = *note;
	bpf_task_storage_delete(&scr_unshared, task);
	pending = scr_pending_count();
	if (pending)
		__sync_fetch_and_add(pending, -1);
	return owner;
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

/* Set bit nr for (owner, abi): native numbers in the target, others in scr_words. */
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
		if (bpf_map_update_elem(&scr_words, &key, &bit, BPF_NOEXIST) == 0)
			return;
		/* Another CPU may have created it meanwhile; else the map is full. */
		word = bpf_map_lookup_elem(&scr_words, &key);
		if (!word) {
			__sync_fetch_and_add(&t->lost, 1);
			return;
		}
	}
	if (!(*word & bit))
		__sync_fetch_and_or(word, bit);
}

SEC("tp_btf/sys_enter")
int BPF_PROG(scr_sys_enter, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	__u32 inum, owner, abi = SCR_ABI_X86_64, *pending;
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
		owner = scr_forget(task);
		if (!owner)
			return 0;
		t = scr_add_nested(inum, owner, scr_ns_id(mnt));
		if (!t)
			return 0;
	}

	/* The entry must be for this very namespace, not a dead one with the same number. */
	if (!scr_same_ns(t, scr_ns_id(mnt)))
		return 0;

	/* Nested namespace: record into its owner. */
	owner = t->owner;
	if (owner != inum) {
		t = scr_find(owner);
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
			__u32 *note = bpf_task_storage_get(&scr_unshared, task, 0,
							   BPF_LOCAL_STORAGE_GET_F_CREATE);
			pending = scr_pending_count();
			if (!note || !pending) {
				__sync_fetch_and_add(&t->lost, 1);
			} else {
				if (!*note)
					__sync_fetch_and_add(pending, 1);
				*note = owner;
			}
		}
	} else {
		pending = scr_pending_count();
		if (pending && *pending)
			scr_forget(task);
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
	scr_add_nested(mnt->ns.inum, t->owner, scr_ns_id(mnt));
	return 0;
}

SEC("tp_btf/sched_process_exit")
int BPF_PROG(scr_exit)
{
	__u32 *pending = scr_pending_count();

	/* A task that unshared and died before its next syscall leaves a note. */
	if (pending && *pending)
		scr_forget(bpf_get_current_task_btf());
	return 0;
}
