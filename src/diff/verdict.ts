import {constants} from 'node:os'
import type {SeccompAction, SeccompArg, SeccompProfile, SeccompRule} from '../profile/model.js'
import {compareArgValues} from '../profile/arg-value.js'
import {describeConditions} from '../profile/summary.js'

/**
 * What a flat profile does with one syscall name, the unit both diffs compare:
 *  - `allowed`: every call is allowed (ALLOW or LOG);
 *  - `denied`: no call is allowed;
 *  - `conditional`: it depends on the arguments (or on which of conflicting rules the runtime applies).
 */
export type Allowance = 'allowed' | 'conditional' | 'denied'

export interface ConditionalRule {
  action: SeccompAction
  errnoRet: number | null
  args: SeccompArg[]
  /** The comparisons in words, e.g. `arg0 == 0x8`. */
  conditions: string[]
}

export interface SyscallVerdict {
  allowance: Allowance
  /** What happens when no argument rule decides: the unconditional rule's action, else the default action. */
  base: {action: SeccompAction; errnoRet: number | null; fromDefault: boolean}
  /** The rules with argument comparisons, in canonical order. */
  conditional: ConditionalRule[]
  /** Unconditional rules with different actions or errnos: runtimes refuse or pick one. */
  conflicting: boolean
}

const ALLOWING: ReadonlySet<SeccompAction> = new Set(['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG'])

export function isAllowing(action: SeccompAction): boolean {
  return ALLOWING.has(action)
}

/**
 * The errno a denial returns: errnoRet, or EPERM for SCMP_ACT_ERRNO without one (runtime-spec: "if not
 * specified … EPERM"); null for actions that return no errno.
 */
export function effectiveErrno(action: SeccompAction, errnoRet: number | undefined | null): number | null {
  if (action === 'SCMP_ACT_ERRNO') return errnoRet ?? 1
  if (action === 'SCMP_ACT_TRACE') return errnoRet ?? null
  return null
}

/** The canonical form of one comparison: valueTwo only where it means something (MASKED_EQ, default 0). */
export function canonicalArg(arg: SeccompArg): SeccompArg {
  return arg.op === 'SCMP_CMP_MASKED_EQ' ? {index: arg.index, value: arg.value, valueTwo: arg.valueTwo ?? 0n, op: arg.op} : {index: arg.index, value: arg.value, op: arg.op}
}

function argKey(arg: SeccompArg): string {
  const c = canonicalArg(arg)
  return `${c.index}:${c.op}:${c.value}:${c.valueTwo ?? ''}`
}

function ruleKey(rule: {action: SeccompAction; errnoRet: number | null; args: SeccompArg[]}): string {
  return `${rule.action}/${rule.errnoRet ?? ''}/${rule.args.map(argKey).sort().join('&')}`
}

/** Rules of a flat profile by syscall name, in profile order. */
export class ProfileIndex {
  private readonly rules = new Map<string, SeccompRule[]>()

  constructor(readonly profile: SeccompProfile) {
    for (const rule of profile.syscalls ?? []) {
      for (const name of new Set(rule.names)) {
        const list = this.rules.get(name) ?? []
        list.push(rule)
        this.rules.set(name, list)
      }
    }
  }

  /** Every name some rule lists, sorted. */
  names(): string[] {
    return [...this.rules.keys()].sort()
  }

  has(name: string): boolean {
    return this.rules.has(name)
  }

  /** The name's own rules in canonical form (a set: order and duplicates do not matter), as a comparable key. */
  rulesKey(name: string): string {
    return [...new Set((this.rules.get(name) ?? []).map((r) => ruleKey({action: r.action, errnoRet: effectiveErrno(r.action, r.errnoRet), args: r.args ?? []})))].sort().join('|')
  }

  verdict(name: string): SyscallVerdict {
    const rules = this.rules.get(name) ?? []
    const unconditional = rules.filter((r) => !r.args?.length)
    const conditionalRules = rules.filter((r) => r.args?.length)

    let base: SyscallVerdict['base']
    let conflicting = false
    if (unconditional.length > 0) {
      const first = unconditional[0]!
      base = {action: first.action, errnoRet: effectiveErrno(first.action, first.errnoRet), fromDefault: false}
      conflicting = new Set(unconditional.map((r) => `${r.action}/${effectiveErrno(r.action, r.errnoRet) ?? ''}`)).size > 1
    } else {
      const action = this.profile.defaultAction
      base = {action, errnoRet: effectiveErrno(action, this.profile.defaultErrnoRet), fromDefault: true}
    }

    const byKey = new Map<string, ConditionalRule>()
    for (const r of conditionalRules) {
      const args = (r.args ?? []).map(canonicalArg).sort(compareArgs)
      const view: ConditionalRule = {action: r.action, errnoRet: effectiveErrno(r.action, r.errnoRet), args, conditions: describeConditions({names: [name], action: r.action, args})}
      byKey.set(ruleKey(view), view)
    }
    const conditional = [...byKey.values()].sort(compareRules)

    const baseAllows = isAllowing(base.action)
    const mixedUnconditional = conflicting && unconditional.some((r) => isAllowing(r.action)) !== unconditional.every((r) => isAllowing(r.action))
    let allowance: Allowance
    if (mixedUnconditional) allowance = 'conditional'
    else if (conditional.every((r) => isAllowing(r.action) === baseAllows)) allowance = baseAllows ? 'allowed' : 'denied'
    else allowance = 'conditional'
    return {allowance, base, conditional, conflicting}
  }
}

/** By argument index, then value (numerically), then operator. */
function compareArgs(a: SeccompArg, b: SeccompArg): number {
  return a.index - b.index || compareArgValues(a.value, b.value) || (a.op < b.op ? -1 : a.op > b.op ? 1 : 0) || compareArgValues(a.valueTwo ?? 0n, b.valueTwo ?? 0n)
}

/** Allowing rules first, then by their comparisons (see compareArgs), then errno. */
function compareRules(a: ConditionalRule, b: ConditionalRule): number {
  const allow = Number(isAllowing(b.action)) - Number(isAllowing(a.action))
  if (allow !== 0) return allow
  for (let i = 0; i < Math.max(a.args.length, b.args.length); i++) {
    const x = a.args[i]
    const y = b.args[i]
    if (x === undefined || y === undefined) return x === undefined ? -1 : 1
    const d = compareArgs(x, y)
    if (d !== 0) return d
  }
  return (a.action < b.action ? -1 : a.action > b.action ? 1 : 0) || (a.errnoRet ?? -1) - (b.errnoRet ?? -1)
}

/** A key that is equal for two verdicts exactly when they treat every call alike (fromDefault aside). */
export function verdictKey(v: SyscallVerdict): string {
  return `${v.base.action}/${v.base.errnoRet ?? ''}/${v.conflicting ? 'conflict' : ''}/${v.conditional.map(ruleKey).sort().join("|")}`
}

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
    return xAllows.every((a) => yAllows.some((b) => sameRule(a, b))) && yDenies.every((d) => xDenies.some((e) => implies(d.args, e.args)))
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

/** A verdict in words: `SCMP_ACT_ALLOW if arg0 == 0x8; otherwise SCMP_ACT_ERRNO(ENOSYS) (default)`. */
export function describeVerdict(v: SyscallVerdict): string {
  const base = `${describeAction(v.base.action, v.base.errnoRet)}${v.base.fromDefault ? ' (default)' : ''}`
  if (v.conditional.length === 0) return v.conflicting ? `${base} (conflicting unconditional rules)` : base
  const rules = v.conditional.map((r) => `${describeAction(r.action, r.errnoRet)} if ${r.conditions.join(' && ')}`)
  return `${rules.join('; ')}; otherwise ${base}`
}
