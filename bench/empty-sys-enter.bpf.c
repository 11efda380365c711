// SPDX-License-Identifier: GPL-2.0-only
/*
 * The floors of the syscall-overhead benchmark: programs that do nothing, one
 * per way of running BPF at syscall entry.  Whatever they cost, every recorder
 * on that hook pays.  The benchmark attaches one at a time (empty-attach OBJ NAME).
 *   empty_tp_btf       tp_btf/sys_enter   the hook the recorder uses (BTF-typed arguments)
 *   empty_raw_tp       raw_tp/sys_enter   the raw tracepoint without BTF
 *   empty_classic      tracepoint/raw_syscalls/sys_enter   the classic (perf) tracepoint
 *   read_mntns_tp_btf  tp_btf/sys_enter   only reads the current task's mount namespace
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(empty_tp_btf, struct pt_regs *regs, long id)
{
	return 0;
}

SEC("raw_tp/sys_enter")
int empty_raw_tp(void *ctx)
{
	return 0;
}

SEC("tracepoint/raw_syscalls/sys_enter")
int empty_classic(void *ctx)
{
	return 0;
}

/* The least any recorder keyed by mount namespace does: find the current task's
 * mount namespace (its inode number; the return value keeps the load). */
SEC("tp_btf/sys_enter")
int BPF_PROG(read_mntns_tp_btf, struct pt_regs *regs, long id)
{
	struct task_struct *task = bpf_get_current_task_btf();
	struct nsproxy *nsp = task->nsproxy;

	return nsp && nsp->mnt_ns->ns.inum == 1;
}
