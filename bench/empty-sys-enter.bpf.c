// SPDX-License-Identifier: GPL-2.0-only
/*
 * The floor of the syscall-overhead benchmark: a tp_btf/sys_enter program
 * that does nothing.  Whatever it costs, every recorder on this hook pays.
 */
#include "vmlinux.h"
#include <bpf/bpf_helpers.h>
#include <bpf/bpf_tracing.h>

char LICENSE[] SEC("license") = "GPL";

SEC("tp_btf/sys_enter")
int BPF_PROG(empty_sys_enter, struct pt_regs *regs, long id)
{
	return 0;
}
