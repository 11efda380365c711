import {EXIT} from '../core/exit-codes.js'
import {UserError} from '../core/errors.js'
import {
  isEmptyFilter,
  type RuleFilter,
  type SeccompArch,
  type SeccompProfile,
  type SeccompRule,
} from '../profile/model.js'
import {errnoNumber} from '../profile/normalise.js'
import {seccompArchName} from './arch.js'
import {kernelAtLeast, parseKernelVersion, type KernelVersion} from './kernel.js'

/** What a docker/moby-format profile is resolved for: the target's architecture, bounding capabilities and kernel. */
export interface ResolveOptions {
  /** The native architecture of the host the container runs on (SCMP_ARCH_*). */
  arch: SeccompArch
  /** The container's bounding capability set (CAP_* names). */
  caps: readonly string[]
  /** The host kernel's release, e.g. `6.18.44` or what `uname -r` prints. */
  kernel: string
}

/** Why one rule of the input was kept or dropped. */
export interface RuleDecision {
  /** Index of the rule in the input's `syscalls`. */
  index: number
  names: string[]
  kept: boolean
  /** e.g. `kept`, `excludes caps: CAP_SYS_ADMIN is in the bounding set`, `includes minKernel 4.8: kernel is 4.4.0` */
  reason: string
}

/**
 * Resolves a docker/moby-format profile (archMap, per-rule includes/excludes, containers-common `errno`
 * names) for one host into the flat OCI profile a runtime loads, the way moby's and containers-common's
 * `setupSeccomp` do:
 *  - `architectures` comes from the `archMap` entry of the target architecture: it and its sub-architectures
 *    (no matching entry: none, so the runtime uses only the native one); a profile's own `architectures` stays;
 *  - a rule is dropped when ANY `excludes` condition holds: its `arches` list the target (libseccomp names:
 *    amd64, arm64, …), one of its `caps` is in the bounding set, the kernel is `minKernel` or newer;
 *  - a rule is kept only when ALL `includes` conditions hold: target listed, every cap in the bounding set,
 *    kernel at least `minKernel`;
 *  - argument comparisons stay: a rule with `args` remains conditional;
 *  - `errno`/`defaultErrno` names become `errnoRet`/`defaultErrnoRet` numbers, `comment` goes.
 * A flat profile passes through unchanged apart from those conversions. Rules keep their order.
 */
export function resolveProfile(profile: SeccompProfile, options: ResolveOptions): SeccompProfile {
  return explainResolution(profile, options).profile
}

/** resolveProfile plus the decision taken for every rule (for tests and `--explain`-style output). */
export function explainResolution(
  profile: SeccompProfile,
  options: ResolveOptions,
): {profile: SeccompProfile; decisions: RuleDecision[]} {
  if (profile.architectures?.length && profile.archMap?.length) {
    throw new UserError("the profile has both 'architectures' and 'archMap': runtimes refuse it; keep one of them", {
      exit: EXIT.USAGE,
      code: 'architectures-and-archmap',
    })
  }
  const kernel = parseKernelVersion(options.kernel)
  const caps = new Set(options.caps)
  const archName = seccompArchName(options.arch)

  const out: SeccompProfile = {defaultAction: profile.defaultAction}
  const defaultErrnoRet = profile.defaultErrnoRet ?? errnoNumber(profile.defaultErrno)
  if (defaultErrnoRet !== undefined) out.defaultErrnoRet = defaultErrnoRet

  let architectures: SeccompArch[] = [...(profile.architectures ?? [])]
  const entry = profile.archMap?.find((m) => m.architecture === options.arch)
  if (entry) architectures = [...new Set([entry.architecture, ...(entry.subArchitectures ?? [])])]
  if (architectures.length > 0) out.architectures = architectures
  if (profile.flags?.length) out.flags = [...profile.flags]
  if (profile.listenerPath !== undefined) out.listenerPath = profile.listenerPath
  if (profile.listenerMetadata !== undefined) out.listenerMetadata = profile.listenerMetadata

  const decisions: RuleDecision[] = []
  const syscalls: SeccompRule[] = []
  ;(profile.syscalls ?? []).forEach((rule, index) => {
    const reason = dropReason(rule, {archName, caps, kernel})
    decisions.push({index, names: [...rule.names], kept: reason === undefined, reason: reason ?? 'kept'})
    if (reason === undefined) syscalls.push(flatRule(rule))
  })
  out.syscalls = syscalls
  return {profile: out, decisions}
}

function dropReason(
  rule: SeccompRule,
  target: {archName: string; caps: ReadonlySet<string>; kernel: KernelVersion},
): string | undefined {
  const excludes: RuleFilter = rule.excludes ?? {}
  const includes: RuleFilter = rule.includes ?? {}
  const kernelText = `${target.kernel.major}.${target.kernel.minor}.${target.kernel.patch}`
  if (!isEmptyFilter(excludes)) {
    if (excludes.arches?.includes(target.archName)) return `excludes arches: ${target.archName} is listed`
    const present = (excludes.caps ?? []).find((c) => target.caps.has(c))
    if (present) return `excludes caps: ${present} is in the bounding set`
    if (excludes.minKernel !== undefined && kernelAtLeast(target.kernel, excludes.minKernel))
      return `excludes minKernel ${excludes.minKernel}: kernel is ${kernelText}`
  }
  if (!isEmptyFilter(includes)) {
    if (includes.arches?.length && !includes.arches.includes(target.archName))
      return `includes arches ${includes.arches.join(',')}: target is ${target.archName}`
    const missing = (includes.caps ?? []).find((c) => !target.caps.has(c))
    if (missing) return `includes caps: ${missing} is not in the bounding set`
    if (includes.minKernel !== undefined && !kernelAtLeast(target.kernel, includes.minKernel))
      return `includes minKernel ${includes.minKernel}: kernel is ${kernelText}`
  }
  return undefined
}

/** The OCI part of a rule: names, action, errnoRet (from `errno` if needed), args when there are any. */
function flatRule(rule: SeccompRule): SeccompRule {
  const out: SeccompRule = {names: [...rule.names], action: rule.action}
  const errnoRet = rule.errnoRet ?? errnoNumber(rule.errno)
  if (errnoRet !== undefined) out.errnoRet = errnoRet
  if (rule.args?.length) out.args = rule.args.map((a) => ({...a}))
  return out
}
