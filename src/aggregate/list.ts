import {stat} from 'node:fs/promises'
import type {RecordingFilter} from '../store/filter.js'
import {isIncomplete, type Recording} from '../store/model.js'
import type {InvalidRecordingFile, RecordingStore} from '../store/store.js'
import {readCoverageFile} from '../store/coverage.js'

/** `profiles list`: what the store holds per name, and whether the built profile is up to date. */

export interface ProfileListing {
  name: string
  recordings: number
  /** Incomplete recordings (syscalls lost in the kernel, the recorder interrupted, a kernel quota reached). */
  incomplete: number
  namespaces: string[]
  workloads: string[]
  containers: string[]
  runtimes: string[]
  sources: string[]
  firstStartedAt: string
  lastEndedAt: string
  built: {
    path: string
    coveragePath: string
    builtAt: string
    /** Recordings the built profile was made from (from its sidecar), null without a valid sidecar. */
    recordings: number | null
    /** Built after the newest recording ended, from as many recordings as are there now. */
    upToDate: boolean
  } | null
}

export interface ListResult {
  store: string
  profiles: ProfileListing[]
  invalid: InvalidRecordingFile[]
}

export async function listProfiles(
  store: RecordingStore,
  filter: RecordingFilter = {},
  onProgress?: (done: number, total: number) => void,
): Promise<ListResult> {
  const scan = await store.scan(filter, {onProgress})
  const byName = new Map<string, Recording[]>()
  for (const recording of scan.recordings) {
    const list = byName.get(recording.name)
    if (list) list.push(recording)
    else byName.set(recording.name, [recording])
  }
  const profiles: ProfileListing[] = []
  for (const [name, recordings] of [...byName].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    const distinct = (pick: (r: Recording) => string | null) =>
      [...new Set(recordings.map(pick).filter((v): v is string => v !== null && v !== ''))].sort()
    const firstStartedAt = recordings.reduce((m, r) => (r.startedAt < m ? r.startedAt : m), recordings[0]!.startedAt)
    const lastEndedAt = recordings.reduce((m, r) => (r.endedAt > m ? r.endedAt : m), recordings[0]!.endedAt)
    profiles.push({
      name,
      recordings: recordings.length,
      incomplete: recordings.filter(isIncomplete).length,
      namespaces: distinct((r) => r.container.namespace),
      workloads: distinct((r) => r.container.workload),
      containers: distinct((r) => r.container.name),
      runtimes: distinct((r) => r.runtime),
      sources: distinct((r) => r.source),
      firstStartedAt,
      lastEndedAt,
      built: await builtState(store, name, recordings.length, lastEndedAt),
    })
  }
  return {store: store.root, profiles, invalid: scan.invalid}
}

async function builtState(
  store: RecordingStore,
  name: string,
  recordings: number,
  lastEndedAt: string,
): Promise<ProfileListing['built']> {
  const paths = store.profilePaths(name)
  let builtAt: Date
  try {
    builtAt = (await stat(paths.profile)).mtime
  } catch {
    return null
  }
  const coverage = readCoverageFile(paths.coverage)
  const upToDate =
    coverage !== null && coverage.recordings === recordings && builtAt.getTime() >= Date.parse(lastEndedAt)
  return {
    path: paths.profile,
    coveragePath: paths.coverage,
    builtAt: builtAt.toISOString(),
    recordings: coverage?.recordings ?? null,
    upToDate,
  }
}
