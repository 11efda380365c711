import {existsSync} from 'node:fs'
import {rm} from 'node:fs/promises'
import {isUserError, UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import type {RecorderConfig} from '../config/config.js'
import {parseOciState} from '../oci/state.js'
import {withLock} from '../fs/lock.js'
import {newRecordingId} from '../store/model.js'
import {
  containerLockPath,
  journalPath,
  notePath,
  readJournal,
  targetAdds,
  writeJournal,
  type Journal,
} from './layout.js'
import {readSpoolNote, type SpoolNote} from './notes.js'
import {writeOutputs, type FinaliseResult} from './outputs.js'
import {locateRecording, recordingGone, releaseTarget} from './release.js'

export type {FinaliseResult} from './outputs.js'

/**
 * The poststop stage: the container is gone; turn what the kernel marked into what the annotations asked for.
 * The prestart hook (native) left a note in the spool (notes.ts); its recording is released into a journal
 * (release.ts), then the outputs are written (outputs.ts).
 */

/** Runs fn holding the container's finalisation lock: the poststop and gc never finalise one container twice. */
export async function withContainerLock<T>(
  spool: string,
  id: string,
  fn: () => Promise<T>,
  options: {timeoutMs?: number} = {},
): Promise<T> {
  return withLock(containerLockPath(spool, id), fn, {
    what: `the recording of container ${id}`,
    timeoutMs: options.timeoutMs ?? CONTAINER_LOCK_TIMEOUT_MS,
  })
}

/** A poststop waits this long for gc (or a second poststop) finalising the same container. */
export const CONTAINER_LOCK_TIMEOUT_MS = 30_000

/** The poststop hook: the runtime's state names the container; the one finaliser does the rest. */
export async function finaliseContainer(options: {
  stateText: string
  config: RecorderConfig
  helper: string
  now?: Date
}): Promise<FinaliseResult> {
  const state = parseOciState(options.stateText)
  const {config} = options
  // No note: nothing was registered (and no lock file is made for it).
  if ((await readSpoolNote(config.spool, state.id)) === undefined)
    return {id: state.id, recorded: false, skipped: 'no recording was registered for this container', outputs: []}
  return withContainerLock(config.spool, state.id, () =>
    finaliseNote({id: state.id, config, helper: options.helper, now: options.now}),
  )
}

/**
 * The one finalisation of a registered container, for the poststop hook and for `gc` alike; the caller holds the
 * container's lock (withContainerLock). Steps, each safe to interrupt (kill -9) and to run again:
 *   1. the syscalls are copied into the journal (<id>.taken), with the note's own fields — from an earlier,
 *      interrupted run's journal if any;
 *   2. the orphan file and the kernel target are removed (the kernel's marks first, whatever happens next);
 *   3. the outputs the annotations ask for are written (the journal's recording id: written again, not twice);
 *   4. the note, then the journal, are removed — unless an output could not be written for a reason of the storage
 *      (full, read-only): then both stay for `gc` to finish.
 * A journal of an earlier run of the same container id (podman restart) whose outputs are still owed is finished
 * first, with the note it carries.
 */
export async function finaliseNote(options: {
  id: string
  config: RecorderConfig
  helper: string
  now?: Date
}): Promise<FinaliseResult> {
  const {config, id, helper} = options
  const spool = config.spool
  const note = await readSpoolNote(spool, id)
  if (note === undefined)
    return {
      id,
      recorded: false,
      skipped: 'no recording was registered for this container (or it was finalised already)',
      outputs: [],
    }

  let journal = await readJournal(spool, id)
  if (journal && (journal.mntns !== note.mntns || journal.ns_id !== note.ns_id)) {
    await finishEarlierRun(helper, config, note, journal)
    journal = undefined
  }
  const started =
    journal === undefined
      ? await startJournal(helper, spool, id, note, options.now ?? new Date())
      : {journal, justRead: false}
  journal = await releaseIntoJournal(helper, spool, note, started.journal, started.justRead)
  let keepForRetry = false
  try {
    return await writeOutputs(note, journal, config)
  } catch (error) {
    keepForRetry = isUserError(error) && error.code === 'output-failed'
    throw error
  } finally {
    if (!keepForRetry) {
      await rm(notePath(spool, id), {force: true})
      await rm(journalPath(spool, id), {force: true})
    }
  }
}

/**
 * Step 1: the journal, with the recording as it is now (read, not taken) and the recording id and end time chosen
 * once. Nothing holds the recording any more: it is gone; the note is removed (it can never be finalised) and
 * that is an error. `justRead`: the journal's target was read from the kernel just now.
 */
async function startJournal(
  helper: string,
  spool: string,
  id: string,
  note: SpoolNote,
  endedAt: Date,
): Promise<{journal: Journal; justRead: boolean}> {
  const place = await locateRecording(helper, spool, note)
  if (place.where === 'gone') {
    await rm(notePath(spool, id), {force: true})
    throw recordingGone(note, place.reused)
  }
  const {runtime, registered_unix_ms, state} = note
  const journal: Journal = {
    version: 1,
    id,
    mntns: note.mntns,
    ns_id: note.ns_id,
    endedAt: endedAt.toISOString(),
    recordingId: newRecordingId(endedAt, id),
    target: place.target,
    note: {runtime, registered_unix_ms, state},
  }
  await writeJournal(spool, journal)
  return {journal, justRead: place.where === 'kernel'}
}

/** Step 2: the release protocol (release.ts) with the journal as what keeps the syscalls. */
async function releaseIntoJournal(
  helper: string,
  spool: string,
  note: SpoolNote,
  journal: Journal,
  justRead: boolean,
): Promise<Journal> {
  const keep = (target: Journal['target']) => writeJournal(spool, {...journal, target})
  const taken = await releaseTarget({helper, spool, ns: note, kept: journal.target, justRead, takeOrphan: true, keep})
  return targetAdds(journal.target, taken) ? {...journal, target: taken} : journal
}

/**
 * A journal whose outputs are owed, for the finaliser (src/hook/finaliser.ts), which holds the container's lock:
 * the journal of the note's run (the native poststop wrote it) is finalised; one of an earlier run whose note a
 * new run (podman restart) replaced is finished alone — the new run is the native poststop's business when it
 * ends; a journal whose note is gone is of a finished run and goes. Undefined: nothing was owed any more.
 */
export async function finaliseJournal(options: {
  id: string
  config: RecorderConfig
  helper: string
}): Promise<FinaliseResult | undefined> {
  const {config, id, helper} = options
  const journal = await readJournal(config.spool, id)
  if (journal === undefined) {
    // Gone (finished meanwhile) is nothing owed; there but unreadable would be taken up again and again.
    if (existsSync(journalPath(config.spool, id)))
      throw new UserError(`journal ${journalPath(config.spool, id)} is damaged: left for gc`, {
        exit: EXIT.RUNTIME,
        code: 'spool-damaged',
      })
    return undefined
  }
  const note = await readSpoolNote(config.spool, id)
  if (note === undefined) {
    await rm(journalPath(config.spool, id), {force: true})
    return undefined
  }
  if (journal.mntns === note.mntns && journal.ns_id === note.ns_id) return finaliseNote({id, config, helper})
  await finishEarlierRun(helper, config, note, journal)
  return undefined
}

/**
 * The journal of an earlier run of this container id, left because its outputs could not be written yet (or its
 * finaliser was killed), and the prestart of a new run (podman restart) has replaced its note: finish that run
 * with the note the journal carries (or, from an older journal without one, this note: a restarted container keeps
 * its configuration). Its outputs still failing for a reason of the storage: everything stays for gc.
 */
async function finishEarlierRun(
  helper: string,
  config: RecorderConfig,
  current: SpoolNote,
  journal: Journal,
): Promise<void> {
  const started = Math.min(current.registered_unix_ms, Date.parse(journal.endedAt))
  const note: SpoolNote = {
    ...(journal.note ?? {runtime: current.runtime, registered_unix_ms: started, state: current.state}),
    mntns: journal.mntns,
    ns_id: journal.ns_id,
  }
  const released = await releaseIntoJournal(helper, config.spool, note, journal, false)
  try {
    await writeOutputs(note, released, config)
  } catch (error) {
    if (isUserError(error) && error.code === 'output-failed') throw error
    // Refused or incomplete: that run's outputs are written or can never be; it is done either way.
  }
  await rm(journalPath(config.spool, journal.id), {force: true})
}
