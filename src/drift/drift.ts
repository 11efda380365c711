import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {buildProfiles, readBuiltProfile} from '../aggregate/build.js'
import {isGlob, matchesName} from '../store/filter.js'
import {isPendingCheckRun, type Recording} from '../store/model.js'
import type {InvalidRecordingFile, RecordingStore} from '../store/store.js'
import {checkRunFindings, describeFinding, findingKey, type DriftFinding} from './findings.js'
import {existsSync} from 'node:fs'

/**
 * `drift`: the check runs (complain mode) of each name compared with the name's enforcing profile, the one built
 * into the store (`profiles build`); `--accept` folds them into it. See findings.ts for what counts.
 */

/** A check run as a finding names it: which recording, when, which pod or command, which runtime. */
export interface DriftRun {
  id: string
  startedAt: string
  endedAt: string
  runtime: string
  source: Recording['source']
  container: {id: string | null; name: string; pod: string | null; namespace: string | null}
  command: string[] | null
}

export interface NameFinding extends DriftFinding {
  /** The finding in words: `ptrace`, `socket(arg0 == 0x10, …)`. */
  description: string
  runs: DriftRun[]
}

export interface NameDrift {
  name: string
  /** The enforcing profile compared with: <store>/profiles/<safe name>.json. */
  profile: string
  checkRuns: number
  findings: NameFinding[]
}

export interface DriftReport {
  store: string
  names: NameDrift[]
  /** Findings over all names. */
  findings: number
  invalid: InvalidRecordingFile[]
}

/**
 * The drift of the names matching `patterns` (all names when empty): each name with pending check runs, and each
 * name given exactly even without any. A name with check runs but no built profile is an error: there is nothing
 * to compare with.
 */
export async function driftReport(store: RecordingStore, patterns: string[] = []): Promise<DriftReport> {
  const all = await store.names()
  const names = all.filter((name) => matchesName(name, patterns))
  const missing = patterns.filter((p) => !isGlob(p) && !all.includes(p))
  if (missing.length > 0 || (patterns.length > 0 && names.length === 0)) {
    throw new UserError(
      `no recordings of ${(missing.length > 0 ? missing : patterns).join(', ')} in the store at ${store.root}`,
      {
        exit: EXIT.USAGE,
        code: 'no-recordings',
        suggestions: ['`seccomp-recorder profiles list` shows the names in the store.'],
      },
    )
  }
  const report: DriftReport = {store: store.root, names: [], findings: 0, invalid: []}
  const unbuilt: string[] = []
  for (const name of names) {
    const scan = await store.scanName(name)
    report.invalid.push(...scan.invalid)
    const pending = scan.recordings.filter(isPendingCheckRun)
    if (pending.length === 0 && !patterns.includes(name)) continue
    const built = await readBuiltProfile(store, name)
    if (built === null) {
      if (pending.length > 0) unbuilt.push(name)
      continue
    }
    const entry: NameDrift = {name, profile: built.profilePath, checkRuns: pending.length, findings: []}
    const byKey = new Map<string, NameFinding>()
    for (const recording of pending.sort((a, b) => (a.endedAt < b.endedAt ? -1 : a.endedAt > b.endedAt ? 1 : 0))) {
      for (const finding of checkRunFindings(built.profile, recording)) {
        const key = findingKey(finding)
        let found = byKey.get(key)
        if (!found) byKey.set(key, (found = {...finding, description: describeFinding(finding), runs: []}))
        found.runs.push(driftRun(recording))
      }
    }
    entry.findings = [...byKey.values()].sort((a, b) =>
      a.description < b.description ? -1 : a.description > b.description ? 1 : 0,
    )
    report.findings += entry.findings.length
    report.names.push(entry)
  }
  if (unbuilt.length > 0) {
    throw new UserError(
      `${unbuilt.join(', ')}: check runs but no enforcing profile to compare them with in ${store.root}/profiles`,
      {
        exit: EXIT.USAGE,
        code: 'no-enforcing-profile',
        suggestions: [`Build it first: \`seccomp-recorder profiles build ${unbuilt[0]} --mode complain\`.`],
      },
    )
  }
  return report
}

export interface AcceptedName {
  name: string
  /** Check runs that now contribute to the profile. */
  runs: number
  profile: string
  /** The complain variant rebuilt with it, when the store had one. */
  complain: string | null
}

/**
 * `drift --accept`: for each name with pending check runs, the profile is rebuilt from all its recordings with the
 * check runs contributing (as `profiles build NAME`, in complain mode too when the store has a complain variant),
 * and the check runs are then marked accepted — under the name's lock, the profile first: interrupted in between,
 * the profile already allows what they did (drift is clean) and accepting again only marks them. Accepting again
 * finds nothing pending and changes nothing.
 */
export async function acceptDrift(
  store: RecordingStore,
  patterns: string[] = [],
  now: () => Date = () => new Date(),
): Promise<AcceptedName[]> {
  const before = await driftReport(store, patterns)
  const accepted: AcceptedName[] = []
  for (const entry of before.names) {
    if (entry.checkRuns === 0) continue
    let runs = 0
    const mode = existsSync(store.profilePaths(entry.name).complain) ? 'complain' : 'enforce'
    const result = await buildProfiles(store, {
      filter: {names: [entry.name]},
      mode,
      acceptCheckRuns: async (pending) => {
        const acceptedAt = now().toISOString()
        for (const recording of pending) await store.save({...recording, check: {acceptedAt}})
        runs = pending.length
      },
    })
    const built = result.built[0]!
    accepted.push({name: entry.name, runs, profile: built.written.profile!, complain: built.written.complain ?? null})
  }
  return accepted
}

function driftRun(r: Recording): DriftRun {
  return {
    id: r.id,
    startedAt: r.startedAt,
    endedAt: r.endedAt,
    runtime: r.runtime,
    source: r.source,
    container: {id: r.container.id, name: r.container.name, pod: r.container.pod, namespace: r.container.namespace},
    command: r.command ?? null,
  }
}
