import {constants} from 'node:os'
import type {SeccompAction, SeccompArg} from '../profile/model.js'
import {describeAllowedValues} from '../profile/conditions-text.js'
import {
  argKey,
  isAllowing,
  ruleKey,
  verdictKey,
  type ConditionalRule,
  type SyscallVerdict,
} from '../profile/semantics.js'

/**
 * Comparing and describing what two profiles do with a syscall (the verdicts themselves are defined in
 * profile/semantics.ts).
 */

/** Every comparison of `weaker` also appears in `stronger`: whatever `stronger` matches, `weaker` matches. */
function implies(stronger: SeccompArg[], weaker: SeccompArg[]): boolean {
  const have = new Set(stronger.map(argKey))
  return weaker.every((a) => have.has(argKey(a)))
}

const sameRule = (a: ConditionalRule, b: ConditionalRule) => ruleKey(a) === ruleKey(b)

/**
 * True when every call `x` allows is also allowed by `y` (x ⊆ y). Decided from the rules' shapes and
 * conservative where seccomp's rule precedence would matter: "false" means "cannot show it", which a diff
 * reports as a possible widening (for a CI gate, the safe side).
 */
export function allowsSubset(x: SyscallVerdict, y: SyscallVerdict): boolean {
  if (x.allowance === 'denied') return true
  if (y.allowance === 'allowed') return true
  if (verdictKey(x) === verdictKey(y)) return true
  if (y.allowance === 'denied' || x.conflicting || y.conflicting) return false
  const xAllows = x.conditional.filter((r) => isAllowing(r.action))
  const xDenies = x.conditional.filter((r) => !isAllowing(r.action))
  const yAllows = y.conditional.filter((r) => isAllowing(r.action))
  const yDenies = y.conditional.filter((r) => !isAllowing(r.action))
  // y's denials must also be x's (same rule), or they might cut into what x allows.
  const yDeniesAlsoInX = yDenies.every((d) => xDenies.some((e) => sameRule(d, e)))
  const xBaseAllows = isAllowing(x.base.action)
  const yBaseAllows = isAllowing(y.base.action)
  if (!xBaseAllows && !yBaseAllows) {
    // x allows only its allowing rules' calls: each must fall under one of y's allowing rules.
    return yDeniesAlsoInX && xAllows.every((a) => yAllows.some((b) => implies(a.args, b.args)))
  }
  if (xBaseAllows && yBaseAllows) {
    // Both allow everything but their denials: y's denials must be covered by x's, and x must not re-allow inside them.
    return (
      xAllows.every((a) => yAllows.some((b) => sameRule(a, b))) &&
      yDenies.every((d) => xDenies.some((e) => implies(d.args, e.args)))
    )
  }
  if (!xBaseAllows && yBaseAllows) return yDeniesAlsoInX
  return false // x allows by default, y only under conditions
}

/** `EPERM`, `ENOSYS`, … for an errno number (Linux), or the number as text. */
export function errnoName(errno: number): string {
  for (const [name, value] of Object.entries(constants.errno)) if (value === errno) return name
  return String(errno)
}

/** `SCMP_ACT_ERRNO(EPERM)`, `SCMP_ACT_ALLOW`, … */
export function describeAction(action: SeccompAction, errnoRet: number | null): string {
  return errnoRet === null ? action : `${action}(${errnoName(errnoRet)})`
}

/**
 * A verdict in words: `SCMP_ACT_ALLOW if arg0 == 0x8; otherwise SCMP_ACT_ERRNO(ENOSYS) (default)`; a syscall
 * allowed only for a list of argument values says which by name: `SCMP_ACT_ALLOW for AF_INET (SOCK_STREAM),
 * AF_UNIX (SOCK_STREAM); otherwise SCMP_ACT_ERRNO(EPERM) (default)`.
 */
export function describeVerdict(v: SyscallVerdict): string {
  const base = `${describeAction(v.base.action, v.base.errnoRet)}${v.base.fromDefault ? ' (default)' : ''}`
  const actions = new Set(v.conditional.map((r) => describeAction(r.action, r.errnoRet)))
  if (v.values !== null && actions.size === 1)
    return `${[...actions][0]!} for ${v.values.join(', ')}; otherwise ${base}`
  if (v.conditional.length === 0) return v.conflicting ? `${base} (conflicting unconditional rules)` : base
  const rules = v.conditional.map((r) => `${describeAction(r.action, r.errnoRet)} if ${r.conditions.join(' && ')}`)
  return `${rules.join('; ')}; otherwise ${base}`
}

/** Argument values one verdict allows and the other does not, by name (both allow the syscall only for listed values). */
export interface ValueChanges {
  added: string[]
  removed: string[]
}

/**
 * What changed in the values of a syscall both verdicts allow only for listed argument values (`values` not null):
 * the values `to` adds and the ones it drops, e.g. `{added: ["AF_PACKET (SOCK_RAW)"], removed: []}`. Null when
 * either is not such a list.
 */
export function valueChanges(name: string, from: SyscallVerdict, to: SyscallVerdict): ValueChanges | null {
  if (from.values === null || to.values === null) return null
  const fromKeys = new Set(from.conditional.map(ruleKey))
  const toKeys = new Set(to.conditional.map(ruleKey))
  const only = (rules: ConditionalRule[], other: Set<string>) => rules.filter((r) => !other.has(ruleKey(r)))
  return {
    added: describeAllowedValues(name, only(to.conditional, fromKeys)) ?? [],
    removed: describeAllowedValues(name, only(from.conditional, toKeys)) ?? [],
  }
}
