import type {SeccompProfile} from '../profile/model.js'
import {profileFromSyscalls} from '../profile/from-syscalls.js'
import {normaliseProfile} from '../profile/normalise.js'
import {allowedNames} from '../profile/semantics.js'
import {isIncomplete, type Recording} from '../store/model.js'
import type {SyscallSet} from '../syscalls/syscall-set.js'
import type {Abi} from '../syscalls/index.js'
import type {Coverage} from '../store/coverage.js'
import {mergeProfiles} from './merge.js'
import {buildProvenance} from './provenance.js'
import {ArgumentUnion, type ArgumentPlan} from '../profile/argument-rules.js'
import type {ArgumentCoverage, Provenance} from '../store/coverage.js'

export interface Aggregate {
  /** The flat OCI profile: default SCMP_ACT_ERRNO (EPERM), architectures of the ABIs seen, one ALLOW rule. */
  profile: SeccompProfile
  /** How many recordings saw each syscall: the sidecar's content (store/coverage.ts). */
  coverage: Coverage
  /** The union as a syscall set (names per ABI, unknown numbers). */
  set: SyscallSet
  /** Unknown syscall numbers with how many recordings saw each (kept, reported, not in the flat profile). */
  unknown: Array<{abi: Abi; nr: number; recordings: number}>
  /** Recordings whose kernel side lost syscalls: the union may lack what they lost. */
  incomplete: number
  firstStartedAt: string | null
  lastEndedAt: string | null
  runtimes: string[]
  arches: string[]
  /** Which runs brought each syscall (and argument tuple): written into the coverage sidecar. */
  provenance: Provenance
  /** What was restricted by argument values and what allowed by name (null: --args off). */
  argumentPlan: ArgumentPlan | null
}

export interface AggregateOptions {
  /** Argument-aware rules from the recordings' argument values (default); false: name-only. */
  arguments?: boolean
}

/** The union of the recordings' syscalls as one profile, with coverage counts. An empty list gives an empty profile. */
export function aggregate(recordings: readonly Recording[], options: AggregateOptions = {}): Aggregate {
  const byAbi = new Map<Abi, Set<string>>()
  const counts = new Map<string, number>()
  const unknownCounts = new Map<string, {abi: Abi; nr: number; recordings: number}>()
  const runtimes = new Set<string>()
  const arches = new Set<string>()
  let incomplete = 0
  let first: string | null = null
  let last: string | null = null

  for (const recording of recordings) {
    const abis = Object.keys(recording.syscalls) as Abi[]
    // A name seen on two ABIs of one run counts once for that run.
    const seen =
      abis.length === 1 ? recording.syscalls[abis[0]!]! : [...new Set(abis.flatMap((abi) => recording.syscalls[abi]!))]
    for (const abi of abis) {
      let names = byAbi.get(abi)
      if (!names) byAbi.set(abi, (names = new Set()))
      for (const name of recording.syscalls[abi]!) names.add(name)
    }
    for (const name of seen) counts.set(name, (counts.get(name) ?? 0) + 1)
    const unknownSeen = new Set<string>()
    for (const u of recording.unknown) {
      const key = `${u.abi}:${u.nr}`
      if (unknownSeen.has(key)) continue
      unknownSeen.add(key)
      const entry = unknownCounts.get(key) ?? {abi: u.abi, nr: u.nr, recordings: 0}
      entry.recordings += 1
      unknownCounts.set(key, entry)
    }
    if (isIncomplete(recording)) incomplete += 1
    runtimes.add(recording.runtime)
    arches.add(recording.arch)
    if (first === null || recording.startedAt < first) first = recording.startedAt
    if (last === null || recording.endedAt > last) last = recording.endedAt
  }

  const set: SyscallSet = {names: {}, unknown: []}
  for (const abi of [...byAbi.keys()].sort()) set.names[abi] = [...byAbi.get(abi)!].sort()
  const unknown = [...unknownCounts.values()].sort((a, b) => (a.abi < b.abi ? -1 : a.abi > b.abi ? 1 : a.nr - b.nr))
  set.unknown = unknown.map(({abi, nr}) => ({abi, nr}))
  const syscalls: Record<string, number> = {}
  for (const name of [...counts.keys()].sort()) syscalls[name] = counts.get(name)!

  const argumentPlan = options.arguments === false ? null : argumentPlanOf(recordings)
  const argumentCoverage = argumentPlan === null ? undefined : argumentCoverageOf(argumentPlan)
  return {
    profile: normaliseProfile(profileFromSyscalls(set, argumentPlan === null ? {} : {arguments: argumentPlan})),
    coverage: {recordings: recordings.length, syscalls, ...(argumentCoverage ? {arguments: argumentCoverage} : {})},
    set,
    unknown,
    incomplete,
    firstStartedAt: first,
    lastEndedAt: last,
    runtimes: [...runtimes].sort(),
    arches: [...arches].sort(),
    provenance: buildProvenance(recordings),
    argumentPlan,
  }
}

/** The union of the recordings' argument values (profile/argument-rules.ts). */
function argumentPlanOf(recordings: readonly Recording[]): ArgumentPlan {
  const union = new ArgumentUnion()
  for (const recording of recordings) union.add(recording.syscalls, recording.arguments)
  return union.plan()
}

/** The sidecar's per-value counts of the restricted syscalls; undefined when none is restricted. */
function argumentCoverageOf(plan: ArgumentPlan): Record<string, ArgumentCoverage> | undefined {
  if (plan.restricted.size === 0) return undefined
  const out: Record<string, ArgumentCoverage> = {}
  for (const [name, r] of plan.restricted) {
    out[name] = {
      positions: r.positions.map((p) => (p.mask === null ? {index: p.index} : {index: p.index, mask: String(p.mask)})),
      values: r.tuples.map((tuple, i) => ({value: tuple.map(String), recordings: r.recordings[i]!})),
    }
  }
  return out
}

/**
 * The aggregate with a base profile unioned in (mergeProfiles: least restrictive wins). The coverage stays that
 * of the recordings; `fromBase` lists what the profile allows unconditionally only because of the base.
 */
export function withBase(result: Aggregate, base: SeccompProfile | undefined): Aggregate & {fromBase: string[]} {
  if (base === undefined) return {...result, fromBase: []}
  const profile = mergeProfiles([result.profile, base])
  const fromBase = allowedNames(profile).filter((n) => !Object.hasOwn(result.coverage.syscalls, n))
  return {...result, profile, fromBase}
}
