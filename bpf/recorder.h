/* SPDX-License-Identifier: (GPL-2.0-only OR Apache-2.0) */
/*
 * Layouts shared by the kernel side (recorder.bpf.c) and the helper
 * (main.c and the files beside it).  The TypeScript side never reads the maps itself: it talks
 * to the helper, which prints JSON.
 */
#ifndef SCR_RECORDER_H
#define SCR_RECORDER_H

#ifndef __VMLINUX_H__
#include <linux/types.h>
#endif

/* Where the helper pins maps and links (bpffs). */
#define SCR_PIN_DIR "/sys/fs/bpf/seccomp-recorder"
#define SCR_LOCK_DIR "/run/seccomp-recorder"
#define SCR_LOCK_FILE SCR_LOCK_DIR "/helper.lock"

/*
 * Where targets live:
 *   slots    ARRAY of SCR_SLOTS struct scr_target, index inum & (SCR_SLOTS - 1): a recorded
 *            namespace whose slot is free lives here, so its syscalls cost one inlined array load.
 *            Written only by the helper (under its lock); the kernel only marks into entries.
 *   targets  HASH inum -> struct scr_target: a target whose slot was taken, and every nested
 *            namespace (inserted by the kernel, at most SCR_NESTED_QUOTA live ones per target).
 *   filter   ARRAY of SCR_SLOTS __u32: non-zero while some targets (hash) entry may have a number
 *            in that slot, so a miss skips the hash lookup.  Set before an entry is inserted (and by
 *            the kernel again after), cleared by the helper only after a removal, then set again for
 *            every remaining entry: never a false negative.  One more element, SCR_COUNT_INDEX,
 *            is the helper's count of own targets (the kernel never reads it; the helper
 *            recounts exactly before it refuses a target, so a count left wrong by a killed
 *            helper heals itself).
 * An entry in slots is free when its inum is 0 (no namespace has inode number 0).
 *
 * Quotas: every map a recording can make the kernel insert into is sized for all targets at their
 * quota at once, so one recording can never take an entry another one needs:
 *   targets  max_targets * (1 + SCR_NESTED_QUOTA): each target's own entry (when its slot is taken)
 *            and its live nested namespaces.  A nested namespace beyond the quota is not followed
 *            (counted in its owner's over_nested: that recording is incomplete).
 *   words    max_targets * SCR_WORDS_PER_TARGET: the words a real syscall can need (ia32 and x32
 *            numbers < SCR_REAL_WORDS * 64, reserved: never refused) and SCR_WORDS_QUOTA words of
 *            numbers no ABI has (x86_64 >= 512, others >= SCR_REAL_WORDS * 64); beyond it such a
 *            number is not stored (counted in over_words: incomplete).
 * Both hashes allocate on insert (BPF_F_NO_PREALLOC): the sizes are caps, memory follows use.
 */
#define SCR_SLOTS 4096
#define SCR_FILTER_SLOTS SCR_SLOTS
#define SCR_COUNT_INDEX SCR_SLOTS
#define SCR_MAX_TARGETS 4096 /* recorded namespaces at once */
#define SCR_NESTED_QUOTA 32  /* live nested mount namespaces per recording */
#define SCR_REAL_WORDS 9     /* ia32/x32 words 0..8 (numbers < 576) hold every real syscall */
#define SCR_WORDS_QUOTA 4    /* words of numbers no ABI has, per recording (256 numbers) */
#define SCR_WORDS_PER_TARGET (2 * SCR_REAL_WORDS + SCR_WORDS_QUOTA)
#define SCR_TARGETS_ENTRIES(max) ((max) * (1 + SCR_NESTED_QUOTA))
#define SCR_WORDS_ENTRIES(max) ((max) * SCR_WORDS_PER_TARGET)

/* Native x86_64 numbers 0..SCR_NATIVE_BITS-1 live in scr_target.native. */
#define SCR_NATIVE_WORDS 8
#define SCR_NATIVE_BITS (SCR_NATIVE_WORDS * 64)
/* Highest word index of the rare-words map (numbers >= 65536*64 are lost). */
#define SCR_MAX_WORD 65536

/* scr_target.state */
enum {
	SCR_STATE_ARMED = 0,     /* registered, waiting for its boundary */
	SCR_STATE_RECORDING = 1, /* every syscall is marked */
};

/* scr_target.flags */
enum {
	SCR_BOUNDARY_EXEC = 1 << 0,    /* start at (and mark) the first execve/execveat */
	SCR_BOUNDARY_SECCOMP = 1 << 1, /* start after a seccomp filter install */
	SCR_RECORD_ALL = 1 << 2,       /* recording from registration on */
	SCR_INTERRUPTED = 1 << 3,      /* the programs were detached for a while: syscalls were missed */
};

/* ABIs of the rare-words map (scr_word_key.abi). */
enum {
	SCR_ABI_X86_64 = 0,
	SCR_ABI_X86 = 1, /* ia32 tasks (or int 0x80) on x86_64 */
	SCR_ABI_X32 = 2, /* stored without the 0x40000000 bit */
	SCR_ABI_COUNT = 3,
};

#define SCR_X32_SYSCALL_BIT 0x40000000

/* Task storage of a task that called unshare(CLONE_NEWNS) in a target: adopted at its next syscall. */
struct scr_unshare_note {
	__u32 owner; /* the target to record the new namespace into */
	__u32 dying; /* the nested namespace it leaves, when no one else holds it (0: none) */
	__u64 dying_id;
	__u64 owner_id; /* the owner's ns_id: its number may be reused before the note is taken */
};

/*
 * A target (in slots or targets): inum = its mount-namespace inode number (the hash key).
 * owner == inum for a target's own entry; a nested namespace (created inside
 * a recorded one) points to its owner and only its owner's entry is used, and
 * only while that entry still has the owner's ns_id (owner_id): a nested
 * namespace can outlive its owner, whose number then goes to another container.
 *
 * ns_id is the namespace's never-reused 64-bit id (NS_GET_MNTNS_ID), because
 * inode numbers are reused as soon as a namespace dies: an entry only matches
 * the namespace it was made for.  0 = not known yet; the kernel side then
 * claims it at the namespace's first syscall.
 */
struct scr_target {
	__u32 inum;
	__u32 owner;
	__u32 state;
	__u32 flags;
	__u32 lost;   /* syscalls (or nested namespaces) that could not be stored */
	__u32 nested; /* target: its live nested entries (charged against SCR_NESTED_QUOTA) */
	__u64 native[SCR_NATIVE_WORDS]; /* bit nr of native x86_64 syscall nr */
	__u64 ns_id;
	__u32 words;       /* target: its words of numbers no ABI has (charged against SCR_WORDS_QUOTA) */
	__u32 over_nested; /* target: nested namespaces not followed, quota reached (incomplete) */
	__u32 over_words;  /* target: syscalls not stored, words quota reached (incomplete) */
	__u32 pad;
	__u64 owner_id;    /* nested: the owner's ns_id; once the owner is gone its number may be reused */
};

/* rare-words map: value = __u64, bit nr%64 of word nr/64 for (owner, abi). */
struct scr_word_key {
	__u32 owner;
	__u16 abi;
	__u16 word;
};

/*
 * Argument values of the curated syscalls (native x86_64 ABI only): per recording, the distinct values
 * (tuples for socket) of the arguments that decide a syscall's risk.  One scr_args per own target, in the
 * scr_args HASH (key: the target's inode number), inserted by the helper when it registers the target and
 * taken out with it: the map has exactly one entry per possible target (max_targets), so no recording
 * can take another's.  Nested namespaces record into their owner's entry.
 *
 * Each syscall k has SCR_ARG_CAP_k tuples of SCR_ARG_WIDTH_k u64 at vals[SCR_ARG_OFF_k]; a tuple i
 * counts once bit i of set[k].ready is set (claimed with a fetch-and-add of set[k].claimed, written,
 * then published): a reader never sees half a tuple.  A value beyond the cap sets set[k].overflow
 * (the profile then allows the syscall by name).  Values are stored already masked:
 *   socket       (arg0 family, arg1 type & SCR_SOCKET_TYPE_MASK)   16 tuples
 *   clone        arg0 & SCR_CLONE_NS_MASK                          8
 *   unshare      arg0                                             8
 *   personality  arg0                                             8
 *   prctl        arg0                                             32
 *   ioctl        arg1 (request)                                   64
 *   setns        arg1 (nstype)                                    8
 */
enum {
	SCR_ARG_SOCKET,
	SCR_ARG_CLONE,
	SCR_ARG_UNSHARE,
	SCR_ARG_PERSONALITY,
	SCR_ARG_PRCTL,
	SCR_ARG_IOCTL,
	SCR_ARG_SETNS,
	SCR_ARG_SYSCALLS,
};

#define SCR_ARG_CAP_SOCKET 16
#define SCR_ARG_CAP_CLONE 8
#define SCR_ARG_CAP_UNSHARE 8
#define SCR_ARG_CAP_PERSONALITY 8
#define SCR_ARG_CAP_PRCTL 32
#define SCR_ARG_CAP_IOCTL 64 /* at most 64: set[k].ready is one word */
#define SCR_ARG_CAP_SETNS 8

#define SCR_ARG_OFF_SOCKET 0
#define SCR_ARG_OFF_CLONE (SCR_ARG_OFF_SOCKET + 2 * SCR_ARG_CAP_SOCKET)
#define SCR_ARG_OFF_UNSHARE (SCR_ARG_OFF_CLONE + SCR_ARG_CAP_CLONE)
#define SCR_ARG_OFF_PERSONALITY (SCR_ARG_OFF_UNSHARE + SCR_ARG_CAP_UNSHARE)
#define SCR_ARG_OFF_PRCTL (SCR_ARG_OFF_PERSONALITY + SCR_ARG_CAP_PERSONALITY)
#define SCR_ARG_OFF_IOCTL (SCR_ARG_OFF_PRCTL + SCR_ARG_CAP_PRCTL)
#define SCR_ARG_OFF_SETNS (SCR_ARG_OFF_IOCTL + SCR_ARG_CAP_IOCTL)
#define SCR_ARG_VALUES (SCR_ARG_OFF_SETNS + SCR_ARG_CAP_SETNS) /* 160 u64 */
#define SCR_ARG_MAX_CAP 64

/* socket type without SOCK_NONBLOCK (04000) and SOCK_CLOEXEC (02000000). */
#define SCR_SOCKET_TYPE_MASK 0xfff7f7ffULL
/* clone flags that create namespaces: NEWNS NEWCGROUP NEWUTS NEWIPC NEWUSER NEWPID NEWNET NEWTIME. */
#define SCR_CLONE_NS_MASK 0x7e020080ULL

struct scr_argset {
	__u32 claimed;  /* tuples claimed (may pass the cap: then overflow is set) */
	__u32 overflow; /* a distinct value did not fit */
	__u64 ready;    /* bit i: tuple i is written */
};

/* Headers first: the helper's copy reads ready before the values (x86 keeps stores in order). */
struct scr_args {
	struct scr_argset set[SCR_ARG_SYSCALLS];
	__u64 vals[SCR_ARG_VALUES];
};

#endif /* SCR_RECORDER_H */
