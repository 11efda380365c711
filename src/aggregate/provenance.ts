import type {Recording} from '../store/model.js'
import {
  PROVENANCE_REFS,
  PROVENANCE_RUNS,
  PROVENANCE_TEXT,
  type Provenance,
  type ProvenanceRun,
} from '../store/coverage.js'

/**
 * Provenance of a built profile: for every syscall (and argument tuple) the runs that contributed it, kept in the
 * coverage sidecar (store/coverage.ts). Bounded so a profile built from 10 000 recordings keeps a sidecar of a few
 * hundred KiB: per syscall the PROVENANCE_REFS newest runs; rare syscalls are served first, so the runs that alone
 * brought a syscall are always named before the runs list (PROVENANCE_RUNS) fills up.
 */

/** The argument tuples a recording saw per syscall, as `v0,v1` keys (absent for recordings without `arguments`). */
export function argumentTuples(recording: Recording): Map<string, string[]> {
  const tuples = new Map<string, string[]>()
  for (const [syscall, recorded] of Object.entries(recording.arguments ?? {})) {
    tuples.set(syscall, [...new Set(recorded.values.map((tuple) => tuple.join(',')))])
  }
  return tuples
}

/** A recording as a provenance run (strings cut to the sidecar's bounds). */
export function provenanceRun(recording: Recording): ProvenanceRun {
  const command = recording.command?.join(' ') ?? null
  return {
    recording: recording.id,
    name: recording.name,
    source: recording.source,
    runtime: recording.runtime,
    startedAt: recording.startedAt,
    endedAt: recording.endedAt,
    container: recording.container.name === '' ? null : recording.container.name,
    pod: recording.container.pod,
    namespace: recording.container.namespace,
    command: command === null ? null : command.slice(0, PROVENANCE_TEXT),
    label: recording.label ?? null,
  }
}

/** The distinct syscall names a recording saw, on any ABI. */
function seenNames(recording: Recording): Set<string> {
  return new Set(Object.values(recording.syscalls).flatMap((names) => names ?? []))
}

/** Argument tuples per syscall kept in the sidecar (its schema's bound). */
const MAX_TUPLES = 1024

function pushTo<K, V>(map: Map<K, V[]>, key: K, value: V): void {
  const list = map.get(key)
  if (list === undefined) map.set(key, [value])
  else list.push(value)
}

/** Newest first; ties by id, so the result does not depend on the order the store listed the files in. */
const newestFirst = (a: Recording, b: Recording) =>
  a.endedAt !== b.endedAt ? (a.endedAt < b.endedAt ? 1 : -1) : a.id < b.id ? 1 : a.id > b.id ? -1 : 0

/** The provenance of the union of `recordings` (one entry per syscall they saw, and per argument tuple). */
export function buildProvenance(recordings: readonly Recording[]): Provenance {
  const ordered = [...recordings].sort(newestFirst)
  const bySyscall = new Map<string, Recording[]>()
  const byTuple = new Map<string, Map<string, Recording[]>>()
  for (const recording of ordered) {
    for (const name of seenNames(recording)) pushTo(bySyscall, name, recording)
    for (const [syscall, keys] of argumentTuples(recording)) {
      const tuples = byTuple.get(syscall) ?? new Map<string, Recording[]>()
      byTuple.set(syscall, tuples)
      for (const key of keys) pushTo(tuples, key, recording)
    }
  }

  const runs: ProvenanceRun[] = []
  const index = new Map<string, number>()
  const cut = new Set<string>()
  /** The indexes of up to PROVENANCE_REFS of `seen` (newest first), adding runs while there is room. */
  const reference = (what: string, seen: Recording[]): number[] => {
    const refs: number[] = []
    for (const recording of seen) {
      if (refs.length === PROVENANCE_REFS) break
      let at = index.get(recording.id)
      if (at === undefined && runs.length < PROVENANCE_RUNS) {
        at = runs.push(provenanceRun(recording)) - 1
        index.set(recording.id, at)
      }
      if (at !== undefined) refs.push(at)
    }
    if (refs.length < seen.length) cut.add(what)
    return refs
  }
  // Rarest first: a syscall only one run made gets that run before common syscalls fill the list.
  const rarestFirst = <T>(entries: Array<[string, T[]]>) =>
    entries.sort((a, b) => a[1].length - b[1].length || (a[0] < b[0] ? -1 : 1))

  const syscallRefs = new Map<string, number[]>()
  for (const [name, seen] of rarestFirst([...bySyscall])) syscallRefs.set(name, reference(name, seen))
  const argumentRefs = new Map<string, Record<string, number[]>>()
  for (const [syscall, tuples] of [...byTuple].sort((a, b) => (a[0] < b[0] ? -1 : 1))) {
    const refs: Record<string, number[]> = {}
    const sorted = rarestFirst([...tuples])
    if (sorted.length > MAX_TUPLES) cut.add(syscall)
    for (const [key, seen] of sorted.slice(0, MAX_TUPLES)) refs[key] = reference(syscall, seen)
    argumentRefs.set(syscall, Object.fromEntries(Object.entries(refs).sort(([a], [b]) => (a < b ? -1 : 1))))
  }

  const provenance: Provenance = {
    runs,
    syscalls: Object.fromEntries([...syscallRefs].sort(([a], [b]) => (a < b ? -1 : 1))),
  }
  if (argumentRefs.size > 0) provenance.arguments = Object.fromEntries(argumentRefs)
  if (cut.size > 0) provenance.cut = [...cut].sort()
  return provenance
}
