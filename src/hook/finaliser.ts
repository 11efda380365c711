import {watch, type FSWatcher} from 'node:fs'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {isUserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {AnnotationError} from '../oci/annotations.js'
import {StateError} from '../oci/state.js'
import {noteRefusal} from '../spool/refusals.js'
import {argumentOverflowNote} from '../store/argument-notes.js'
import {acquireLock, type HeldLock} from '../fs/lock.js'
import {rotateLog} from '../fs/log-rotation.js'
import {withContainerLock, type FinaliseResult} from '../spool/finalise.js'
import {listSpool} from '../spool/layout.js'

/**
 * The finaliser: the off-path half of the poststop. The native poststop (bpf/poststop.c) journals a container's
 * syscalls and removes its kernel target while the runtime waits; this process names, merges and writes the
 * outputs of every journal in the spool (finaliseJournal, src/spool/finalise.ts), each under its container's lock,
 * so exactly once, and crash-safe as before (killed, the journal stays: the next finaliser or gc finishes it).
 *
 * Coalesced: one finaliser per spool (`finaliser.lock`, src/fs/lock.ts); the native poststop starts one only when
 * none holds it. It works through every pending journal, lingers `idleMs` watching the spool for more, then lets
 * its lock go and looks once more: a poststop that saw the lock held just before did not start another one, so
 * its journal is taken by this finaliser after all. Before it lets the lock go it rotates `finaliser.log` past
 * FINALISER_LOG_MAX_BYTES (to `finaliser.log.1`, regular files only), so the log never grows without bound.
 */

export const finaliserLockPath = (spool: string) => join(spool, 'finaliser.lock')
/** Where the native poststop points the finaliser's stdout and stderr. */
export const finaliserLogPath = (spool: string) => join(spool, 'finaliser.log')

/** Past this, finaliser.log becomes finaliser.log.1 when a finaliser is done (src/fs/log-rotation.ts). */
export const FINALISER_LOG_MAX_BYTES = 1 << 20

/** How long the finaliser waits for more journals before it exits. */
export const FINALISER_IDLE_MS = 2_000
/** Journals finalised at once (each is mostly waiting on the helper and the file system). */
export const FINALISER_CONCURRENCY = 4
/** A journal whose container lock is held by someone else (gc, a Node poststop) is looked at again after this. */
const BUSY_RETRY_MS = 50

export interface FinaliserOptions {
  spool: string
  /** Finalises one container's journal; the caller holds its container lock (finaliseJournal). */
  finalise: (id: string) => Promise<FinaliseResult | undefined>
  idleMs?: number
  concurrency?: number
  /** One line per finalisation and failure (the finaliser's log). */
  log?: (line: string) => void
  /** FINALISER_LOG_MAX_BYTES unless given (tests). */
  logMaxBytes?: number
}

export interface FinaliserRun {
  /** false: another finaliser held the lock; this one did nothing. */
  ran: boolean
  finalised: string[]
  /** Journals whose finalisation failed in this run: left for gc (not retried by this run). */
  failed: string[]
}

export async function runFinaliser(options: FinaliserOptions): Promise<FinaliserRun> {
  const run: FinaliserRun = {ran: false, finalised: [], failed: []}
  let lock = await tryLock(options.spool)
  if (lock === undefined) return run
  run.ran = true
  const spool = new SpoolWatch(options.spool)
  try {
    for (;;) {
      const outcome = await pass(options, run)
      if (outcome === 'worked') continue
      if (outcome === 'busy') {
        await spool.changed(BUSY_RETRY_MS)
        continue
      }
      if (await spool.changed(options.idleMs ?? FINALISER_IDLE_MS)) continue
      // Under the lock, once this run's lines are written: the next finaliser's go into a fresh log.
      await rotateLog(finaliserLogPath(options.spool), options.logMaxBytes ?? FINALISER_LOG_MAX_BYTES)
      await lock.release()
      lock = undefined
      if ((await pendingJournals(options.spool, run)).length === 0) return run
      lock = await tryLock(options.spool)
      if (lock === undefined) return run // another finaliser took over
    }
  } finally {
    spool.close()
    await lock?.release()
  }
}

async function tryLock(spool: string): Promise<HeldLock | undefined> {
  try {
    return await acquireLock(finaliserLockPath(spool), {timeoutMs: 0, what: 'the finaliser'})
  } catch (error) {
    if (isUserError(error) && error.code === 'lock-timeout') return undefined
    throw error
  }
}

/** An output refused by policy (a hostile annotation or state, an `of:` path outside the roots): no retry writes it. */
const isRefusal = (error: unknown): boolean =>
  error instanceof AnnotationError || error instanceof StateError || (isUserError(error) && error.exit === EXIT.REFUSED)

/** Journals in the spool this run has not given up on. */
async function pendingJournals(spool: string, run: FinaliserRun): Promise<string[]> {
  return (await listSpool(spool)).flatMap((e) => (e.kind === 'journal' && !run.failed.includes(e.id) ? [e.id] : []))
}

/** One pass over the pending journals: idle (none), busy (only ones someone else holds) or worked. */
async function pass(options: FinaliserOptions, run: FinaliserRun): Promise<'idle' | 'busy' | 'worked'> {
  const queue = await pendingJournals(options.spool, run)
  if (queue.length === 0) return 'idle'
  let worked = false
  const log = options.log ?? (() => undefined)
  const worker = async () => {
    for (let id = queue.shift(); id !== undefined; id = queue.shift()) {
      try {
        const result = await withContainerLock(options.spool, id, () => options.finalise(id), {timeoutMs: 0})
        worked = true
        run.finalised.push(id)
        for (const o of result?.outputs ?? []) log(`${id}: ${result?.syscalls ?? 0} syscalls → ${o.path}`)
        if (result && !result.recorded) log(`${id}: ${result.skipped}`)
        for (const name of result?.argumentsOverflow ?? []) log(`${id}: warning: ${argumentOverflowNote(name)}`)
        for (const warning of result?.warnings ?? []) log(`${id}: ${warning}`)
      } catch (error) {
        if (isUserError(error) && error.code === 'lock-timeout') continue // gc or a poststop has it now
        worked = true
        run.failed.push(id)
        log(`${id}: ${(error as Error).message}`)
        // Runtimes show nothing of what happens after the poststop: a refusal goes where `status` reads it.
        if (isRefusal(error))
          await noteRefusal(options.spool, {time: new Date().toISOString(), id, reason: (error as Error).message})
      }
    }
  }
  await Promise.all(Array.from({length: options.concurrency ?? FINALISER_CONCURRENCY}, worker))
  return worked ? 'worked' : 'busy'
}

/** Tells when a journal appears in the spool (inotify through fs.watch; a timeout in any case). */
class SpoolWatch {
  private watcher: FSWatcher | undefined
  private wake: (() => void) | undefined
  private seen = false

  constructor(spool: string) {
    try {
      this.watcher = watch(spool, (_event, file) => {
        if (typeof file === 'string' && !file.endsWith('.taken')) return
        this.seen = true
        this.wake?.()
      })
      this.watcher.on('error', () => this.close())
    } catch {
      this.watcher = undefined // polled by the timeouts only
    }
  }

  /** True when a journal appeared (since the last call) before ms passed. */
  async changed(ms: number): Promise<boolean> {
    if (!this.seen) {
      const abort = new AbortController()
      await Promise.race([
        sleep(ms, undefined, {signal: abort.signal}).catch(() => undefined),
        new Promise<void>((resolve) => (this.wake = resolve)),
      ])
      abort.abort()
      this.wake = undefined
    }
    const seen = this.seen
    this.seen = false
    return seen
  }

  close(): void {
    this.watcher?.close()
    this.watcher = undefined
  }
}
