import {allNames, architecturesOf, type SyscallSet} from '../syscalls/syscall-set.js'
import {argumentRulesFor, withClone3Fallback, type ArgumentPlan} from './argument-rules.js'
import type {SeccompArch, SeccompProfile, SeccompRule} from './model.js'
import {errnoNumber} from './normalise.js'

/**
 * The flat OCI profile that allows exactly the recorded syscalls: default SCMP_ACT_ERRNO with EPERM
 * (a syscall outside the recording fails visibly instead of killing the workload), the architectures
 * of the ABIs seen, one SCMP_ACT_ALLOW rule. Loads in CRI-O, containerd, podman, runc and crun as it is.
 * With an argument plan (argument-rules.ts), the syscalls it restricts are left out of that rule and allowed
 * only with the values seen, one rule per value; clone3 then gets ENOSYS when clone is restricted.
 */
export function profileFromSyscalls(set: SyscallSet, options: {arguments?: ArgumentPlan} = {}): SeccompProfile {
  const names = allNames(set)
  const {restricted, clone3Rule} = withClone3Fallback(
    options.arguments?.restricted ?? new Map(),
    names.includes('clone3'),
  )
  const conditional: SeccompRule[] = [...restricted].flatMap(([name, r]) => argumentRulesFor(name, r))
  if (clone3Rule) conditional.push(clone3Rule)
  const byName = names.filter((n) => !restricted.has(n) && !(clone3Rule && n === 'clone3'))
  return {
    defaultAction: 'SCMP_ACT_ERRNO',
    defaultErrnoRet: errnoNumber('EPERM')!,
    architectures: architecturesOf(set) as SeccompArch[],
    syscalls: [...(byName.length > 0 ? [{names: byName, action: 'SCMP_ACT_ALLOW' as const}] : []), ...conditional],
  }
}
