/**
 * Types for seccomp profiles: the OCI runtime-spec `linux.seccomp` object (what runtimes load) and the
 * docker/moby extensions (`archMap`, per-rule `includes`/`excludes`, `comment`) plus containers-common's
 * `errno`/`defaultErrno` strings. A flat OCI profile is a `SeccompProfile` without the docker extensions.
 */

export const SECCOMP_ACTIONS = [
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
] as const
export type SeccompAction = (typeof SECCOMP_ACTIONS)[number]

export const SECCOMP_OPERATORS = [
  'SCMP_CMP_NE',
  'SCMP_CMP_LT',
  'SCMP_CMP_LE',
  'SCMP_CMP_EQ',
  'SCMP_CMP_GE',
  'SCMP_CMP_GT',
  'SCMP_CMP_MASKED_EQ',
] as const
export type SeccompOperator = (typeof SECCOMP_OPERATORS)[number]

/** Architectures named by the OCI runtime-spec (`SCMP_ARCH_*`). */
export const SECCOMP_ARCHES = [
  'SCMP_ARCH_X86',
  'SCMP_ARCH_X86_64',
  'SCMP_ARCH_X32',
  'SCMP_ARCH_ARM',
  'SCMP_ARCH_AARCH64',
  'SCMP_ARCH_MIPS',
  'SCMP_ARCH_MIPS64',
  'SCMP_ARCH_MIPS64N32',
  'SCMP_ARCH_MIPSEL',
  'SCMP_ARCH_MIPSEL64',
  'SCMP_ARCH_MIPSEL64N32',
  'SCMP_ARCH_PPC',
  'SCMP_ARCH_PPC64',
  'SCMP_ARCH_PPC64LE',
  'SCMP_ARCH_S390',
  'SCMP_ARCH_S390X',
  'SCMP_ARCH_PARISC',
  'SCMP_ARCH_PARISC64',
  'SCMP_ARCH_RISCV64',
  'SCMP_ARCH_LOONGARCH64',
  'SCMP_ARCH_M68K',
  'SCMP_ARCH_SH',
  'SCMP_ARCH_SHEB',
] as const
export type SeccompArch = (typeof SECCOMP_ARCHES)[number]

export const SECCOMP_FLAGS = [
  'SECCOMP_FILTER_FLAG_TSYNC',
  'SECCOMP_FILTER_FLAG_LOG',
  'SECCOMP_FILTER_FLAG_SPEC_ALLOW',
  'SECCOMP_FILTER_FLAG_WAIT_KILLABLE_RECV',
] as const
export type SeccompFlag = (typeof SECCOMP_FLAGS)[number]

/** The most arguments a syscall has, and so the most comparisons one rule can make. */
export const MAX_SYSCALL_ARGS = 6

/** A comparison of one syscall argument; values are u64, held exactly as bigint (see arg-value.ts). */
export interface SeccompArg {
  index: number
  value: bigint
  valueTwo?: bigint
  op: SeccompOperator
}

/** docker/moby: conditions under which a rule applies (`includes`: all must hold; `excludes`: any drops it). */
export interface RuleFilter {
  caps?: string[] | null
  arches?: string[] | null
  minKernel?: string
}

export interface SeccompRule {
  names: string[]
  action: SeccompAction
  errnoRet?: number
  args?: SeccompArg[] | null
  /** docker/moby and containers-common extensions. */
  comment?: string
  includes?: RuleFilter
  excludes?: RuleFilter
  /** containers-common: errno by name, e.g. "EPERM". */
  errno?: string
}

export interface ArchMapEntry {
  architecture: SeccompArch
  /** null in moby's file for architectures without sub-architectures */
  subArchitectures: SeccompArch[] | null
}

export interface SeccompProfile {
  defaultAction: SeccompAction
  defaultErrnoRet?: number
  /** containers-common: default errno by name. */
  defaultErrno?: string
  architectures?: SeccompArch[] | null
  /** docker/moby: architectures with their sub-architectures; resolved into `architectures` for a host. */
  archMap?: ArchMapEntry[] | null
  flags?: SeccompFlag[] | null
  listenerPath?: string
  listenerMetadata?: string
  syscalls?: SeccompRule[] | null
}

export type ProfileFormat = 'oci' | 'docker'

/** The docker/moby-only keys; a profile using any of them is in docker format and must be resolved before a runtime loads it flat. */
export function profileFormat(profile: SeccompProfile): ProfileFormat {
  if (profile.archMap) return 'docker'
  for (const rule of profile.syscalls ?? []) {
    if (rule.includes !== undefined || rule.excludes !== undefined) return 'docker'
  }
  return 'oci'
}

/** True when the rule applies without conditions: no argument comparisons, no includes/excludes. */
export function isUnconditional(rule: SeccompRule): boolean {
  return !rule.args?.length && isEmptyFilter(rule.includes) && isEmptyFilter(rule.excludes)
}

export function isEmptyFilter(filter: RuleFilter | null | undefined): boolean {
  return (
    filter === undefined ||
    filter === null ||
    ((filter.caps ?? []).length === 0 && (filter.arches ?? []).length === 0 && filter.minKernel === undefined)
  )
}
