import {existsSync, readFileSync} from 'node:fs'
import {mkdir, readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'
import type {RecorderConfig} from '../config/config.js'
import {helperInstallPath, installLayout} from '../core/paths.js'
import {withLock} from '../fs/lock.js'
import {detachIfIdle, ensureHelper, helperStatus, type KernelTarget} from '../kernel/native-helper.js'
import {finaliseNote, withContainerLock} from '../spool/finalise.js'
import {
  listSpool,
  namespaceLockPath,
  notePath,
  parseTarget,
  readJournal,
  recordMarkerPath,
  type SpoolEntry,
} from '../spool/layout.js'
import {describeNamespace, sameNamespace, type NamespaceRef} from '../spool/namespace.js'
import {readSpoolNote, readSpoolNotes, type SpoolNote} from '../spool/notes.js'
import {kernelTarget, locateRecording, releaseTarget} from '../spool/release.js'
import {validateRecording} from '../store/model.js'
import {RecordingStore} from '../store/store.js'
import {isLockBusy, LeftoverSweep} from './leftovers.js'
import {ProcNamespaceProbe, type NamespaceProbe} from './liveness.js'
import {GcReport, type GcAction, type GcResult, type GcSubject} from './report.js'
import {Salvager} from './salvage.js'

/**
 * `seccomp-recorder gc`: finishes what an interrupted recording left behind, and keeps every recorded syscall.
 *
 *   - A spool note whose container is gone (its mount namespace has no process left, see liveness.ts), or whose
 *     finaliser was interrupted (a journal is there): finalised exactly as the poststop hook would have —
 *     finaliseNote, the same function, under the same per-container lock, so it happens once.
 *   - An orphan-<ns_id>.json no note claims, and a kernel target no note claims whose namespace is dead (a killed
 *     `record`, a prestart killed before it wrote its note): salvaged into the store (salvage.ts), the kernel
 *     target released by the spool's one release protocol (spool/release.ts).
 *   - Leftovers: journals of finished finalisations, locks and temp files of killed processes (spool, store and
 *     the output roots): leftovers.ts.
 *
 * Live containers' targets and notes are never touched, nor is anything a live process holds a lock on: a
 * running `record` holds ns.<ns_id>.lock, a running poststop its container's lock. When nothing is recording
 * any more, the recorder is detached. With dryRun nothing changes: the actions say what would be done.
 */

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

export async function runGc(options: GcOptions): Promise<GcResult> {
  return new Gc(options).run()
}

class Gc {
  private readonly spool: string
  private readonly helper: string
  private readonly dryRun: boolean
  private readonly probe: NamespaceProbe
  private readonly now: () => Date
  private readonly report: GcReport
  private readonly salvager: Salvager
  private readonly leftovers: LeftoverSweep

  constructor(private readonly options: GcOptions) {
    this.spool = options.config.spool
    this.helper = options.helper
    this.dryRun = options.dryRun ?? false
    this.probe = options.probe ?? new ProcNamespaceProbe()
    this.now = options.now ?? (() => new Date())
    const store = new RecordingStore(options.config.store)
    this.report = new GcReport({dryRun: this.dryRun, spool: this.spool, store: store.root})
    this.salvager = new Salvager(store, options.bootId ?? currentBootId(), this.now)
    this.leftovers = new LeftoverSweep(this.spool, store, this.report, this.salvager)
  }

  async run(): Promise<GcResult> {
    const status = await helperStatus(this.helper)
    // The locks live in the spool; a machine that never ran the hook has none yet.
    if (!this.dryRun) await mkdir(this.spool, {recursive: true, mode: 0o700})
    const owners = status.targets
      .filter((t) => t.state !== 'nested' && t.owner === t.mntns)
      .map((t) => ({mntns: t.mntns, ns_id: t.ns_id ?? 0}))
    // Orphans are listed before the notes are read: a note is written before its target can become an orphan and
    // removed only after the orphan was taken, so an orphan seen here whose note is not seen next has no note.
    const orphans = (await listSpool(this.spool)).filter(
      (e): e is Extract<SpoolEntry, {kind: 'orphan'}> => e.kind === 'orphan',
    )
    const notes = await readSpoolNotes(this.spool, (id, error) =>
      this.report.fail(
        {
          action: 'finalise',
          subject: notePath(this.spool, id),
          mntns: null,
          nsId: null,
          reason: 'a spool note',
          outputs: [],
        },
        error,
      ),
    )

    for (const [id, note] of notes) await this.note(id, note)
    for (const orphan of orphans) {
      if (notes.has(orphan.file.slice(0, -'.json'.length))) continue // a note of a container named orphan-N
      if ([...notes.values()].some((n) => n.ns_id === orphan.nsId)) continue // its container's finaliser takes it
      await this.orphan(orphan)
    }
    for (const target of owners) {
      if ([...notes.values()].some((n) => sameNamespace(n, target))) continue
      await this.target(target)
    }
    await this.leftovers.spoolLeftovers(owners)
    await this.leftovers.storeLeftovers()
    for (const root of this.options.config.outputRoots) await this.leftovers.outputLeftovers(root, 8)

    if (!this.dryRun && status.attached) {
      const after = await helperStatus(this.helper).catch(() => undefined)
      if (after?.attached && !after.targets.some((t) => t.owner === t.mntns))
        this.report.result.detached = (await detachIfIdle(this.helper).catch(() => ({detached: false}))).detached
    }
    return this.report.result
  }

  // ---- notes ----------------------------------------------------------------------------------------------

  /** Whether a registered container is finished, and why. */
  private async noteVerdict(id: string, note: SpoolNote): Promise<{finalise: boolean; why: string}> {
    const journal = await readJournal(this.spool, id)
    if (journal && journal.mntns === note.mntns && journal.ns_id === note.ns_id)
      return {finalise: true, why: 'its finalisation was interrupted: finishing it from the journal'}
    const place = await locateRecording(this.helper, this.spool, note)
    if (place.where === 'orphan')
      return {finalise: true, why: 'its mount namespace is gone (the number was reused; the recording was moved aside)'}
    if (place.where === 'gone') return {finalise: true, why: 'its recording is gone from the kernel'}
    const liveness = await this.probe.check(note)
    return liveness.alive
      ? {finalise: false, why: liveness.why}
      : {finalise: true, why: `the container is gone: ${liveness.why}`}
  }

  private async note(id: string, note: SpoolNote): Promise<void> {
    const subject = {subject: `container ${id}`, mntns: note.mntns, nsId: note.ns_id || null}
    if (this.dryRun) {
      const verdict = await this.noteVerdict(id, note)
      if (verdict.finalise)
        this.report.act({...subject, action: 'finalise', reason: verdict.why, done: false, outputs: []})
      else this.report.keep(subject, verdict.why)
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
          if (!verdict.finalise) return this.report.keep(subject, verdict.why)
          const finalised = await finaliseNote({id, config: this.options.config, helper: this.helper, now: this.now()})
          this.report.act({
            ...subject,
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
      if (isLockBusy(error)) this.report.keep(subject, 'being finalised by another process right now')
      else this.report.fail({...subject, action: 'finalise', reason: why || 'finalising', outputs: []}, error)
    }
  }

  // ---- targets nobody will finalise ----------------------------------------------------------------------

  private async orphan(entry: Extract<SpoolEntry, {kind: 'orphan'}>): Promise<void> {
    const ns = {mntns: 0, ns_id: entry.nsId}
    const path = join(this.spool, entry.file)
    const read = async () => parseTarget(await readFile(path, 'utf8').catch(() => ''))
    const subject = {subject: entry.file, mntns: null as number | null, nsId: entry.nsId}
    if (this.dryRun) {
      const target = await read()
      if (target)
        this.report.act(this.salvager.plan({...subject, mntns: target.mntns}, target, 'no container claims it'))
      return
    }
    await this.underNamespaceLock(ns, subject, async () => {
      if (await this.noteFor(ns)) return
      const target = await read()
      if (!target) return // taken meanwhile
      const action = await this.salvager.save(
        {...subject, mntns: target.mntns},
        {mntns: target.mntns, ns_id: entry.nsId},
        target,
        'no container claims it',
      )
      await rm(path, {force: true})
      this.report.act(action)
    })
  }

  private async target(ns: {mntns: number; ns_id: number}): Promise<void> {
    const subject = {subject: describeNamespace(ns), mntns: ns.mntns, nsId: ns.ns_id || null}
    const liveness = await this.probe.check(ns)
    if (liveness.alive) return this.report.keep(subject, liveness.why)
    const why = `no spool note claims it and ${liveness.why}`
    if (this.dryRun) {
      const target = await kernelTarget(this.helper, ns.mntns)
      if (target && sameNamespace(ns, target)) this.report.act(this.salvager.plan(subject, target, why))
      return
    }
    await this.underNamespaceLock(ns, subject, async () => {
      if (await this.noteFor(ns)) return
      const target = await kernelTarget(this.helper, ns.mntns)
      if (!target || !sameNamespace(ns, target)) return // taken meanwhile
      const saved = await this.recordSaved(ns)
      const action: GcAction = saved
        ? {
            ...subject,
            action: 'release',
            reason: `${why}; \`record\` had saved it already (${saved})`,
            done: true,
            outputs: [],
          }
        : await this.salvager.save(subject, ns, target, why)
      // What the removal adds to the salvaged recording is saved again (the same id: replaced, not added).
      const keep = async (all: KernelTarget) => {
        if (!saved) Object.assign(action, await this.salvager.save(subject, ns, all, why))
      }
      await releaseTarget({
        helper: this.helper,
        spool: this.spool,
        ns,
        kept: target,
        justRead: true,
        takeOrphan: false,
        keep,
      })
      await rm(recordMarkerPath(this.spool, ns), {force: true})
      this.report.act(action)
    })
  }

  /** A note that claims this namespace (read fresh). */
  private async noteFor(ns: NamespaceRef): Promise<boolean> {
    for (const note of (await readSpoolNotes(this.spool)).values()) if (sameNamespace(note, ns)) return true
    return false
  }

  private async underNamespaceLock(ns: NamespaceRef, subject: GcSubject, fn: () => Promise<void>): Promise<void> {
    try {
      await withLock(namespaceLockPath(this.spool, ns), fn, {timeoutMs: 0, what: describeNamespace(ns)})
    } catch (error) {
      if (isLockBusy(error)) this.report.keep(subject, 'a running `record` (or another gc) holds it')
      else this.report.fail({...subject, action: 'salvage', reason: 'salvaging', outputs: []}, error)
    }
  }

  /** `record --name` wrote where its recording goes before saving it: saved already when that file is valid. */
  private async recordSaved(ns: NamespaceRef): Promise<string | undefined> {
    try {
      const marker = JSON.parse(await readFile(recordMarkerPath(this.spool, ns), 'utf8')) as {recording?: unknown}
      if (typeof marker.recording !== 'string') return undefined
      return validateRecording(JSON.parse(await readFile(marker.recording, 'utf8'))).valid
        ? marker.recording
        : undefined
    } catch {
      return undefined
    }
  }
}
