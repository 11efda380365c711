import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {
  isEmptyFilter,
  type ArchMapEntry,
  type RuleFilter,
  type SeccompArch,
  type SeccompArg,
  type SeccompFlag,
  type SeccompProfile,
  type SeccompRule,
} from '../profile/model.js'
import {normaliseProfile} from '../profile/normalise.js'
import {describeConditions} from '../profile/conditions-text.js'
import {compareVerdicts, leastRestrictive, sameVerdict, verdictOf, type Verdict} from '../profile/semantics.js'
import {stringifyJson} from '../json/stringify.js'

/**
 * The union of seccomp profiles: what any of them allows, the merged profile allows.
 *
 * Each profile is read as a function from (syscall name, conditions) to a verdict (action + errno): the verdict
 * of the rule with exactly those conditions if the profile has one; for conditions it has no rule for, its
 * unconditional verdict for the name; for a name it does not list, its default. The merged profile is the
 * pointwise least restrictive verdict, written canonically: the default is the least restrictive default; a name
 * is listed only where its verdict differs from that default, and a conditional rule only where it differs from
 * the name's unconditional verdict. So a syscall one profile allows by default and another denies stays allowed,
 * and rules that only repeat the default disappear (runc and crun skip those anyway).
 *
 * Because it is a pointwise maximum with one canonical form, merging is commutative, associative and idempotent
 * (on the normalised output), and mergeProfiles([p]) is p's canonical form.
 *
 * Verdicts (action with its errno), their order and which wins are profile/semantics.ts's: ALLOW beats LOG beats
 * NOTIFY … beats KILL_PROCESS, and between two ERRNO (or TRACE) verdicts the higher errno (ENOSYS over EPERM). A
 * missing errnoRet means EPERM.
 *
 * Architectures, archMap and flags are unioned. listenerPath/listenerMetadata must agree where set.
 * Conditions (argument comparisons, docker includes/excludes) are compared exactly, not by meaning.
 */

/** Conditions of a rule in canonical form, and the key they are compared by. */
interface Conditions {
  args?: SeccompArg[]
  includes?: RuleFilter
  excludes?: RuleFilter
}

const UNCONDITIONAL = ''

/** A profile as the function described above: default verdict, and per name the verdict per conditions key. */
interface ProfileFunction {
  default: Verdict
  names: Map<string, Map<string, {conditions: Conditions; verdict: Verdict}>>
}

function toFunction(profile: SeccompProfile): ProfileFunction {
  const normal = normaliseProfile(profile)
  const fn: ProfileFunction = {default: verdictOf(normal.defaultAction, normal.defaultErrnoRet), names: new Map()}
  for (const rule of normal.syscalls ?? []) {
    const conditions = conditionsOf(rule)
    const key = conditionsKey(conditions)
    const v = verdictOf(rule.action, rule.errnoRet)
    for (const name of rule.names) {
      let byConditions = fn.names.get(name)
      if (!byConditions) fn.names.set(name, (byConditions = new Map()))
      const existing = byConditions.get(key)
      // One profile listing a name twice with the same conditions: the least restrictive counts (lint warns about it).
      byConditions.set(key, {conditions, verdict: existing ? leastRestrictive(existing.verdict, v) : v})
    }
  }
  return fn
}

function conditionsOf(rule: SeccompRule): Conditions {
  const out: Conditions = {}
  if (rule.args?.length) out.args = rule.args
  if (!isEmptyFilter(rule.includes)) out.includes = rule.includes
  if (!isEmptyFilter(rule.excludes)) out.excludes = rule.excludes
  return out
}

function conditionsKey(conditions: Conditions): string {
  return conditions.args || conditions.includes || conditions.excludes ? stringifyJson(conditions) : UNCONDITIONAL
}

function unconditionalVerdict(fn: ProfileFunction, name: string): Verdict {
  return fn.names.get(name)?.get(UNCONDITIONAL)?.verdict ?? fn.default
}

function conditionalVerdict(fn: ProfileFunction, name: string, key: string): Verdict {
  return fn.names.get(name)?.get(key)?.verdict ?? unconditionalVerdict(fn, name)
}

/** A profile could not be merged: listener settings that disagree. */
export class MergeConflictError extends UserError {
  constructor(message: string) {
    super(message, {
      exit: EXIT.USAGE,
      code: 'merge-conflict',
      suggestions: [
        'Give the profiles the same listenerPath and listenerMetadata, or merge them without SCMP_ACT_NOTIFY.',
      ],
    })
  }
}

/** The union of the profiles (see the module comment), normalised. Throws on an empty list. */
export function mergeProfiles(profiles: readonly SeccompProfile[]): SeccompProfile {
  if (profiles.length === 0) throw new Error('mergeProfiles needs at least one profile')
  const fns = profiles.map(toFunction)
  const merged = mergeFunctions(fns)

  const out: SeccompProfile = {defaultAction: merged.default.action}
  if (merged.default.errnoRet !== null) out.defaultErrnoRet = merged.default.errnoRet
  const architectures = unionOf(profiles.map((p) => p.architectures))
  if (architectures.length > 0) out.architectures = architectures as SeccompArch[]
  const archMap = mergeArchMaps(profiles.map((p) => p.archMap))
  if (archMap.length > 0) out.archMap = archMap
  const flags = unionOf(profiles.map((p) => p.flags))
  if (flags.length > 0) out.flags = flags as SeccompFlag[]
  for (const key of ['listenerPath', 'listenerMetadata'] as const) {
    const values = [...new Set(profiles.map((p) => p[key]).filter((v): v is string => v !== undefined))]
    if (values.length > 1)
      throw new MergeConflictError(
        `the profiles set different ${key} values (${values.map((v) => JSON.stringify(v)).join(', ')}): a merged profile can have only one`,
      )
    if (values.length === 1) out[key] = values[0]
  }
  out.syscalls = []
  for (const [name, byConditions] of merged.names) {
    for (const {conditions, verdict: v} of byConditions.values()) {
      const rule: SeccompRule = {names: [name], action: v.action}
      if (v.errnoRet !== null) rule.errnoRet = v.errnoRet
      if (conditions.args) rule.args = conditions.args
      if (conditions.includes) rule.includes = conditions.includes
      if (conditions.excludes) rule.excludes = conditions.excludes
      out.syscalls.push(rule)
    }
  }
  return normaliseProfile(out)
}

/** The pointwise least restrictive function, keeping only entries that differ from their fallback. */
function mergeFunctions(fns: ProfileFunction[]): ProfileFunction {
  const merged: ProfileFunction = {default: fns.map((f) => f.default).reduce(leastRestrictive), names: new Map()}
  const names = new Set<string>()
  for (const fn of fns) for (const name of fn.names.keys()) names.add(name)
  for (const name of names) {
    const unconditional = fns.map((f) => unconditionalVerdict(f, name)).reduce(leastRestrictive)
    const byConditions = new Map<string, {conditions: Conditions; verdict: Verdict}>()
    if (!sameVerdict(unconditional, merged.default))
      byConditions.set(UNCONDITIONAL, {conditions: {}, verdict: unconditional})
    const keys = new Map<string, Conditions>()
    for (const fn of fns)
      for (const [key, entry] of fn.names.get(name) ?? []) if (key !== UNCONDITIONAL) keys.set(key, entry.conditions)
    for (const [key, conditions] of keys) {
      const v = fns.map((f) => conditionalVerdict(f, name, key)).reduce(leastRestrictive)
      if (!sameVerdict(v, unconditional)) byConditions.set(key, {conditions, verdict: v})
    }
    if (byConditions.size > 0) merged.names.set(name, byConditions)
  }
  return merged
}

function unionOf<T extends string>(lists: Array<readonly T[] | null | undefined>): T[] {
  return [...new Set(lists.flatMap((l) => l ?? []))].sort()
}

function mergeArchMaps(maps: Array<ArchMapEntry[] | null | undefined>): ArchMapEntry[] {
  const byArch = new Map<SeccompArch, Set<SeccompArch>>()
  for (const entry of maps.flatMap((m) => m ?? [])) {
    const subs = byArch.get(entry.architecture) ?? new Set<SeccompArch>()
    for (const sub of entry.subArchitectures ?? []) subs.add(sub)
    byArch.set(entry.architecture, subs)
  }
  return [...byArch].map(([architecture, subs]) => ({architecture, subArchitectures: [...subs].sort()}))
}

// ---------------------------------------------------------------------------------------------
// Superset check (`profiles merge --check`)

/** Something another profile allows (or sets) that the first does not. */
export interface SupersetFinding {
  kind: 'default' | 'syscall' | 'architecture' | 'flag'
  /** The syscall, architecture or flag; the default action for kind "default". */
  subject: string
  /** Human-readable conditions of a conditional rule; empty when unconditional. */
  conditions: string[]
  /** Verdict in the first profile and in the merge (kind default/syscall), e.g. "SCMP_ACT_ERRNO(1)". */
  first: string | null
  merged: string | null
  /** 1-based positions (in the argument list) of the profiles that bring it in. */
  from: number[]
}

export function formatVerdict(v: Verdict): string {
  return v.errnoRet === null ? v.action : `${v.action}(${v.errnoRet})`
}

/**
 * Where the merge of all profiles differs from the first: empty exactly when the first is a superset of the
 * others (then mergeProfiles(all) equals mergeProfiles([first])).
 */
export function supersetFindings(first: SeccompProfile, others: readonly SeccompProfile[]): SupersetFinding[] {
  const firstFn = toFunction(first)
  const otherFns = others.map(toFunction)
  const merged = mergeFunctions([firstFn, ...otherFns])
  const findings: SupersetFinding[] = []
  const exceeding = (pick: (fn: ProfileFunction) => Verdict, reference: Verdict) =>
    otherFns.flatMap((fn, i) => (compareVerdicts(pick(fn), reference) > 0 ? [i + 2] : []))

  if (!sameVerdict(merged.default, firstFn.default)) {
    findings.push({
      kind: 'default',
      subject: 'defaultAction',
      conditions: [],
      first: formatVerdict(firstFn.default),
      merged: formatVerdict(merged.default),
      from: exceeding((f) => f.default, firstFn.default),
    })
  }
  const names = new Set<string>([...firstFn.names.keys(), ...merged.names.keys()])
  for (const name of [...names].sort()) {
    const mergedUnconditional = merged.names.get(name)?.get(UNCONDITIONAL)?.verdict ?? merged.default
    const firstUnconditional = unconditionalVerdict(firstFn, name)
    if (!sameVerdict(mergedUnconditional, firstUnconditional)) {
      findings.push({
        kind: 'syscall',
        subject: name,
        conditions: [],
        first: formatVerdict(firstUnconditional),
        merged: formatVerdict(mergedUnconditional),
        from: exceeding((f) => unconditionalVerdict(f, name), firstUnconditional),
      })
    }
    const keys = new Map<string, Conditions>()
    for (const fn of [firstFn, ...otherFns])
      for (const [key, entry] of fn.names.get(name) ?? []) if (key !== UNCONDITIONAL) keys.set(key, entry.conditions)
    for (const [key, conditions] of keys) {
      const mergedVerdict = merged.names.get(name)?.get(key)?.verdict ?? mergedUnconditional
      const firstVerdict = conditionalVerdict(firstFn, name, key)
      if (!sameVerdict(mergedVerdict, firstVerdict)) {
        findings.push({
          kind: 'syscall',
          subject: name,
          conditions: describeConditions(conditions),
          first: formatVerdict(firstVerdict),
          merged: formatVerdict(mergedVerdict),
          from: exceeding((f) => conditionalVerdict(f, name, key), firstVerdict),
        })
      }
    }
  }
  const firstArches = new Set([
    ...(first.architectures ?? []),
    ...(first.archMap ?? []).flatMap((m) => [m.architecture, ...(m.subArchitectures ?? [])]),
  ])
  const firstFlags = new Set(first.flags ?? [])
  const extra = new Map<string, {kind: 'architecture' | 'flag'; from: number[]}>()
  others.forEach((profile, i) => {
    const arches = [
      ...(profile.architectures ?? []),
      ...(profile.archMap ?? []).flatMap((m) => [m.architecture, ...(m.subArchitectures ?? [])]),
    ]
    for (const arch of arches) if (!firstArches.has(arch)) addFrom(extra, `architecture:${arch}`, 'architecture', i + 2)
    for (const flag of profile.flags ?? []) if (!firstFlags.has(flag)) addFrom(extra, `flag:${flag}`, 'flag', i + 2)
  })
  for (const [key, {kind, from}] of [...extra].sort(([a], [b]) => (a < b ? -1 : 1))) {
    findings.push({kind, subject: key.slice(kind.length + 1), conditions: [], first: null, merged: null, from})
  }
  return findings
}

function addFrom(
  map: Map<string, {kind: 'architecture' | 'flag'; from: number[]}>,
  key: string,
  kind: 'architecture' | 'flag',
  position: number,
): void {
  const entry = map.get(key) ?? {kind, from: []}
  if (!entry.from.includes(position)) entry.from.push(position)
  map.set(key, entry)
}
