import {SYSCALL_ARGUMENT_NAMES} from './arguments.generated.js'

/**
 * Names of the argument values that decide a syscall's risk (issue 15), for people: `AF_INET`, `SOCK_STREAM`,
 * `CLONE_NEWUSER`, `PER_LINUX32`, `PR_SET_NAME`, `TCGETS`. The one table of these constants (Linux x86_64 values
 * from the uapi headers); a value without a name is written in hex. Argument names and counts come from
 * arguments.generated.ts (the kernel's trace events).
 */

const ADDRESS_FAMILIES = [
  'AF_UNSPEC', 'AF_UNIX', 'AF_INET', 'AF_AX25', 'AF_IPX', 'AF_APPLETALK', 'AF_NETROM', 'AF_BRIDGE', 'AF_ATMPVC',
  'AF_X25', 'AF_INET6', 'AF_ROSE', 'AF_DECnet', 'AF_NETBEUI', 'AF_SECURITY', 'AF_KEY', 'AF_NETLINK', 'AF_PACKET',
  'AF_ASH', 'AF_ECONET', 'AF_ATMSVC', 'AF_RDS', 'AF_SNA', 'AF_IRDA', 'AF_PPPOX', 'AF_WANPIPE', 'AF_LLC', 'AF_IB',
  'AF_MPLS', 'AF_CAN', 'AF_TIPC', 'AF_BLUETOOTH', 'AF_IUCV', 'AF_RXRPC', 'AF_ISDN', 'AF_PHONET', 'AF_IEEE802154',
  'AF_CAIF', 'AF_ALG', 'AF_NFC', 'AF_VSOCK', 'AF_KCM', 'AF_QIPCRTR', 'AF_SMC', 'AF_XDP', 'AF_MCTP',
] // prettier-ignore

const SOCKET_TYPES: Record<number, string> = {
  1: 'SOCK_STREAM', 2: 'SOCK_DGRAM', 3: 'SOCK_RAW', 4: 'SOCK_RDM', 5: 'SOCK_SEQPACKET', 6: 'SOCK_DCCP', 10: 'SOCK_PACKET',
} // prettier-ignore
export const SOCK_NONBLOCK = 0x800n
export const SOCK_CLOEXEC = 0x80000n
/** socket's type without its flag bits: the mask the kernel side records type with. */
export const SOCKET_TYPE_MASK = 0xffffffffn & ~(SOCK_NONBLOCK | SOCK_CLOEXEC)

/** The namespace flags of clone/unshare/setns. */
export const NAMESPACE_FLAGS: ReadonlyArray<[bigint, string]> = [
  [0x80n, 'CLONE_NEWTIME'], [0x20000n, 'CLONE_NEWNS'], [0x2000000n, 'CLONE_NEWCGROUP'], [0x4000000n, 'CLONE_NEWUTS'],
  [0x8000000n, 'CLONE_NEWIPC'], [0x10000000n, 'CLONE_NEWUSER'], [0x20000000n, 'CLONE_NEWPID'], [0x40000000n, 'CLONE_NEWNET'],
] // prettier-ignore
export const NAMESPACE_MASK = NAMESPACE_FLAGS.reduce((mask, [bit]) => mask | bit, 0n)

const CLONE_FLAGS: ReadonlyArray<[bigint, string]> = [
  [0x100n, 'CLONE_VM'], [0x200n, 'CLONE_FS'], [0x400n, 'CLONE_FILES'], [0x800n, 'CLONE_SIGHAND'],
  [0x1000n, 'CLONE_PIDFD'], [0x2000n, 'CLONE_PTRACE'], [0x4000n, 'CLONE_VFORK'], [0x8000n, 'CLONE_PARENT'],
  [0x10000n, 'CLONE_THREAD'], [0x40000n, 'CLONE_SYSVSEM'], [0x80000n, 'CLONE_SETTLS'],
  [0x100000n, 'CLONE_PARENT_SETTID'], [0x200000n, 'CLONE_CHILD_CLEARTID'], [0x800000n, 'CLONE_UNTRACED'],
  [0x1000000n, 'CLONE_CHILD_SETTID'], [0x80000000n, 'CLONE_IO'], ...NAMESPACE_FLAGS,
] // prettier-ignore

const PERSONAS: Record<number, string> = {0: 'PER_LINUX', 6: 'PER_BSD', 8: 'PER_LINUX32', 0x10: 'PER_HPUX'}
const PERSONALITY_FLAGS: ReadonlyArray<[bigint, string]> = [
  [0x20000n, 'UNAME26'], [0x40000n, 'ADDR_NO_RANDOMIZE'], [0x80000n, 'FDPIC_FUNCPTRS'], [0x100000n, 'MMAP_PAGE_ZERO'],
  [0x200000n, 'ADDR_COMPAT_LAYOUT'], [0x400000n, 'READ_IMPLIES_EXEC'], [0x800000n, 'ADDR_LIMIT_32BIT'],
  [0x1000000n, 'SHORT_INODE'], [0x2000000n, 'WHOLE_SECONDS'], [0x4000000n, 'STICKY_TIMEOUTS'], [0x8000000n, 'ADDR_LIMIT_3GB'],
] // prettier-ignore

const PRCTL_OPTIONS: Record<number, string> = {
  1: 'PR_SET_PDEATHSIG', 2: 'PR_GET_PDEATHSIG', 3: 'PR_GET_DUMPABLE', 4: 'PR_SET_DUMPABLE', 5: 'PR_GET_UNALIGN',
  6: 'PR_SET_UNALIGN', 7: 'PR_GET_KEEPCAPS', 8: 'PR_SET_KEEPCAPS', 9: 'PR_GET_FPEMU', 10: 'PR_SET_FPEMU',
  11: 'PR_GET_FPEXC', 12: 'PR_SET_FPEXC', 13: 'PR_GET_TIMING', 14: 'PR_SET_TIMING', 15: 'PR_SET_NAME',
  16: 'PR_GET_NAME', 19: 'PR_GET_ENDIAN', 20: 'PR_SET_ENDIAN', 21: 'PR_GET_SECCOMP', 22: 'PR_SET_SECCOMP',
  23: 'PR_CAPBSET_READ', 24: 'PR_CAPBSET_DROP', 25: 'PR_GET_TSC', 26: 'PR_SET_TSC', 27: 'PR_GET_SECUREBITS',
  28: 'PR_SET_SECUREBITS', 29: 'PR_SET_TIMERSLACK', 30: 'PR_GET_TIMERSLACK', 31: 'PR_TASK_PERF_EVENTS_DISABLE',
  32: 'PR_TASK_PERF_EVENTS_ENABLE', 33: 'PR_MCE_KILL', 34: 'PR_MCE_KILL_GET', 35: 'PR_SET_MM',
  36: 'PR_SET_CHILD_SUBREAPER', 37: 'PR_GET_CHILD_SUBREAPER', 38: 'PR_SET_NO_NEW_PRIVS', 39: 'PR_GET_NO_NEW_PRIVS',
  40: 'PR_GET_TID_ADDRESS', 41: 'PR_SET_THP_DISABLE', 42: 'PR_GET_THP_DISABLE', 45: 'PR_SET_FP_MODE',
  46: 'PR_GET_FP_MODE', 47: 'PR_CAP_AMBIENT', 52: 'PR_GET_SPECULATION_CTRL', 53: 'PR_SET_SPECULATION_CTRL',
  55: 'PR_SET_TAGGED_ADDR_CTRL', 56: 'PR_GET_TAGGED_ADDR_CTRL', 57: 'PR_SET_IO_FLUSHER', 58: 'PR_GET_IO_FLUSHER',
  59: 'PR_SET_SYSCALL_USER_DISPATCH', 62: 'PR_SCHED_CORE', 65: 'PR_SET_MDWE', 66: 'PR_GET_MDWE',
  67: 'PR_SET_MEMORY_MERGE', 68: 'PR_GET_MEMORY_MERGE', 0x53564d41: 'PR_SET_VMA', 0x59616d61: 'PR_SET_PTRACER',
} // prettier-ignore

/** Common ioctl requests (x86_64); others are written in hex. */
const IOCTL_REQUESTS: Record<number, string> = {
  0x1: 'FIBMAP', 0x2: 'FIGETBSZ', 0x5401: 'TCGETS', 0x5402: 'TCSETS', 0x5403: 'TCSETSW', 0x5404: 'TCSETSF',
  0x540a: 'TCXONC', 0x540b: 'TCFLSH', 0x540c: 'TIOCEXCL', 0x540d: 'TIOCNXCL', 0x540e: 'TIOCSCTTY',
  0x540f: 'TIOCGPGRP', 0x5410: 'TIOCSPGRP', 0x5411: 'TIOCOUTQ', 0x5412: 'TIOCSTI', 0x5413: 'TIOCGWINSZ',
  0x5414: 'TIOCSWINSZ', 0x541b: 'FIONREAD', 0x541c: 'TIOCLINUX', 0x5421: 'FIONBIO', 0x5422: 'TIOCNOTTY',
  0x5429: 'TIOCGSID', 0x5441: 'TIOCGPTPEER', 0x5450: 'FIONCLEX', 0x5451: 'FIOCLEX', 0x5452: 'FIOASYNC',
  0x8910: 'SIOCGIFNAME', 0x8912: 'SIOCGIFCONF', 0x8913: 'SIOCGIFFLAGS', 0x8914: 'SIOCSIFFLAGS',
  0x8915: 'SIOCGIFADDR', 0x8921: 'SIOCGIFMTU', 0x8927: 'SIOCGIFHWADDR', 0x8933: 'SIOCGIFINDEX',
  0x40045431: 'TIOCSPTLCK', 0x40049409: 'FICLONE', 0x80045430: 'TIOCGPTN', 0x80081272: 'BLKGETSIZE64',
  0x80086601: 'FS_IOC_GETFLAGS',
} // prettier-ignore

export const hex = (value: bigint): string => `0x${value.toString(16)}`

/** `A|B|0x…` for the bits of `value` named in `flags` (the rest in hex); `none` when value is 0. */
function flagNames(value: bigint, flags: ReadonlyArray<[bigint, string]>, none: string): string {
  if (value === 0n) return none
  const names: string[] = []
  let rest = value
  for (const [bit, name] of flags) {
    if ((value & bit) !== 0n) {
      names.push(name)
      rest &= ~bit
    }
  }
  if (rest !== 0n) names.push(hex(rest))
  return names.join('|')
}

const fromTable = (table: Record<number, string> | readonly string[], value: bigint): string =>
  value <= 0xffffffffn ? ((table as Record<number, string>)[Number(value)] ?? hex(value)) : hex(value)

function socketType(value: bigint): string {
  const base = fromTable(SOCKET_TYPES, value & 0xfn)
  const flags = flagNames(value & ~0xfn, [[SOCK_NONBLOCK, 'SOCK_NONBLOCK'], [SOCK_CLOEXEC, 'SOCK_CLOEXEC']], '') // prettier-ignore
  return flags === '' ? base : `${base}|${flags}`
}

function persona(value: bigint): string {
  if (value === 0xffffffffn) return 'query (0xffffffff)'
  if (value > 0xffffffffn) return hex(value)
  const base = fromTable(PERSONAS, value & 0xffn)
  const flags = flagNames(value & ~0xffn, PERSONALITY_FLAGS, '')
  return flags === '' ? base : `${base}|${flags}`
}

type Namer = (value: bigint) => string

/** How to name the value of (syscall, argument index); masked values are named the same way (after masking). */
const VALUE_NAMERS: Record<string, Record<number, Namer>> = {
  socket: {0: (v) => fromTable(ADDRESS_FAMILIES, v), 1: socketType},
  clone: {0: (v) => flagNames(v, CLONE_FLAGS, 'no namespace flags')},
  unshare: {0: (v) => flagNames(v, CLONE_FLAGS, 'no flags')},
  setns: {1: (v) => flagNames(v, NAMESPACE_FLAGS, 'any namespace type')},
  personality: {0: persona},
  prctl: {0: (v) => fromTable(PRCTL_OPTIONS, v)},
  ioctl: {1: (v) => fromTable(IOCTL_REQUESTS, v)},
}

/** The value of argument `index` of `syscall` by name where one is known (`AF_INET`), else in hex. */
export function argumentValueName(syscall: string, index: number, value: bigint): string {
  return VALUE_NAMERS[syscall]?.[index]?.(value) ?? hex(value)
}

/** A mask in words where it is a known one (`namespace flags`, `type flags aside`), else in hex. */
export function argumentMaskName(syscall: string, index: number, mask: bigint): string {
  if (mask === NAMESPACE_MASK && (syscall === 'clone' || syscall === 'unshare')) return 'namespace flags'
  if (syscall === 'socket' && index === 1 && mask === SOCKET_TYPE_MASK) return '~(SOCK_NONBLOCK|SOCK_CLOEXEC)'
  return hex(mask)
}

/** The argument's name in the kernel's prototype (`family`), else `arg<index>`. */
export function argumentName(syscall: string, index: number): string {
  return SYSCALL_ARGUMENT_NAMES[syscall]?.[index] ?? `arg${index}`
}

/** How many arguments the syscall takes, or undefined when the table does not know it (no trace event). */
export function argumentCount(syscall: string): number | undefined {
  return SYSCALL_ARGUMENT_NAMES[syscall]?.length
}

/** The syscall is one whose argument values this module names (socket, clone, unshare, setns, personality, prctl, ioctl). */
export function hasNamedArguments(syscall: string): boolean {
  return Object.hasOwn(VALUE_NAMERS, syscall)
}
