import {allNames, architecturesOf, type SyscallSet} from '../syscalls/syscall-set.js'
import type {SeccompArch, SeccompProfile} from './model.js'
import {errnoNumber} from './normalise.js'

/**
 * The flat OCI profile that allows exactly the recorded syscalls: default SCMP_ACT_ERRNO with EPERM
 * (a syscall outside the recording fails visibly instead of killing the workload), the architectures
 * of the ABIs seen, one SCMP_ACT_ALLOW rule. Loads in CRI-O, containerd, podman, runc and crun as it is.
 */
export function profileFromSyscalls(set: SyscallSet): SeccompProfile {
  const names = allNames(set)
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: errnoNumber('EPERM')!,
    architectures: architecturesOf(set) as SeccompArch[],
    syscalls: names.length > 0 ? [{names, action: 'SCMP_ACT_ALLOW'}] : [],
  }
}
