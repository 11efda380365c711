import {compareArgValues, U64_MAX} from './arg-value.js'
import {describeAllowedValues, describeConditions} from './conditions-text.js'
import {
  isEmptyFilter,
  isUnconditional,
  type SeccompAction,
  type SeccompArg,
  type SeccompProfile,
  type SeccompRule,
} from './model.js'

/**
 * What a seccomp profile does with a syscall: the one definition merge, diff, lint, summaries and the build
 * report share.
 *
 * Actions, least restrictive first (ACTION_ORDER):
 *   ALLOW > LOG > NOTIFY > TRACE > ERRNO > TRAP > KILL_THREAD > KILL > KILL_PROCESS
 * ALLOW and LOG let the call through (LOG also logs it); NOTIFY and TRACE hand the decision to a user-space
 * agent or tracer; ERRNO fails the call, TRAP sends SIGSYS; the KILLs end a thread or the process (KILL is
 * libseccomp's alias of KILL_THREAD, ranked below it so the order is total).
 *
 * ERRNO and TRACE carry a number (the errno, or the tracer's message): errnoRet, and EPERM when it is missing —
 * for both, as the runtime-spec says ("if not specified then its default value is EPERM") and runc and crun
 * load it. Between two such verdicts with the same action the higher number counts as less restrictive: in
 * practice ENOSYS (38) over EPERM (1), which lets glibc fall back from clone3 to clone.
 */

export const ACTION_ORDER: readonly SeccompAction[] = [
  'SCMP_ACT_ALLOW',
  'SCMP_ACT_LOG',
  'SCMP_ACT_NOTIFY',
  'SCMP_ACT_TRACE',
  'SCMP_ACT_ERRNO',
  'SCMP_ACT_TRAP',
  'SCMP_ACT_KILL_THREAD',
  'SCMP_ACT_KILL',
  'SCMP_ACT_KILL_PROCESS',
]
const RANK = new Map<SeccompAction, number>(ACTION_ORDER.map((action, i) => [action, ACTION_ORDER.length - i]))
export const EPERM = 1

/** The call goes through (ALLOW, or LOG which also logs it). */
export function isAllowing(action: SeccompAction): boolean {
  return action === 'SCMP_ACT_ALLOW' || action === 'SCMP_ACT_LOG'
}

/** The action returns a number (errnoRet): ERRNO and TRACE. */
export function takesErrno(action: SeccompAction): boolean {
  return action === 'SCMP_ACT_ERRNO' || action === 'SCMP_ACT_TRACE'
}

/** The number an ERRNO or TRACE action returns: errnoRet, else EPERM; null for actions that return none. */
export function effectiveErrno(action: SeccompAction, errnoRet: number | undefined | null): number | null {
  return takesErrno(action) ? (errnoRet ?? EPERM) : null
}

/** An action as the kernel applies it: errnoRet is effectiveErrno (null for actions without a number). */
export interface Verdict {
  action: SeccompAction
  errnoRet: number | null
}

export function verdictOf(action: SeccompAction, errnoRet: number | undefined | null): Verdict {
  return {action, errnoRet: effectiveErrno(action, errnoRet)}
}

/** > 0 when a is less restrictive than b, < 0 when more, 0 when they are the same verdict. */
export function compareVerdicts(a: Verdict, b: Verdict): number {
  return RANK.get(a.action)! - RANK.get(b.action)! || (a.errnoRet ?? 0) - (b.errnoRet ?? 0)
}

export function leastRestrictive(a: Verdict, b: Verdict): Verdict {
  return compareVerdicts(a, b) >= 0 ? a : b
}

export function sameVerdict(a: Verdict, b: Verdict): boolean {
  return compareVerdicts(a, b) === 0
}

// ---------------------------------------------------------------------------------------------
// Argument comparisons

/** The canonical form of one comparison: valueTwo only where it means something (MASKED_EQ, default 0). */
export function canonicalArg(arg: SeccompArg): SeccompArg {
  return arg.op === 'SCMP_CMP_MASKED_EQ'
    ? {index: arg.index, value: arg.value, valueTwo: arg.valueTwo ?? 0n, op: arg.op}
    : {index: arg.index, value: arg.value, op: arg.op}
}

/**
 * The canonical order of comparisons (within a rule, and of a syscall's conditional rules): by argument index,
 * then value (numerically, so `arg0 < 0x26`, `arg0 == 0x27`, `arg0 > 0x28` read in order), then operator, then
 * valueTwo.
 */
export function compareArgs(a: SeccompArg, b: SeccompArg): number {
  return (
    a.index - b.index ||
    compareArgValues(a.value, b.value) ||
    (a.op < b.op ? -1 : a.op > b.op ? 1 : 0) ||
    compareArgValues(a.valueTwo ?? 0n, b.valueTwo ?? 0n)
  )
}

/** Equal for two comparisons exactly when they match the same calls (as written: `arg0 == 8` is not `arg0 >= 8 && arg0 <= 8`). */
export function argKey(arg: SeccompArg): string {
  const c = canonicalArg(arg)
  return `${c.index}:${c.op}:${c.value}:${c.valueTwo ?? ''}`
}

// ---------------------------------------------------------------------------------------------
// The verdict for one syscall

/**
 * What a profile does with one syscall name:
 *  - `allowed`: every call is allowed (ALLOW or LOG);
 *  - `denied`: no call is allowed;
 *  - `conditional`: it depends on the arguments (or on the target, for docker-format includes/excludes, or on
 *    which of conflicting rules the runtime applies).
 */
export type Allowance = 'allowed' | 'conditional' | 'denied'

export interface ConditionalRule {
  action: SeccompAction
  errnoRet: number | null
  /** In canonical form and order. */
  args: SeccompArg[]
  /** The conditions in words, e.g. `arg0 == 0x8`. */
  conditions: string[]
}

export interface SyscallVerdict {
  allowance: Allowance
  /** What happens when no conditional rule decides: the unconditional rule's action, else the default action. */
  base: {action: SeccompAction; errnoRet: number | null; fromDefault: boolean}
  /** The rules with conditions, in canonical order (allowing ones first). */
  conditional: ConditionalRule[]
  /** Unconditional rules with different actions or errnos: runtimes refuse or pick one. */
  conflicting: boolean
  /**
   * When the syscall is allowed only for a list of argument values (every conditional rule allows, each on the
   * same arguments with `==`, nothing else allows): those values by name, e.g. `["AF_INET (SOCK_STREAM)",
   * "AF_UNIX (SOCK_STREAM)"]`; else null.
   */
  values: string[] | null
}

/** Equal for two rules that do the same with the same comparisons (their order and valueTwo on non-masks aside). */
export function ruleKey(rule: {action: SeccompAction; errnoRet: number | null; args: SeccompArg[]}): string {
  return `${rule.action}/${rule.errnoRet ?? ''}/${rule.args.map(argKey).sort().join('&')}`
}

/** A key that is equal for two verdicts exactly when they treat every call alike (fromDefault aside). */
export function verdictKey(v: SyscallVerdict): string {
  return `${v.base.action}/${v.base.errnoRet ?? ''}/${v.conflicting ? 'conflict' : ''}/${v.conditional.map(ruleKey).sort().join('|')}`
}

/**
 * A profile's rules by syscall name, answering what it does with each. Made for flat OCI profiles; a docker-format
 * rule with includes/excludes counts as conditional (whether it applies depends on the target: resolve the
 * profile for one to know).
 */
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
    return [
      ...new Set(
        (this.rules.get(name) ?? []).map(
          (r) =>
            `${ruleKey({action: r.action, errnoRet: effectiveErrno(r.action, r.errnoRet), args: r.args ?? []})}${filterKey(r)}`,
        ),
      ),
    ]
      .sort()
      .join('|')
  }

  verdict(name: string): SyscallVerdict {
    const rules = this.rules.get(name) ?? []
    const unconditional = rules.filter(isUnconditional)
    const conditionalRules = rules.filter((r) => !isUnconditional(r))

    let base: SyscallVerdict['base']
    let conflicting = false
    if (unconditional.length > 0) {
      const first = unconditional[0]!
      base = {action: first.action, errnoRet: effectiveErrno(first.action, first.errnoRet), fromDefault: false}
      conflicting =
        new Set(unconditional.map((r) => `${r.action}/${effectiveErrno(r.action, r.errnoRet) ?? ''}`)).size > 1
    } else {
      const action = this.profile.defaultAction
      base = {action, errnoRet: effectiveErrno(action, this.profile.defaultErrnoRet), fromDefault: true}
    }

    const byKey = new Map<string, ConditionalRule>()
    let filtered = false
    for (const r of conditionalRules) {
      const args = (r.args ?? []).map(canonicalArg).sort(compareArgs)
      const view: ConditionalRule = {
        action: r.action,
        errnoRet: effectiveErrno(r.action, r.errnoRet),
        args,
        conditions: describeConditions({args, includes: r.includes, excludes: r.excludes}, name),
      }
      if (!isEmptyFilter(r.includes) || !isEmptyFilter(r.excludes)) filtered = true
      byKey.set(`${ruleKey(view)}${filterKey(r)}`, view)
    }
    const conditional = [...byKey.values()].sort(compareRules)

    const baseAllows = isAllowing(base.action)
    const mixedUnconditional =
      conflicting &&
      unconditional.some((r) => isAllowing(r.action)) !== unconditional.every((r) => isAllowing(r.action))
    let allowance: Allowance
    if (mixedUnconditional) allowance = 'conditional'
    else if (conditional.every((r) => isAllowing(r.action) === baseAllows))
      allowance = baseAllows ? 'allowed' : 'denied'
    else allowance = 'conditional'
    const valueList =
      allowance === 'conditional' &&
      !baseAllows &&
      !conflicting &&
      !filtered &&
      conditional.every((r) => isAllowing(r.action))
    const values = valueList ? describeAllowedValues(name, conditional) : null
    return {allowance, base, conditional, conflicting, values}
  }
}

/** The docker-format conditions of a rule as part of a key; empty for a flat rule. */
function filterKey(rule: SeccompRule): string {
  const words = describeConditions({includes: rule.includes, excludes: rule.excludes})
  return words.length === 0 ? '' : `#${words.join('&')}`
}

/** Allowing rules first, then by their comparisons (see compareArgs), then action and errno. */
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
  return (
    (a.action < b.action ? -1 : a.action > b.action ? 1 : 0) ||
    (a.errnoRet ?? -1) - (b.errnoRet ?? -1) ||
    (a.conditions.join() < b.conditions.join() ? -1 : a.conditions.join() > b.conditions.join() ? 1 : 0)
  )
}

/** What the profile does with the syscall `name` (see SyscallVerdict). */
export function syscallVerdict(profile: SeccompProfile, name: string): SyscallVerdict {
  return new ProfileIndex(profile).verdict(name)
}

/** The profile allows every call of `name`: its rules for the name, else its default action, all let it through. */
export function allows(profile: SeccompProfile, name: string): boolean {
  return syscallVerdict(profile, name).allowance === 'allowed'
}

/** The names the profile's rules list and that it allows every call of (see allows), sorted. */
export function allowedNames(profile: SeccompProfile): string[] {
  const index = new ProfileIndex(profile)
  return index.names().filter((name) => index.verdict(name).allowance === 'allowed')
}

// ---------------------------------------------------------------------------------------------
// One call with known argument values

/** A call's argument values by position (0..5): `mask` when only those bits are known (already applied). */
export type KnownArguments = ReadonlyMap<number, {value: bigint; mask?: bigint}>

const U64 = U64_MAX

/**
 * Whether the profile lets a call of `name` with these argument values through (see allows for the name alone).
 * Where a value is not known (a position not given, bits outside its mask, a docker-format filter) the answer
 * leans to "denied": an allowing rule counts only when it surely matches, a denying rule whenever it may.
 */
export function allowsCall(profile: SeccompProfile, name: string, args: KnownArguments): boolean {
  const verdict = syscallVerdict(profile, name)
  if (verdict.allowance !== 'conditional') return verdict.allowance === 'allowed'
  const matches = verdict.conditional.map((rule) => ({allowing: isAllowing(rule.action), match: ruleMatch(rule, args)}))
  if (matches.some((m) => !m.allowing && m.match !== 'no')) return false
  if (matches.some((m) => m.allowing && m.match === 'yes')) return true
  return isAllowing(verdict.base.action) && !verdict.conflicting
}

type Match = 'yes' | 'no' | 'unknown'

function ruleMatch(rule: ConditionalRule, args: KnownArguments): Match {
  if (rule.args.length === 0) return 'unknown' // conditional through a docker filter only
  let result: Match = 'yes'
  for (const arg of rule.args) {
    const one = argMatch(arg, args.get(arg.index))
    if (one === 'no') return 'no'
    if (one === 'unknown') result = 'unknown'
  }
  return result
}

function argMatch(arg: SeccompArg, known: {value: bigint; mask?: bigint} | undefined): Match {
  if (known === undefined) return 'unknown'
  const value = known.value & U64
  const mask = known.mask ?? U64
  if (arg.op === 'SCMP_CMP_MASKED_EQ') {
    if ((arg.value & ~mask & U64) !== 0n) return 'unknown'
    return (value & arg.value) === (arg.valueTwo ?? 0n) ? 'yes' : 'no'
  }
  if (mask !== U64) return 'unknown'
  const operand = arg.value & U64
  const holds =
    arg.op === 'SCMP_CMP_EQ'
      ? value === operand
      : arg.op === 'SCMP_CMP_NE'
        ? value !== operand
        : arg.op === 'SCMP_CMP_LT'
          ? value < operand
          : arg.op === 'SCMP_CMP_LE'
            ? value <= operand
            : arg.op === 'SCMP_CMP_GE'
              ? value >= operand
              : value > operand
  return holds ? 'yes' : 'no'
}
