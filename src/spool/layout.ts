import {readdir} from 'node:fs/promises'
import {join} from 'node:path'
import {leftoverTempPid, readTextIfExists, writeFileAtomic} from '../fs/atomic-write.js'
import type {KernelTarget} from '../kernel/native-helper.js'
import {CONTAINER_ID} from '../oci/state.js'
import {argumentsAdd, argumentsProblem, unionArguments} from '../syscalls/arguments.js'

/**
 * The spool (config `spool`, default /run/seccomp-recorder/spool: per boot, root only) holds what ties a kernel
 * target to the container it belongs to until the container's recording is written. Who writes what:
 *
 *   <id>.json                 the prestart's note (native helper, bpf/prestart.c): mntns, ns_id, runtime, state
 *   .<id>.<pid>.tmp           the note being written (native)
 *   orphan-<ns_id>.json       a dead namespace's target, moved here by a prestart whose new namespace got the same
 *                             inode number (native); its container's finaliser reads it
 *   .orphan-<ns_id>.<pid>.tmp the orphan being written (native)
 *   c.<id>.lock               held while container <id> is finalised (poststop or gc): finalised exactly once
 *   <id>.taken                the finaliser's journal: the target's syscalls, taken before the kernel target goes
 *   ns.<ns_id>.lock           held by `record` while its target is registered, and by gc while it salvages that
 *                             namespace (an flock: the kernel drops it when a holder dies; src/fs/lock.ts)
 *   ns.<ns_id>.record         `record --name`: where its recording goes, written before it is saved
 *   refused.log(.1)           the poststop's refusals, one JSON line each, for `status` (src/spool/refusals.ts)
 *   finaliser.lock            held by the finaliser (src/hook/finaliser.ts) while it runs: one per spool
 *   finaliser.log(.1)         the finaliser's messages (the native poststop points its stdout and stderr here;
 *                             past 1 MiB the finaliser makes it .1 before it lets its lock go)
 *
 * Container ids start with a letter or digit and notes end in `.json`, so no name of ours is ever a note's.
 * (A container named `orphan-<number>` is told from an orphan by the note's own fields.)
 */

export const notePath = (spool: string, id: string) => join(spool, `${id}.json`)
export const orphanPath = (spool: string, nsId: number) => join(spool, `orphan-${nsId}.json`)
export const containerLockPath = (spool: string, id: string) => join(spool, `c.${id}.lock`)
export const journalPath = (spool: string, id: string) => join(spool, `${id}.taken`)
/** The lock of one namespace (ns_id; kernels without ns ids: the inode number, prefixed `m`). */
export const namespaceLockPath = (spool: string, ns: {mntns: number; ns_id?: number}) =>
  join(spool, `ns.${ns.ns_id ? ns.ns_id : `m${ns.mntns}`}.lock`)
export const recordMarkerPath = (spool: string, ns: {mntns: number; ns_id?: number}) =>
  join(spool, `ns.${ns.ns_id ? ns.ns_id : `m${ns.mntns}`}.record`)

export type SpoolEntry =
  | {kind: 'note'; file: string; id: string}
  | {kind: 'orphan'; file: string; nsId: number}
  | {kind: 'journal'; file: string; id: string}
  | {kind: 'lock'; file: string}
  | {kind: 'record-marker'; file: string; ns: string}
  /** A temp file; `pid` is its writer's. `orphanNsId`: a native orphan being written. */
  | {kind: 'temp'; file: string; pid: number; orphanNsId?: number}
  /** The finaliser's log (finaliser.log). */
  | {kind: 'log'; file: string}
  | {kind: 'other'; file: string}

const ORPHAN = /^orphan-([1-9][0-9]{0,19})\.json$/
const NATIVE_TEMP = /^\.(.+)\.([0-9]{1,7})\.tmp$/

/** What a spool file is, by its name (an `orphan-N.json` may still be a note: see isNoteText). */
export function classifySpoolFile(file: string): SpoolEntry {
  const pid = leftoverTempPid(file, {ownDirectory: true}) // writeFileAtomic's and the lock's temp files (the spool is all ours)
  if (pid !== undefined) return {kind: 'temp', file, pid}
  let m = NATIVE_TEMP.exec(file)
  if (m) {
    const orphan = /^orphan-([1-9][0-9]{0,19})$/.exec(m[1]!)
    return {kind: 'temp', file, pid: Number(m[2]), ...(orphan ? {orphanNsId: Number(orphan[1])} : {})}
  }
  if (file.endsWith('.lock') || file.endsWith('.lock.break')) return {kind: 'lock', file}
  if (file === 'finaliser.log' || file === 'finaliser.log.1') return {kind: 'log', file}
  m = /^ns\.(m?[0-9]+)\.record$/.exec(file)
  if (m) return {kind: 'record-marker', file, ns: m[1]!}
  m = ORPHAN.exec(file)
  if (m) return {kind: 'orphan', file, nsId: Number(m[1])}
  if (file.endsWith('.taken') && CONTAINER_ID.test(file.slice(0, -'.taken'.length)))
    return {kind: 'journal', file, id: file.slice(0, -'.taken'.length)}
  if (file.endsWith('.json') && CONTAINER_ID.test(file.slice(0, -'.json'.length)))
    return {kind: 'note', file, id: file.slice(0, -'.json'.length)}
  return {kind: 'other', file}
}

/** The spool's files, classified; an absent spool is empty. */
export async function listSpool(spool: string): Promise<SpoolEntry[]> {
  let files: string[]
  try {
    files = await readdir(spool)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
    throw error
  }
  return files.sort().map(classifySpoolFile)
}

/** A prestart note (as opposed to an orphan target): it has the note's own fields. */
export function isNoteText(text: string): boolean {
  return /"registered_unix_ms"\s*:/.test(text) && /"state"\s*:\s*\{/.test(text)
}

/** Reads a kernel target document (an orphan file); undefined when absent or not one (e.g. a note named orphan-N). */
export async function readTargetFile(path: string): Promise<KernelTarget | undefined> {
  const text = await readTextIfExists(path)
  return text === undefined ? undefined : parseTarget(text)
}

export function parseTarget(text: string): KernelTarget | undefined {
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch {
    return undefined
  }
  return isTarget(value) ? value : undefined
}

function isTarget(value: unknown): value is KernelTarget {
  if (value === null || typeof value !== 'object') return false
  const t = value as Partial<KernelTarget>
  const numbers = (a: unknown) => Array.isArray(a) && a.every((n) => Number.isInteger(n) && n >= 0)
  return (
    Number.isInteger(t.mntns) &&
    (t.ns_id === undefined || Number.isInteger(t.ns_id)) &&
    Number.isInteger(t.lost) &&
    (t.interrupted === undefined || typeof t.interrupted === 'boolean') &&
    (t.quota === undefined ||
      (t.quota !== null &&
        typeof t.quota === 'object' &&
        Number.isInteger(t.quota.nested) &&
        t.quota.nested >= 0 &&
        Number.isInteger(t.quota.words) &&
        t.quota.words >= 0)) &&
    t.syscalls !== null &&
    typeof t.syscalls === 'object' &&
    Object.entries(t.syscalls).every(([abi, list]) => ['x86_64', 'x86', 'x32'].includes(abi) && numbers(list)) &&
    (t.args === undefined || argumentsProblem(t.args, '/args') === undefined)
  )
}

/**
 * The finaliser's journal: the container's syscalls as taken from the kernel (or an orphan file), the recording
 * id and end time chosen then. Written (atomically) before the kernel target is removed and kept until the
 * outputs are written, so a finaliser killed at any point loses nothing and the next one (poststop or gc)
 * writes the same outputs again — the same recording id, so the store holds the run exactly once.
 */
export interface Journal {
  version: 1
  id: string
  mntns: number
  ns_id: number
  endedAt: string
  recordingId: string
  target: KernelTarget
  /**
   * The note's own fields, so the run can be finished even after a new run of the same container id (podman
   * restart) replaced its note. Absent in journals written before it was kept.
   */
  note?: {runtime: string; registered_unix_ms: number; state: string}
  /**
   * podman's name for the container, read by the native poststop (bpf/poststop.c) from podman's containers.json
   * before podman removes the container; absent: read from the bundle as before (src/naming/podman.ts).
   */
  podmanName?: string
}

export async function readJournal(spool: string, id: string): Promise<Journal | undefined> {
  const text = await readTextIfExists(journalPath(spool, id))
  if (text === undefined) return undefined
  try {
    const j = JSON.parse(text) as Partial<Journal>
    const noteOk =
      j.note === undefined ||
      (typeof j.note === 'object' &&
        j.note !== null &&
        typeof j.note.runtime === 'string' &&
        typeof j.note.registered_unix_ms === 'number' &&
        typeof j.note.state === 'string')
    if (
      j.version === 1 &&
      j.id === id &&
      Number.isInteger(j.mntns) &&
      Number.isInteger(j.ns_id) &&
      typeof j.endedAt === 'string' &&
      !Number.isNaN(Date.parse(j.endedAt)) &&
      typeof j.recordingId === 'string' &&
      isTarget(j.target) &&
      noteOk &&
      (j.podmanName === undefined || typeof j.podmanName === 'string')
    )
      return j as Journal
  } catch {
    // written atomically, so never partial; anything else is not ours: ignore it
  }
  return undefined
}

export async function writeJournal(spool: string, journal: Journal): Promise<void> {
  await writeFileAtomic(journalPath(spool, journal.id), `${JSON.stringify(journal)}\n`, {mode: 0o600})
}

/** Union of two snapshots of the same target (syscalls only ever get marked, never unmarked; argument values only
 * get added, an overflow stays). */
export function unionTargets(a: KernelTarget, b: KernelTarget): KernelTarget {
  const syscalls: KernelTarget['syscalls'] = {}
  for (const abi of ['x86_64', 'x86', 'x32'] as const) {
    const all = [...new Set([...(a.syscalls[abi] ?? []), ...(b.syscalls[abi] ?? [])])].sort((x, y) => x - y)
    if (all.length > 0) syscalls[abi] = all
  }
  const union: KernelTarget = {
    ...a,
    lost: Math.max(a.lost, b.lost),
    interrupted: Boolean(a.interrupted || b.interrupted),
    syscalls,
  }
  const args = unionArguments(a.args, b.args)
  if (args === undefined) delete union.args
  else union.args = args
  if (a.quota !== undefined || b.quota !== undefined) {
    union.quota = {
      nested: Math.max(a.quota?.nested ?? 0, b.quota?.nested ?? 0),
      words: Math.max(a.quota?.words ?? 0, b.quota?.words ?? 0),
    }
  }
  return union
}

/** Whether b has a syscall a lacks. */
export function targetAdds(a: KernelTarget, b: KernelTarget): boolean {
  return (
    (['x86_64', 'x86', 'x32'] as const).some((abi) =>
      (b.syscalls[abi] ?? []).some((nr) => !(a.syscalls[abi] ?? []).includes(nr)),
    ) ||
    b.lost > a.lost ||
    Boolean(b.interrupted && !a.interrupted) ||
    (b.quota?.nested ?? 0) > (a.quota?.nested ?? 0) ||
    (b.quota?.words ?? 0) > (a.quota?.words ?? 0) ||
    argumentsAdd(a.args, b.args)
  )
}
