import {existsSync, readFileSync} from 'node:fs'
import {mkdir, readdir, readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'
import {isUserError} from '../core/errors.js'
import type {RecorderConfig} from '../config/config.js'
import {finalizeNote, kernelTarget, readSpoolNote, sameNamespace, withContainerLock, type FinalizeResult, type SpoolNote} from '../spool/finalise.js'
import {isNoteText, journalPath, listSpool, namespaceLockPath, notePath, orphanPath, parseTarget, readJournal, recordMarkerPath, targetAdds, unionTargets, type SpoolEntry} from '../spool/layout.js'
import {helperInstallPath, installLayout} from '../core/paths.js'
import {detachIfIdle, ensureHelper, helperStatus, removeTarget, type KernelTarget} from '../kernel/native-helper.js'
import {leftoverTempPid, writeFileAtomic} from '../fs/atomic-write.js'
import {acquireLock, lockHeld, readLockOwner, withLock} from '../fs/lock.js'
import {createRecording, validateRecording} from '../store/model.js'
import {RecordingStore} from '../store/store.js'
import {nameKernelSyscalls, syscallCount} from '../syscalls/syscall-set.js'
import {ProcNamespaceProbe, type NamespaceProbe, type NamespaceRef} from './liveness.js'
import {quotaExceeded} from '../kernel/quotas.js'

/**
 * `seccomp-recorder gc`: finishes what an interrupted recording left behind, and keeps every recorded syscall.
 *
 *   - A spool note whose container is gone (its mount namespace has no process left, see liveness.ts), or whose
 *     finaliser was interrupted (a journal is there): finalised exactly as the poststop hook would have —
 *     finalizeNote, the same function, under the same per-container lock, so it happens once.
 *   - An orphan-<ns_id>.json no note claims, and a kernel target no note claims whose namespace is dead (a killed
 *     `record`, a prestart killed before it wrote its note): saved into the store as a recording with source "gc",
 *     named `orphan/<boot>-<ns_id>` (boot: the first 8 hex digits of the boot id, since ns ids restart at boot)
 *     and with the id `orphan-<boot>-<ns_id>`, so salvaging the same target again replaces it instead of adding a
 *     second copy. A target that recorded nothing at all (it never reached its start) is only removed.
 *   - Leftovers: journals of finished finalisations, locks and temp files of killed processes (spool, store and
 *     the output roots).
 *
 * Live containers' targets and notes are never touched, nor is anything a live process holds a lock on: a
 * running `record` holds ns.<ns_id>.lock, a running poststop its container's lock. When nothing is recording
 * any more, the recorder is detached. With dryRun nothing changes: the actions say what would be done.
 */

export type GcActionKind = 'finalise' | 'salvage' | 'discard' | 'release' | 'clean'

export interface GcAction {
  action: GcActionKind
  /** What it is about: `container <id>`, `orphan-<ns_id>.json`, `mount namespace N (ns_id M)`, a file path. */
  subject: string
  mntns: number | null
  nsId: number | null
  /** Why it is done. */
  reason: string
  /** False in a dry run and when it failed. */
  done: boolean
  syscalls?: number
  outputs: FinalizeResult['outputs']
  error?: string
}

export interface GcKept {
  subject: string
  mntns: number | null
  nsId: number | null
  reason: string
}

export interface GcResult {
  dryRun: boolean
  spool: string
  store: string
  actions: GcAction[]
  /** Left alone: running containers and recordings, things another process is working on right now. */
  kept: GcKept[]
  /** The recorder was detached because nothing records any more. */
  detached: boolean
  /** Actions that failed (their error says why). */
  failed: number
}

export interface GcOptions {
  config: RecorderConfig
  helper: string
  dryRun?: boolean
  /** Tests: a fake /proc view. */
  probe?: NamespaceProbe
  now?: () => Date
  /** Tests: the boot id (default /proc/sys/kernel/random/boot_id). */
  bootId?: string
}

/** The name and id of a salvaged recording of namespace `ns`. */
export function salvageName(ns: NamespaceRef, bootId: string, now: Date): {name: string; id: string} {
  const boot = bootId.replace(/[^0-9a-f]/gi, '').slice(0, 8).toLowerCase() || 'noboot'
  // Without an ns id (kernel < 6.8) the inode number is not unique over time: add the time.
  const key = ns.ns_id ? `${ns.ns_id}` : `m${ns.mntns}-${now.getTime()}`
  return {name: `orphan/${boot}-${key}`, id: `orphan-${boot}-${key}`}
}

/** The helper gc talks to the kernel recorder through: $SECCOMP_RECORDER_HELPER, the installed one, else the built one. */
export async function recorderHelper(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (env.SECCOMP_RECORDER_HELPER === undefined) {
    const installed = helperInstallPath(installLayout(env))
    if (existsSync(installed)) return installed
  }
  return ensureHelper({env})
}

export function currentBootId(): string {
  try {
    return readFileSync('/proc/sys/kernel/random/boot_id', 'utf8').trim()
  } catch {
    return 'noboot'
  }
}

const describeNs = (ns: NamespaceRef) => `mount namespace ${ns.mntns}${ns.ns_id ? ` (ns_id ${ns.ns_id})` : ''}`
const message = (error: unknown) => (error instanceof Error ? error.message : String(error))
const isLockBusy = (error: unknown) => isUserError(error) && error.code === 'lock-timeout'

export async function runGc(options: GcOptions): Promise<GcResult> {
  return new Gc(options).run()
}

class Gc {
  private readonly spool: string
  private readonly store: RecordingStore
  private readonly dryRun: boolean
  private readonly probe: NamespaceProbe
  private readonly now: () => Date
  private readonly bootId: string
  private readonly result: GcResult

  constructor(private readonly options: GcOptions) {
    this.spool = options.config.spool
    this.store = new RecordingStore(options.config.store)
    this.dryRun = options.dryRun ?? false
    this.probe = options.probe ?? new ProcNamespaceProbe()
    this.now = options.now ?? (() => new Date())
    this.bootId = options.bootId ?? currentBootId()
    this.result = {dryRun: this.dryRun, spool: this.spool, store: this.store.root, actions: [], kept: [], detached: false, failed: 0}
  }

  private get helper(): string {
    return this.options.helper
  }

  async run(): Promise<GcResult> {
    const status = await helperStatus(this.helper)
    // The locks live in the spool; a machine that never ran the hook has none yet.
    if (!this.dryRun) await mkdir(this.spool, {recursive: true, mode: 0o700})
    const owners = status.targets.filter((t) => t.state !== 'nested' && t.owner === t.mntns).map((t) => ({mntns: t.mntns, ns_id: t.ns_id ?? 0}))
    // Orphans are listed before the notes are read: a note is written before its target can become an orphan and
    // removed only after the orphan was taken, so an orphan seen here whose note is not seen next has no note.
    const orphans = (await listSpool(this.spool)).filter((e): e is Extract<SpoolEntry, {kind: 'orphan'}> => e.kind === 'orphan')
    const notes = await this.readNotes()

    for (const [id, note] of notes) await this.note(id, note)
    for (const orphan of orphans) {
      if (notes.has(orphan.file.slice(0, -'.json'.length))) continue // a note of a container named orphan-N
      if ([...notes.values()].some((n) => n.ns_id === orphan.nsId)) continue // its container's finaliser takes it
      await this.orphan(orphan)
    }
    for (const target of owners) {
      if ([...notes.values()].some((n) => claims(n, target))) continue
      await this.target(target)
    }
    await this.leftovers(owners)
    await this.storeLeftovers()
    for (const root of this.options.config.outputRoots) await this.outputLeftovers(root, 8)

    if (!this.dryRun && status.attached) {
      const after = await helperStatus(this.helper).catch(() => undefined)
      if (after?.attached && !after.targets.some((t) => t.owner === t.mntns)) this.result.detached = (await detachIfIdle(this.helper).catch(() => ({detached: false}))).detached
    }
    return this.result
  }

  /** Every note in the spool (an `orphan-N.json` may be one: a container may be called that). */
  private async readNotes(): Promise<Map<string, SpoolNote>> {
    const notes = new Map<string, SpoolNote>()
    for (const entry of await listSpool(this.spool)) {
      let id: string
      if (entry.kind === 'note') id = entry.id
      else if (entry.kind === 'orphan' && isNoteText(await readFile(join(this.spool, entry.file), 'utf8').catch(() => ''))) id = entry.file.slice(0, -'.json'.length)
      else continue
      try {
        const note = await readSpoolNote(this.spool, id)
        if (note) notes.set(id, note)
      } catch (error) {
        this.fail({action: 'finalise', subject: notePath(this.spool, id), mntns: null, nsId: null, reason: 'a spool note', outputs: []}, error)
      }
    }
    return notes
  }

  // ---- notes ----------------------------------------------------------------------------------------------

  /** Whether a registered container is finished, and why. */
  private async noteVerdict(id: string, note: SpoolNote): Promise<{finalise: boolean; why: string}> {
    const journal = await readJournal(this.spool, id)
    if (journal && journal.mntns === note.mntns && journal.ns_id === note.ns_id) return {finalise: true, why: 'its finalisation was interrupted: finishing it from the journal'}
    if (note.ns_id && parseTarget(await readFile(orphanPath(this.spool, note.ns_id), 'utf8').catch(() => '')) !== undefined) {
      return {finalise: true, why: 'its mount namespace is gone (the number was reused; the recording was moved aside)'}
    }
    const target = await kernelTarget(this.helper, note.mntns)
    if (!target || !sameNamespace(note, target)) return {finalise: true, why: 'its recording is gone from the kernel'}
    const liveness = await this.probe.check(note)
    return liveness.alive ? {finalise: false, why: liveness.why} : {finalise: true, why: `the container is gone: ${liveness.why}`}
  }

  private async note(id: string, note: SpoolNote): Promise<void> {
    const base = {subject: `container ${id}`, mntns: note.mntns, nsId: note.ns_id || null}
    if (this.dryRun) {
      const verdict = await this.noteVerdict(id, note)
      if (verdict.finalise) this.result.actions.push({...base, action: 'finalise', reason: verdict.why, done: false, outputs: []})
      else this.result.kept.push({...base, reason: verdict.why})
      return
    }
    let why = ''
    try {
      await withContainerLock(
        this.spool,
        id,
        async () => {
          const current = await readSpoolNote(this.spool, id)
          if (current === undefined) return // finalised by its poststop meanwhile
          const verdict = await this.noteVerdict(id, current)
          why = verdict.why
          if (!verdict.finalise) {
            this.result.kept.push({...base, reason: verdict.why})
            return
          }
          const finalised = await finalizeNote({id, config: this.options.config, helper: this.helper, now: this.now()})
          this.result.actions.push({
            ...base,
            action: 'finalise',
            reason: finalised.skipped ? `${verdict.why}; ${finalised.skipped}` : verdict.why,
            done: true,
            ...(finalised.syscalls === undefined ? {} : {syscalls: finalised.syscalls}),
            outputs: finalised.outputs,
          })
        },
        {timeoutMs: 0},
      )
    } catch (error) {
      if (isLockBusy(error)) this.result.kept.push({...base, reason: 'being finalised by another process right now'})
      else this.fail({...base, action: 'finalise', reason: why || 'finalising', outputs: []}, error)
    }
  }

  // ---- targets nobody will finalise ----------------------------------------------------------------------

  private async orphan(entry: Extract<SpoolEntry, {kind: 'orphan'}>): Promise<void> {
    const ns = {mntns: 0, ns_id: entry.nsId}
    const path = join(this.spool, entry.file)
    const read = async () => parseTarget(await readFile(path, 'utf8').catch(() => ''))
    const base = {subject: entry.file, mntns: null as number | null, nsId: entry.nsId}
    if (this.dryRun) {
      const target = await read()
      if (target) this.result.actions.push(this.plannedKeep({...base, mntns: target.mntns}, target, 'no container claims it'))
      return
    }
    await this.underNamespaceLock(ns, base, async () => {
      if (await this.noteFor(ns)) return
      const target = await read()
      if (!target) return // taken meanwhile
      const action = await this.keep({...base, mntns: target.mntns}, {mntns: target.mntns, ns_id: entry.nsId}, target, 'no container claims it')
      await rm(path, {force: true})
      this.result.actions.push(action)
    })
  }

  private async target(ns: {mntns: number; ns_id: number}): Promise<void> {
    const base = {subject: describeNs(ns), mntns: ns.mntns, nsId: ns.ns_id || null}
    const liveness = await this.probe.check(ns)
    if (liveness.alive) {
      this.result.kept.push({...base, reason: liveness.why})
      return
    }
    const why = `no spool note claims it and ${liveness.why}`
    if (this.dryRun) {
      const target = await kernelTarget(this.helper, ns.mntns)
      if (target && sameNamespace(ns, target)) this.result.actions.push(this.plannedKeep(base, target, why))
      return
    }
    await this.underNamespaceLock(ns, base, async () => {
      if (await this.noteFor(ns)) return
      const target = await kernelTarget(this.helper, ns.mntns)
      if (!target || !sameNamespace(ns, target)) return // taken meanwhile
      const saved = await this.recordSaved(ns)
      const action: GcAction = saved
        ? {...base, action: 'release', reason: `${why}; \`record\` had saved it already (${saved})`, done: true, outputs: []}
        : await this.keep(base, ns, target, why)
      const removed = await removeTarget(this.helper, ns.mntns, {keepAttached: true}).catch((error: unknown) => {
        if (isUserError(error) && error.code === 'helper.no-such-target') return undefined
        throw error
      })
      if (removed && !sameNamespace(ns, removed) && removed.ns_id) {
        // The number changed hands between the read and the removal: put the new owner's marks where its own
        // finaliser looks for them, as a prestart would have.
        await writeFileAtomic(orphanPath(this.spool, removed.ns_id), `${JSON.stringify(removed)}\n`, {mode: 0o600})
      } else if (removed && !saved && targetAdds(target, removed)) {
        Object.assign(action, await this.keep(base, ns, unionTargets(target, removed), why))
      }
      await rm(recordMarkerPath(this.spool, ns), {force: true})
      this.result.actions.push(action)
    })
  }

  /** A note that claims this namespace (read fresh). */
  private async noteFor(ns: NamespaceRef): Promise<boolean> {
    for (const note of (await this.readNotesQuietly()).values()) if (claims(note, ns)) return true
    return false
  }

  private async readNotesQuietly(): Promise<Map<string, SpoolNote>> {
    const notes = new Map<string, SpoolNote>()
    for (const entry of await listSpool(this.spool)) {
      if (entry.kind !== 'note' && entry.kind !== 'orphan') continue
      const id = entry.kind === 'note' ? entry.id : entry.file.slice(0, -'.json'.length)
      const note = await readSpoolNote(this.spool, id).catch(() => undefined)
      if (note) notes.set(id, note)
    }
    return notes
  }

  private async underNamespaceLock(ns: NamespaceRef, base: Omit<GcKept, 'reason'>, fn: () => Promise<void>): Promise<void> {
    try {
      await withLock(namespaceLockPath(this.spool, ns), fn, {timeoutMs: 0, what: describeNs(ns)})
    } catch (error) {
      if (isLockBusy(error)) this.result.kept.push({...base, reason: 'a running `record` (or another gc) holds it'})
      else this.fail({...base, action: 'salvage', reason: 'salvaging', outputs: []}, error)
    }
  }

  /** `record --name` wrote where its recording goes before saving it: saved already when that file is valid. */
  private async recordSaved(ns: NamespaceRef): Promise<string | undefined> {
    try {
      const marker = JSON.parse(await readFile(recordMarkerPath(this.spool, ns), 'utf8')) as {recording?: unknown}
      if (typeof marker.recording !== 'string') return undefined
      return validateRecording(JSON.parse(await readFile(marker.recording, 'utf8'))).valid ? marker.recording : undefined
    } catch {
      return undefined
    }
  }

  private plannedKeep(base: Omit<GcKept, 'reason'>, target: KernelTarget, why: string): GcAction {
    const set = nameKernelSyscalls(target)
    if (recordedNothing(target)) return {...base, action: 'discard', reason: `${why}; it recorded nothing`, done: false, outputs: []}
    const {name} = salvageName({mntns: target.mntns, ns_id: base.nsId ?? target.ns_id}, this.bootId, this.now())
    return {...base, action: 'salvage', reason: why, done: false, syscalls: syscallCount(set), outputs: [{kind: 'store', path: this.store.recordingDir(name), name}]}
  }

  /** Saves a target nobody else will finalise as a recording (or drops it when it recorded nothing). */
  private async keep(base: Omit<GcKept, 'reason'>, ns: NamespaceRef, target: KernelTarget, why: string): Promise<GcAction> {
    const set = nameKernelSyscalls(target)
    if (recordedNothing(target)) return {...base, action: 'discard', reason: `${why}; it recorded nothing`, done: true, outputs: []}
    const now = this.now()
    const {name, id} = salvageName(ns, this.bootId, now)
    const recording = createRecording({id, source: 'gc', name, runtime: 'unknown', set, lost: target.lost, interrupted: target.interrupted === true, quota: target.quota, startedAt: now, endedAt: now})
    const path = await this.store.save(recording)
    return {...base, action: 'salvage', reason: why, done: true, syscalls: syscallCount(set), outputs: [{kind: 'store', path, name}]}
  }

  // ---- leftovers ------------------------------------------------------------------------------------------

  private async leftovers(owners: Array<{mntns: number; ns_id: number}>): Promise<void> {
    for (const entry of await listSpool(this.spool)) {
      const path = join(this.spool, entry.file)
      if (entry.kind === 'journal') {
        await this.cleanJournal(entry.id, path)
      } else if (entry.kind === 'lock') {
        await this.cleanLock(path)
      } else if (entry.kind === 'temp') {
        if (processAlive(entry.pid)) continue
        if (entry.orphanNsId !== undefined) {
          // A prestart killed while moving a reused number's target aside: the temp file is the only copy.
          const target = parseTarget(await readFile(path, 'utf8').catch(() => ''))
          if (target && !this.dryRun) {
            try {
              this.result.actions.push(await this.keep({subject: entry.file, mntns: target.mntns, nsId: entry.orphanNsId}, {mntns: target.mntns, ns_id: entry.orphanNsId}, target, `left by a killed prestart (pid ${entry.pid})`))
            } catch (error) {
              this.fail({subject: entry.file, mntns: target.mntns, nsId: entry.orphanNsId, action: 'salvage', reason: 'left by a killed prestart', outputs: []}, error)
              continue
            }
          } else if (target) {
            this.result.actions.push(this.plannedKeep({subject: entry.file, mntns: target.mntns, nsId: entry.orphanNsId}, target, `left by a killed prestart (pid ${entry.pid})`))
            continue
          }
        }
        await this.clean(path, `a temp file of a process that is gone (pid ${entry.pid})`)
      } else if (entry.kind === 'record-marker') {
        const nsId = entry.ns.startsWith('m') ? 0 : Number(entry.ns)
        const mntns = entry.ns.startsWith('m') ? Number(entry.ns.slice(1)) : 0
        if (owners.some((o) => (nsId ? o.ns_id === nsId : o.mntns === mntns))) continue
        // Its `record` finished (or gc released its target above) — unless a live `record` still holds it.
        try {
          await withLock(namespaceLockPath(this.spool, {mntns, ns_id: nsId}), () => this.clean(path, 'the note of a `record` run that is over'), {timeoutMs: 0})
        } catch (error) {
          if (!isLockBusy(error)) this.fail({subject: path, mntns: null, nsId: null, action: 'clean', reason: 'a record note', outputs: []}, error)
        }
      }
    }
  }

  private async cleanJournal(id: string, path: string): Promise<void> {
    if (await readSpoolNote(this.spool, id).catch(() => 'damaged')) return // its note is handled above
    if (this.dryRun) return void this.result.actions.push({subject: path, mntns: null, nsId: null, action: 'clean', reason: 'the journal of a finished finalisation', done: false, outputs: []})
    try {
      await withContainerLock(this.spool, id, async () => {
        if ((await readSpoolNote(this.spool, id).catch(() => 'damaged')) === undefined) {
          await this.clean(journalPath(this.spool, id), 'the journal of a finished finalisation')
        }
      }, {timeoutMs: 0})
    } catch (error) {
      if (!isLockBusy(error)) this.fail({subject: path, mntns: null, nsId: null, action: 'clean', reason: 'a journal', outputs: []}, error)
    }
  }

  /**
   * A lock file nobody holds: its holder died before its release removed it (the kernel dropped the flock).
   * Removed the way a holder removes it (take it, let it go); `.break` files are left by versions before the
   * flock-based lock.
   */
  private async cleanLock(path: string): Promise<void> {
    const owner = readLockOwner(path)
    if (owner === undefined || (await lockHeld(path))) return
    const reason = owner ? `a lock held by a process that is gone (pid ${owner.pid})` : 'a lock file that is not one of ours'
    if (this.dryRun) return void this.result.actions.push({subject: path, mntns: null, nsId: null, action: 'clean', reason, done: false, outputs: []})
    if (path.endsWith('.break')) return this.clean(path, reason)
    try {
      const lock = await acquireLock(path, {timeoutMs: 0})
      await lock.release()
      this.result.actions.push({subject: path, mntns: null, nsId: null, action: 'clean', reason, done: true, outputs: []})
    } catch (error) {
      if (!isLockBusy(error)) this.fail({subject: path, mntns: null, nsId: null, action: 'clean', reason, outputs: []}, error)
    }
  }

  /** Temp files and locks of killed processes in the store (the documents themselves are always whole). */
  private async storeLeftovers(): Promise<void> {
    const dirs = [this.store.profilesDir, this.store.locksDir]
    try {
      for (const entry of await readdir(this.store.recordingsDir, {withFileTypes: true})) if (entry.isDirectory()) dirs.push(join(this.store.recordingsDir, entry.name))
    } catch {
      // no recordings yet
    }
    for (const dir of dirs) {
      let files: string[]
      try {
        files = await readdir(dir)
      } catch {
        continue
      }
      for (const file of files) {
        const temp = leftoverTempPid(file)
        if (temp !== undefined && !processAlive(temp)) await this.clean(join(dir, file), `a temp file of a process that is gone (pid ${temp})`)
        else if (temp === undefined && dir === this.store.locksDir && (file.endsWith('.lock') || file.endsWith('.lock.break'))) await this.cleanLock(join(dir, file))
      }
    }
  }

  /** Temp files of killed writers of io.containers.trace-syscall outputs (no symlink is followed). */
  private async outputLeftovers(dir: string, depth: number): Promise<void> {
    let entries
    try {
      entries = await readdir(dir, {withFileTypes: true})
    } catch {
      return
    }
    for (const entry of entries) {
      const temp = entry.isFile() ? leftoverTempPid(entry.name) : undefined
      if (temp !== undefined && !processAlive(temp)) await this.clean(join(dir, entry.name), `a temp file of a process that is gone (pid ${temp})`)
      else if (entry.isDirectory() && depth > 0) await this.outputLeftovers(join(dir, entry.name), depth - 1)
    }
  }

  private async clean(path: string, reason: string): Promise<void> {
    if (this.dryRun) return void this.result.actions.push({subject: path, mntns: null, nsId: null, action: 'clean', reason, done: false, outputs: []})
    try {
      await rm(path, {force: true})
      this.result.actions.push({subject: path, mntns: null, nsId: null, action: 'clean', reason, done: true, outputs: []})
    } catch (error) {
      this.fail({subject: path, mntns: null, nsId: null, action: 'clean', reason, outputs: []}, error)
    }
  }

  private fail(action: Omit<GcAction, 'done' | 'error'>, error: unknown): void {
    this.result.actions.push({...action, done: false, error: message(error)})
    this.result.failed += 1
  }
}

/** Whether a note registered this namespace. */
function claims(note: SpoolNote, ns: NamespaceRef): boolean {
  if (note.ns_id && ns.ns_id) return note.ns_id === ns.ns_id
  return note.mntns === ns.mntns
}

function recordedNothing(target: KernelTarget): boolean {
  return syscallCount(nameKernelSyscalls(target)) === 0 && target.lost === 0 && target.interrupted !== true && !quotaExceeded(target.quota)
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0)
    return true
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH'
  }
}
