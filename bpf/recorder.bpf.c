// SPDX-License-Identifier: GPL-2.0-only
/*
 * seccomp-recorder, kernel side.
 *
 * Marks, per recorded mount namespace, which syscalls were made: one bit per
 * syscall number in a hash map entry.  Nothing is sent to user space per
 * syscall; the helper (recorder.c) reads the bitmaps when asked.
 *
 * Programs:
 *   scr_sys_enter  tp_btf/sys_enter      every syscall: 1 lookup, miss = done
 *   scr_mntns_new  fexit/copy_mnt_ns     follow namespaces created inside a target
 *   scr_ns_free    fentry/proc_free_inum forget nested namespaces when they die,
 *                                        flag a target whose own namespace died
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>
#include <bpf/bpf_core_read.h>
#include "recorder.h"

char LICENSE[] SEC("license") = "GPL";

/* Kernel constants (not in BTF). */
#define SCR_TS_COMPAT 0x0002          /* thread_info.status: 32-bit syscall */
#define SCR_SECCOMP_SET_MODE_FILTER 1 /* seccomp(2) operation */
#define SCR_PR_SET_SECCOMP 22         /* prctl(2) option */
#define SCR_SECCOMP_MODE_FILTER 2     /* prctl(PR_SET_SECCOMP) mode */
#define SCR_MAX_ERRNO 4095

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

/* execve/execveat for the given ABI. */
static __always_inline bool scr_is_exec(__u32 abi, __u64 nr)
{
	if (abi == SCR_ABI_X86)
		return nr == 11 || nr == 358;
	if (abi == SCR_ABI_X32)
		return nr == 520 || nr == 545;
	return nr == 59 || nr == 322;
}

/* seccomp(SECCOMP_SET_MODE_FILTER, ...) or prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER). */
static __always_inline bool scr_installs_filter(__u32 abi, __u64 nr, struct pt_regs *regs)
{
	__u32 seccomp_nr = 317, prctl_nr = 157;
	__u64 a0, a1;

	/* ia32: numbers differ and the first two arguments are in bx, cx. */
	if (abi == SCR_ABI_X86) {
		seccomp_nr = 354;
		prctl_nr = 172;
	}
	if (nr != seccomp_nr && nr != prctl_nr)
		return false;
	/* x86_64 and x32 pass them in di, si. */
	if (abi == SCR_ABI_X86) {
		a0 = (__u32)regs->bx;
		a1 = (__u32)regs->cx;
	} else {
		a0 = (__u32)regs->di;
		a1 = regs->si;
	}
	if (nr == seccomp_nr)
		return a0 == SCR_SECCOMP_SET_MODE_FILTER;
	return a0 == SCR_PR_SET_SECCOMP && a1 == SCR_SECCOMP_MODE_FILTER;
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
	struct scr_target *t;
	struct nsproxy *nsp;
	__u32 inum, owner, abi = SCR_ABI_X86_64;
	__u64 nr = (__u64)id;

	/* Mount namespace of the current task (exiting tasks have no nsproxy). */
	nsp = task->nsproxy;
	if (!nsp)
		return 0;
	inum = nsp->mnt_ns->ns.inum;

	/* The one lookup every untraced syscall pays for. */
	t = bpf_map_lookup_elem(&scr_targets, &inum);
	if (!t)
		return 0;

	/* Nested namespace: record into its owner.  An own entry whose namespace
	 * is gone belongs to an unrelated namespace that reuses the number. */
	owner = t->owner;
	if (owner != inum) {
		t = bpf_map_lookup_elem(&scr_targets, &owner);
		if (!t)
			return 0;
	} else if (t->flags & SCR_F_NS_GONE) {
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

	/* Armed: wait for the boundary.  The ARMED -> RECORDING step is a
	 * compare-and-swap so it can never undo another state; it runs once. */
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

SEC("fexit/copy_mnt_ns")
int BPF_PROG(scr_mntns_new, unsigned long flags, struct mnt_namespace *ns,
	     struct user_namespace *user_ns, struct fs_struct *new_fs, struct mnt_namespace *ret)
{
	struct scr_target nested = {}, *t;
	__u32 old_inum, new_inum;

	/* Only a namespace that was really created (not an error, not the old one). */
	if (!ret || (unsigned long)ret >= (unsigned long)-SCR_MAX_ERRNO || ret == ns)
		return 0;

	/* Is the namespace it was copied from recorded (and really that one)? */
	old_inum = ns->ns.inum;
	t = bpf_map_lookup_elem(&scr_targets, &old_inum);
	if (!t)
		return 0;
	if (t->owner == old_inum && (t->flags & SCR_F_NS_GONE))
		return 0;

	/* Register the new namespace as nested, pointing to the (flat) owner. */
	nested.owner = t->owner;
	new_inum = ret->ns.inum;
	if (bpf_map_update_elem(&scr_targets, &new_inum, &nested, BPF_NOEXIST) == 0)
		return 0;

	/* Map full (or number still held by an unread finished target): count it. */
	t = bpf_map_lookup_elem(&scr_targets, &nested.owner);
	if (t)
		__sync_fetch_and_add(&t->lost, 1);
	return 0;
}

SEC("fentry/proc_free_inum")
int BPF_PROG(scr_ns_free, unsigned int inum)
{
	struct scr_target *t;

	/* Namespace inode numbers are reused at once: react when one is freed. */
	t = bpf_map_lookup_elem(&scr_targets, &inum);
	if (!t)
		return 0;

	/* Nested namespace: its syscalls are already in the owner; forget it. */
	if (t->owner != inum) {
		bpf_map_delete_elem(&scr_targets, &inum);
		return 0;
	}

	/* Target's own namespace: keep the result, stop matching the number. */
	__sync_fetch_and_or(&t->flags, SCR_F_NS_GONE);
	return 0;
}
