import {constants} from 'node:os'
import {stringifyJson} from '../json/stringify.js'
import {isEmptyFilter, type RuleFilter, type SeccompArg, type SeccompProfile, type SeccompRule} from './model.js'
import {compareArgs} from './semantics.js'

/**
 * The canonical form of a profile, the one diffs and merges build on: stable key order, names sorted and
 * unique, rules with the same action and conditions merged, comments dropped, containers-common `errno`
 * names turned into `errnoRet` numbers. Two profiles that a runtime treats alike normalise alike.
 * Idempotent: normaliseProfile(normaliseProfile(p)) deep-equals normaliseProfile(p).
 */
export function normaliseProfile(profile: SeccompProfile): SeccompProfile {
  const out: SeccompProfile = {defaultAction: profile.defaultAction}
  const defaultErrnoRet = profile.defaultErrnoRet ?? errnoNumber(profile.defaultErrno)
  if (defaultErrnoRet !== undefined) out.defaultErrnoRet = defaultErrnoRet
  if (profile.architectures?.length) out.architectures = [...new Set(profile.architectures)].sort()
  if (profile.archMap?.length) {
    out.archMap = [...profile.archMap]
      .map((m) => ({architecture: m.architecture, subArchitectures: [...new Set(m.subArchitectures ?? [])].sort()}))
      .sort((a, b) => compare(a.architecture, b.architecture))
  }
  if (profile.flags?.length) out.flags = [...new Set(profile.flags)].sort()
  if (profile.listenerPath !== undefined) out.listenerPath = profile.listenerPath
  if (profile.listenerMetadata !== undefined) out.listenerMetadata = profile.listenerMetadata

  const groups = new Map<string, {conditions: Omit<SeccompRule, 'names'>; names: Set<string>}>()
  for (const rule of profile.syscalls ?? []) {
    const conditions = normaliseConditions(rule)
    const key = stringifyJson(conditions)
    const group = groups.get(key) ?? {conditions, names: new Set<string>()}
    for (const name of rule.names) group.names.add(name)
    groups.set(key, group)
  }
  out.syscalls = [...groups.entries()]
    .map(([key, {conditions, names}]) => ({key, rule: {names: [...names].sort(), ...conditions} as SeccompRule}))
    .sort(
      (a, b) =>
        compare(a.rule.action, b.rule.action) ||
        compare(a.key, b.key) ||
        compare(a.rule.names[0] ?? '', b.rule.names[0] ?? ''),
    )
    .map(({rule}) => rule)
  return out
}

/** Everything of a rule except its names, in canonical key order. */
function normaliseConditions(rule: SeccompRule): Omit<SeccompRule, 'names'> {
  const out: Omit<SeccompRule, 'names'> = {action: rule.action}
  const errnoRet = rule.errnoRet ?? errnoNumber(rule.errno)
  if (errnoRet !== undefined) out.errnoRet = errnoRet
  if (rule.args?.length) out.args = [...rule.args].map(normaliseArg).sort(compareArgs)
  if (!isEmptyFilter(rule.includes)) out.includes = normaliseFilter(rule.includes!)
  if (!isEmptyFilter(rule.excludes)) out.excludes = normaliseFilter(rule.excludes!)
  return out
}

function normaliseArg(arg: SeccompArg): SeccompArg {
  const out: SeccompArg = {index: arg.index, value: arg.value, op: arg.op}
  if (arg.valueTwo !== undefined) out.valueTwo = arg.valueTwo
  return {
    index: out.index,
    value: out.value,
    ...(out.valueTwo === undefined ? {} : {valueTwo: out.valueTwo}),
    op: out.op,
  }
}

function normaliseFilter(filter: RuleFilter): RuleFilter {
  const out: RuleFilter = {}
  if (filter.caps?.length) out.caps = [...new Set(filter.caps)].sort()
  if (filter.arches?.length) out.arches = [...new Set(filter.arches)].sort()
  if (filter.minKernel !== undefined) out.minKernel = filter.minKernel
  return out
}

/** Linux errno number for a name such as "EPERM"; undefined for undefined or an unknown name. */
export function errnoNumber(name: string | undefined): number | undefined {
  if (name === undefined) return undefined
  const value = (constants.errno as Record<string, number | undefined>)[name]
  return value
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/** Normalised profile as text: 2-space JSON, one syscall name per line, newline at the end. */
export function formatProfileJson(profile: SeccompProfile): string {
  return `${stringifyJson(profile, 2)}\n`
}
