import type {SeccompProfile} from '../profile/model.js'

/** Syscalls containerd's default allows unconditionally where moby's needs CAP_SYS_ADMIN. */
export const CONTAINERD_UNCONDITIONAL = Object.freeze(['lsm_get_self_attr', 'lsm_list_modules', 'lsm_set_self_attr'])
/** Syscalls moby allows that containerd's default does not list. */
export const CONTAINERD_LACKS = Object.freeze(['riscv_hwprobe'])

export const CONTAINERD_DIFFERENCES = `${CONTAINERD_UNCONDITIONAL.join(', ')} allowed unconditionally; ${CONTAINERD_LACKS.join(', ')} not allowed`

/**
 * containerd's built-in default profile (Go code, contrib/seccomp/seccomp_default.go) expressed from moby's
 * default.json. containerd's Go default is nearly moby's: it allows lsm_* unconditionally and lacks
 * riscv_hwprobe. So: the lsm_* names leave whatever conditional rules name them and get an
 * unconditional SCMP_ACT_ALLOW rule of their own; riscv_hwprobe leaves every rule; empty rules go.
 * (containerd omits defaultErrnoRet; runtimes then use EPERM, which is moby's 1.)
 */
export function containerdFromMoby(moby: SeccompProfile): SeccompProfile {
  const moved = new Set<string>(CONTAINERD_UNCONDITIONAL)
  const dropped = new Set<string>(CONTAINERD_LACKS)
  const syscalls = (moby.syscalls ?? [])
    .map((rule) => ({...rule, names: rule.names.filter((n) => !dropped.has(n) && !moved.has(n))}))
    .filter((rule) => rule.names.length > 0)
  syscalls.push({names: [...CONTAINERD_UNCONDITIONAL], action: 'SCMP_ACT_ALLOW'})
  return {...moby, syscalls}
}
