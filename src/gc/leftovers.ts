import {readdir, readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'
import {isUserError} from '../core/errors.js'
import {leftoverTempPid, processAlive} from '../fs/atomic-write.js'
import {acquireLock, lockHeld, readLockOwner, withLock} from '../fs/lock.js'
import {withContainerLock} from '../spool/finalise.js'
import {journalPath, listSpool, namespaceLockPath, parseTarget} from '../spool/layout.js'
import {sameNamespace, type NamespaceRef} from '../spool/namespace.js'
import {readSpoolNote} from '../spool/notes.js'
import type {RecordingStore} from '../store/store.js'
import type {GcReport} from './report.js'
import type {Salvager} from './salvage.js'

/**
 * Leftovers of killed processes, swept after the notes and targets: journals of finished finalisations, locks
 * whose holder is gone, temp files (spool, store and the output roots), notes of `record` runs that are over. A
 * killed prestart's half-written orphan is the only copy of a recording: salvaged, not just removed.
 */
export class LeftoverSweep {
  constructor(
    private readonly spool: string,
    private readonly store: RecordingStore,
    private readonly report: GcReport,
    private readonly salvager: Salvager,
  ) {}

  private get dryRun(): boolean {
    return this.report.dryRun
  }

  /** The spool's leftovers; `owners`: the namespaces the kernel has targets of (their record notes stay). */
  async spoolLeftovers(owners: NamespaceRef[]): Promise<void> {
    for (const entry of await listSpool(this.spool)) {
      const path = join(this.spool, entry.file)
      if (entry.kind === 'journal') await this.cleanJournal(entry.id, path)
      else if (entry.kind === 'lock') await this.cleanLock(path)
      else if (entry.kind === 'temp') await this.spoolTemp(path, entry.file, entry.pid, entry.orphanNsId)
      else if (entry.kind === 'record-marker') await this.recordMarker(path, entry.ns, owners)
    }
  }

  private async spoolTemp(path: string, file: string, pid: number, orphanNsId: number | undefined): Promise<void> {
    if (processAlive(pid)) return
    if (orphanNsId !== undefined) {
      // A prestart killed while moving a reused number's target aside: the temp file is the only copy.
      const target = parseTarget(await readFile(path, 'utf8').catch(() => ''))
      const subject = {subject: file, mntns: target?.mntns ?? null, nsId: orphanNsId}
      const why = `left by a killed prestart (pid ${pid})`
      if (target && this.dryRun) return this.report.act(this.salvager.plan(subject, target, why))
      if (target) {
        try {
          this.report.act(await this.salvager.save(subject, {mntns: target.mntns, ns_id: orphanNsId}, target, why))
        } catch (error) {
          return this.report.fail(
            {...subject, action: 'salvage', reason: 'left by a killed prestart', outputs: []},
            error,
          )
        }
      }
    }
    await this.clean(path, `a temp file of a process that is gone (pid ${pid})`)
  }

  private async recordMarker(path: string, ns: string, owners: NamespaceRef[]): Promise<void> {
    const marked = ns.startsWith('m') ? {mntns: Number(ns.slice(1)), ns_id: 0} : {mntns: 0, ns_id: Number(ns)}
    if (owners.some((o) => sameNamespace(marked, o))) return
    // Its `record` finished (or gc released its target) — unless a live `record` still holds it.
    try {
      await withLock(
        namespaceLockPath(this.spool, marked),
        () => this.clean(path, 'the note of a `record` run that is over'),
        {timeoutMs: 0},
      )
    } catch (error) {
      if (!isLockBusy(error))
        this.report.fail(
          {subject: path, mntns: null, nsId: null, action: 'clean', reason: 'a record note', outputs: []},
          error,
        )
    }
  }

  private async cleanJournal(id: string, path: string): Promise<void> {
    if (await readSpoolNote(this.spool, id).catch(() => 'damaged')) return // its note is handled by gc
    if (this.dryRun)
      return this.report.act({
        subject: path,
        mntns: null,
        nsId: null,
        action: 'clean',
        reason: 'the journal of a finished finalisation',
        done: false,
        outputs: [],
      })
    try {
      await withContainerLock(
        this.spool,
        id,
        async () => {
          if ((await readSpoolNote(this.spool, id).catch(() => 'damaged')) === undefined)
            await this.clean(journalPath(this.spool, id), 'the journal of a finished finalisation')
        },
        {timeoutMs: 0},
      )
    } catch (error) {
      if (!isLockBusy(error))
        this.report.fail(
          {subject: path, mntns: null, nsId: null, action: 'clean', reason: 'a journal', outputs: []},
          error,
        )
    }
  }

  /**
   * A lock file nobody holds: its holder died before its release removed it (the kernel dropped the flock).
   * Removed the way a holder removes it (take it, let it go) — only when it is one of ours (an owner record):
   * taking it writes our record into it, so anything else is reported and left alone. `.break` files are left by
   * versions before the flock-based lock (removed, not written).
   */
  private async cleanLock(path: string): Promise<void> {
    const owner = readLockOwner(path)
    if (owner === undefined || (await lockHeld(path))) return
    const subject = {subject: path, mntns: null, nsId: null}
    if (owner === null && !path.endsWith('.break'))
      return this.report.keep(
        subject,
        'a lock file that is not one of ours (no owner record): not written into, not removed',
      )
    const reason = owner
      ? `a lock held by a process that is gone (pid ${owner.pid})`
      : 'a lock file of an older version'
    if (this.dryRun) return this.report.act({...subject, action: 'clean', reason, done: false, outputs: []})
    if (path.endsWith('.break')) return this.clean(path, reason)
    try {
      const lock = await acquireLock(path, {timeoutMs: 0})
      await lock.release()
      this.report.act({...subject, action: 'clean', reason, done: true, outputs: []})
    } catch (error) {
      if (isUserError(error) && error.code === 'lock-foreign')
        this.report.keep(subject, `not one of ours: ${error.message}`)
      else if (!isLockBusy(error)) this.report.fail({...subject, action: 'clean', reason, outputs: []}, error)
    }
  }

  /** Temp files and locks of killed processes in the store (the documents themselves are always whole). */
  async storeLeftovers(): Promise<void> {
    const dirs = [this.store.profilesDir, this.store.locksDir]
    try {
      for (const entry of await readdir(this.store.recordingsDir, {withFileTypes: true}))
        if (entry.isDirectory()) dirs.push(join(this.store.recordingsDir, entry.name))
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
        const temp = leftoverTempPid(file, {ownDirectory: true})
        if (temp !== undefined && !processAlive(temp))
          await this.clean(join(dir, file), `a temp file of a process that is gone (pid ${temp})`)
        else if (
          temp === undefined &&
          dir === this.store.locksDir &&
          (file.endsWith('.lock') || file.endsWith('.lock.break'))
        )
          await this.cleanLock(join(dir, file))
      }
    }
  }

  /**
   * Temp files of killed writers of io.containers.trace-syscall outputs (no symlink is followed). Tenants' output
   * roots are shared with other tools: only our marked temp names count.
   */
  async outputLeftovers(dir: string, depth: number): Promise<void> {
    let entries
    try {
      entries = await readdir(dir, {withFileTypes: true})
    } catch {
      return
    }
    for (const entry of entries) {
      const temp = entry.isFile() ? leftoverTempPid(entry.name) : undefined
      if (temp !== undefined && !processAlive(temp))
        await this.clean(join(dir, entry.name), `a temp file of a process that is gone (pid ${temp})`)
      else if (entry.isDirectory() && depth > 0) await this.outputLeftovers(join(dir, entry.name), depth - 1)
    }
  }

  private async clean(path: string, reason: string): Promise<void> {
    if (this.dryRun)
      return this.report.act({
        subject: path,
        mntns: null,
        nsId: null,
        action: 'clean',
        reason,
        done: false,
        outputs: [],
      })
    try {
      await rm(path, {force: true})
      this.report.act({subject: path, mntns: null, nsId: null, action: 'clean', reason, done: true, outputs: []})
    } catch (error) {
      this.report.fail({subject: path, mntns: null, nsId: null, action: 'clean', reason, outputs: []}, error)
    }
  }
}

export const isLockBusy = (error: unknown) => isUserError(error) && error.code === 'lock-timeout'
