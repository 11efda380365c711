import type {SeccompArch, SeccompProfile} from '../profile/model.js'
import {sortArches} from '../runtime-default/arch.js'
import {effectiveErrno, isAllowing} from '../profile/semantics.js'

/**
 * Differences outside the syscall rules, from a base profile (`from`: the runtime default, or A) to a target
 * (`to`: the workload's profile, or B).
 */
export interface HeaderDiff {
  /** null when both default actions (with their errnos) are the same. */
  defaultAction: {from: string; to: string; fromErrnoRet: number | null; toErrnoRet: number | null} | null
  /** `widens`: the target's default allows and the base's does not; `narrows`: the reverse. */
  defaultAllowance: 'widens' | 'narrows' | null
  /** Architectures the filters apply to; a profile without `architectures` covers only the native one. */
  architectures: {from: string[]; to: string[]; added: string[]; removed: string[]}
  flags: {added: string[]; removed: string[]}
}

export function effectiveArchitectures(profile: SeccompProfile, native: SeccompArch): string[] {
  return profile.architectures?.length ? sortArches(profile.architectures) : [native]
}

export function diffHeader(from: SeccompProfile, to: SeccompProfile, native: SeccompArch): HeaderDiff {
  const fromErrno = effectiveErrno(from.defaultAction, from.defaultErrnoRet)
  const toErrno = effectiveErrno(to.defaultAction, to.defaultErrnoRet)
  const sameDefault = from.defaultAction === to.defaultAction && fromErrno === toErrno
  const fromAllows = isAllowing(from.defaultAction)
  const toAllows = isAllowing(to.defaultAction)
  const fromArches = effectiveArchitectures(from, native)
  const toArches = effectiveArchitectures(to, native)
  const fromFlags = new Set(from.flags ?? [])
  const toFlags = new Set(to.flags ?? [])
  return {
    defaultAction: sameDefault
      ? null
      : {from: from.defaultAction, to: to.defaultAction, fromErrnoRet: fromErrno, toErrnoRet: toErrno},
    defaultAllowance: fromAllows === toAllows ? null : toAllows ? 'widens' : 'narrows',
    architectures: {
      from: fromArches,
      to: toArches,
      added: toArches.filter((a) => !fromArches.includes(a)),
      removed: fromArches.filter((a) => !toArches.includes(a)),
    },
    flags: {
      added: [...toFlags].filter((f) => !fromFlags.has(f)).sort(),
      removed: [...fromFlags].filter((f) => !toFlags.has(f)).sort(),
    },
  }
}

export function mirrorHeader(h: HeaderDiff): HeaderDiff {
  return {
    defaultAction: h.defaultAction && {
      from: h.defaultAction.to,
      to: h.defaultAction.from,
      fromErrnoRet: h.defaultAction.toErrnoRet,
      toErrnoRet: h.defaultAction.fromErrnoRet,
    },
    defaultAllowance: h.defaultAllowance === 'widens' ? 'narrows' : h.defaultAllowance === 'narrows' ? 'widens' : null,
    architectures: {
      from: h.architectures.to,
      to: h.architectures.from,
      added: h.architectures.removed,
      removed: h.architectures.added,
    },
    flags: {added: h.flags.removed, removed: h.flags.added},
  }
}

/** How many header differences count as added, removed and changed (see Findings). */
export function headerFindings(h: HeaderDiff): Findings {
  return {
    added: h.architectures.added.length + (h.defaultAllowance === 'widens' ? 1 : 0),
    removed: h.architectures.removed.length + (h.defaultAllowance === 'narrows' ? 1 : 0),
    changed: (h.defaultAction ? 1 : 0) + h.flags.added.length + h.flags.removed.length,
  }
}

/**
 * What `--fail-on` looks at. `added`: the target allows something the base does not (a syscall, a wider
 * condition, an architecture, an allowing default); `removed`: the reverse; `changed`: other differences
 * (errnos, actions that deny either way, flags, any default change). A widening change counts as added and
 * changed, a narrowing one as removed and changed.
 */
export interface Findings {
  added: number
  removed: number
  changed: number
}

export const FAIL_ON = ['added', 'removed', 'any', 'none'] as const
export type FailOn = (typeof FAIL_ON)[number]

export function failsOn(findings: Findings, failOn: FailOn): boolean {
  switch (failOn) {
    case 'added':
      return findings.added > 0
    case 'removed':
      return findings.removed > 0
    case 'any':
      return findings.added + findings.removed + findings.changed > 0
    case 'none':
      return false
  }
}

export function addFindings(a: Findings, b: Findings): Findings {
  return {added: a.added + b.added, removed: a.removed + b.removed, changed: a.changed + b.changed}
}
