import {existsSync} from 'node:fs'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {loadProfile} from '../profile/load.js'
import type {SeccompProfile} from '../profile/model.js'
import {allows} from '../profile/semantics.js'
import {loadCoverage, type Coverage, type ProvenanceRun} from '../store/coverage.js'
import type {RecordingStore} from '../store/store.js'
import {isKnownSyscall} from '../syscalls/index.js'
import {readBuiltProfile} from './build.js'

/**
 * `profiles why NAME SYSCALL`: which recorded runs brought a syscall into a built profile, read from the
 * provenance in its coverage sidecar (provenance.ts).
 */

export interface WhyAnswer {
  /** The profile asked about: a store name or a file. */
  profile: string
  path: string
  syscall: string
  allowed: boolean
  /** How many recordings the profile was built from, and how many saw the syscall (null without a sidecar). */
  recordings: number | null
  seenBy: number | null
  /** The runs that saw it, newest first (at most PROVENANCE_REFS; `cut` when there were more). */
  runs: ProvenanceRun[]
  cut: boolean
  /** Argument tuples with the runs that saw each (recordings with `arguments` only). */
  arguments: Array<{values: string; runs: ProvenanceRun[]}>
  /** Why there is no run to name, when there is none. */
  note: string | null
}

/** Runs indexed by the sidecar, resolved (indexes outside the list are dropped: a damaged sidecar names fewer). */
const runsAt = (runs: ProvenanceRun[], refs: readonly number[] | undefined) =>
  (refs ?? []).map((i) => runs[i]).filter((r): r is ProvenanceRun => r !== undefined)

/** The answer for one syscall from a profile and its sidecar. */
export function explainSyscall(options: {
  profile: SeccompProfile
  coverage: Coverage | null
  syscall: string
  label: string
  path: string
}): WhyAnswer {
  const {profile, coverage, syscall} = options
  const allowed = allows(profile, syscall)
  const provenance = coverage?.provenance
  const seenBy = coverage === null ? null : (coverage.syscalls[syscall] ?? 0)
  const runs = provenance ? runsAt(provenance.runs, provenance.syscalls[syscall]) : []
  const args = provenance?.arguments?.[syscall] ?? {}
  const answer: WhyAnswer = {
    profile: options.label,
    path: options.path,
    syscall,
    allowed,
    recordings: coverage?.recordings ?? null,
    seenBy,
    runs,
    cut: provenance?.cut?.includes(syscall) === true || (seenBy !== null && runs.length < seenBy && runs.length > 0),
    arguments: Object.entries(args).map(([values, refs]) => ({values, runs: runsAt(provenance!.runs, refs)})),
    note: null,
  }
  if (coverage === null) answer.note = 'the profile has no coverage sidecar: it was not built by `profiles build`'
  else if (provenance === undefined) answer.note = 'the sidecar has no provenance: build the profile again'
  else if (!allowed && seenBy === 0) answer.note = 'no recording saw it and the profile does not allow it'
  else if (!allowed) answer.note = 'recorded, but the profile does not allow it (edited, or a base profile denies it)'
  else if (seenBy === 0) answer.note = 'no recording saw it: a base profile (--base) or an edit allows it'
  return answer
}

/**
 * Reads NAME (a profile name in the store, else a profile file) and answers for SYSCALL. An unknown syscall name
 * is a usage error; a profile that was never built is too.
 */
export async function whySyscall(store: RecordingStore, name: string, syscall: string): Promise<WhyAnswer> {
  if (!isKnownSyscall(syscall))
    throw new UserError(`${JSON.stringify(syscall.slice(0, 64))} is not a syscall name of any architecture`, {
      exit: EXIT.USAGE,
      code: 'bad-arguments',
      suggestions: ['Syscall names are lowercase, e.g. `ptrace`, `clone3`.'],
    })
  const built = await readBuiltProfile(store, name)
  if (built !== null)
    return explainSyscall({
      profile: built.profile,
      coverage: built.coverage,
      syscall,
      label: name,
      path: built.profilePath,
    })
  if (!existsSync(name))
    throw new UserError(`no built profile named ${name} in the store at ${store.root}, and no such file`, {
      exit: EXIT.USAGE,
      code: 'no-such-file',
      suggestions: ['`seccomp-recorder profiles build NAME` builds it; `profiles list` shows the names.'],
    })
  const {profile} = await loadProfile(name)
  const {coverage} = loadCoverage(name)
  return explainSyscall({profile, coverage, syscall, label: name, path: name})
}

/** For each syscall, the runs that brought it, from a profile's sidecar (for `diff --why`). */
export function runsBySyscall(coverage: Coverage | null, syscalls: readonly string[]): Record<string, ProvenanceRun[]> {
  const provenance = coverage?.provenance
  return Object.fromEntries(
    syscalls.map((s) => [s, provenance ? runsAt(provenance.runs, provenance.syscalls[s]) : []] as const),
  )
}
