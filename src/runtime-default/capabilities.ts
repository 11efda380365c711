import {EXIT} from '../core/exit-codes.js'
import {UserError} from '../core/errors.js'

/** Every Linux capability (include/uapi/linux/capability.h, CAP_CHOWN = 0 … CAP_CHECKPOINT_RESTORE = 40). */
export const LINUX_CAPABILITIES = [
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_DAC_READ_SEARCH',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_SETGID',
  'CAP_SETUID',
  'CAP_SETPCAP',
  'CAP_LINUX_IMMUTABLE',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_BROADCAST',
  'CAP_NET_ADMIN',
  'CAP_NET_RAW',
  'CAP_IPC_LOCK',
  'CAP_IPC_OWNER',
  'CAP_SYS_MODULE',
  'CAP_SYS_RAWIO',
  'CAP_SYS_CHROOT',
  'CAP_SYS_PTRACE',
  'CAP_SYS_PACCT',
  'CAP_SYS_ADMIN',
  'CAP_SYS_BOOT',
  'CAP_SYS_NICE',
  'CAP_SYS_RESOURCE',
  'CAP_SYS_TIME',
  'CAP_SYS_TTY_CONFIG',
  'CAP_MKNOD',
  'CAP_LEASE',
  'CAP_AUDIT_WRITE',
  'CAP_AUDIT_CONTROL',
  'CAP_SETFCAP',
  'CAP_MAC_OVERRIDE',
  'CAP_MAC_ADMIN',
  'CAP_SYSLOG',
  'CAP_WAKE_ALARM',
  'CAP_BLOCK_SUSPEND',
  'CAP_AUDIT_READ',
  'CAP_PERFMON',
  'CAP_BPF',
  'CAP_CHECKPOINT_RESTORE',
] as const

/**
 * podman / CRI-O through containers-common: the 11 capabilities of `default_capabilities` in containers.conf.
 * Sources: containers/common commit f39f2a3 "Rework default list of capabilities to minimal" (drops
 * CAP_AUDIT_WRITE, CAP_MKNOD and CAP_NET_RAW from Docker's 14), and Debian 12's
 * /usr/share/containers/containers.conf (golang-github-containers-common 0.50.1), which lists exactly these.
 */
export const CONTAINERS_COMMON_DEFAULT_CAPS: readonly string[] = Object.freeze([
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_NET_BIND_SERVICE',
  'CAP_SETFCAP',
  'CAP_SETGID',
  'CAP_SETPCAP',
  'CAP_SETUID',
  'CAP_SYS_CHROOT',
])

/**
 * Docker (moby `oci/defaults.go` defaultCapabilities()) and containerd (`oci/spec.go` defaultUnixCaps(), also
 * what its CRI plugin starts from): the same 14 capabilities.
 */
export const DOCKER_DEFAULT_CAPS: readonly string[] = Object.freeze([
  'CAP_AUDIT_WRITE',
  'CAP_CHOWN',
  'CAP_DAC_OVERRIDE',
  'CAP_FOWNER',
  'CAP_FSETID',
  'CAP_KILL',
  'CAP_MKNOD',
  'CAP_NET_BIND_SERVICE',
  'CAP_NET_RAW',
  'CAP_SETFCAP',
  'CAP_SETGID',
  'CAP_SETPCAP',
  'CAP_SETUID',
  'CAP_SYS_CHROOT',
])

const KNOWN: ReadonlySet<string> = new Set(LINUX_CAPABILITIES)

/**
 * Capability names as users write them (`sys_admin`, `CAP_SYS_ADMIN`, `NET_RAW,SYS_PTRACE`, `ALL`), as a
 * sorted, unique list of `CAP_*` names. Unknown names are a UserError (exit USAGE) with a suggestion.
 */
export function parseCapabilities(values: readonly string[]): string[] {
  const out = new Set<string>()
  for (const value of values) {
    for (const part of value.split(',')) {
      const word = part.trim().toUpperCase()
      if (word === '' || word === 'NONE') continue
      if (word === 'ALL' || word === 'CAP_ALL') {
        for (const cap of LINUX_CAPABILITIES) out.add(cap)
        continue
      }
      const name = word.startsWith('CAP_') ? word : `CAP_${word}`
      if (!KNOWN.has(name)) {
        const near = LINUX_CAPABILITIES.find((c) => editDistance(c, name) <= 2)
        throw new UserError(`unknown capability "${part.trim()}"`, {
          exit: EXIT.USAGE,
          code: 'unknown-capability',
          suggestions: [
            near
              ? `did you mean ${near}?`
              : `capabilities are named like CAP_SYS_ADMIN or sys_admin; ALL and none also work`,
          ],
        })
      }
      out.add(name)
    }
  }
  return [...out].sort()
}

/**
 * The bounding set a container gets: `caps` replaces the runtime's defaults when given, then `drop` removes and
 * `add` adds; as with podman's and Docker's `--cap-drop`/`--cap-add`, an added capability wins over a dropped
 * one, so `drop: ['ALL'], add: ['NET_BIND_SERVICE']` leaves exactly that one. Sorted and unique.
 */
export function capabilitySet(
  defaults: readonly string[],
  options: {caps?: readonly string[]; add?: readonly string[]; drop?: readonly string[]} = {},
): string[] {
  const set = new Set(options.caps === undefined ? defaults : parseCapabilities(options.caps))
  for (const cap of parseCapabilities(options.drop ?? [])) set.delete(cap)
  for (const cap of parseCapabilities(options.add ?? [])) set.add(cap)
  return [...set].sort()
}

function editDistance(a: string, b: string): number {
  let previous = Array.from({length: b.length + 1}, (_, j) => j)
  for (let i = 1; i <= a.length; i++) {
    const current = [i]
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(previous[j]! + 1, current[j - 1]! + 1, previous[j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1))
    previous = current
  }
  return previous[b.length]!
}
