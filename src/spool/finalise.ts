import {rm} from 'node:fs/promises'
import {isUserError, UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import type {RecorderConfig} from '../config/config.js'
import {mergeProfiles} from '../aggregate/merge.js'
import {AnnotationError, recordingRequests, runtimeTailOverride, runtimeThreadsOverride, type RecordingRequest} from '../oci/annotations.js'
import {annotationsOf, parseOciState, type OciState} from '../oci/state.js'
import {checkProfileText} from '../profile/load.js'
import {profileFromSyscalls} from '../profile/from-syscalls.js'
import {formatProfileJson} from '../profile/normalise.js'
import {readTarget, removeTarget, type KernelTarget} from '../kernel/native-helper.js'
import {readTextIfExists, writeFileAtomic} from '../fs/atomic-write.js'
import {withLock} from '../fs/lock.js'
import {createRecording, newRecordingId} from '../store/model.js'
import {incompleteReasons} from '../store/incomplete.js'
import {RecordingStore} from '../store/store.js'
import {nameKernelSyscalls, syscallCount} from '../syscalls/syscall-set.js'
import {runtimeTail, withRuntimeTail} from '../runtime-tail/tails.js'
import {readConfined, writeConfined} from './confined-output.js'
import {containerLockPath, journalPath, notePath, orphanPath, readJournal, readTargetFile, targetAdds, unionTargets, writeJournal, type Journal} from './layout.js'
import {workloadFromPodName} from '../naming/workload.js'
import {profileNameFor} from '../naming/profile-name.js'
import {namingFromOciAnnotations} from '../naming/oci-annotations.js'
import {podmanNameFromBundle} from '../naming/podman.js'

/**
 * The poststop stage: the container is gone; turn what the kernel marked into what the annotations asked for.
 * The prestart hook (native) left a note in the spool: the mount namespace it registered, the runtime, and the
 * state as the runtime gave it. Everything that came from the pod is checked here before it is used.
 */
export interface SpoolNote {
  mntns: number
  ns_id: number
  runtime: string
  registered_unix_ms: number
  /** The OCI state as the prestart received it (text, checked strictly at use). */
  state: string
}

export interface FinalizeResult {
  id: string
  recorded: boolean
  /** Why nothing was written (no note, sandbox, …). */
  skipped?: string
  syscalls?: number
  outputs: Array<{kind: RecordingRequest['kind']; path: string; name?: string}>
}

/**
 * The prestart's note. Its own fields are ours; the embedded state is the runtime's bytes as they came (the native
 * scanner is less strict than parseOciState, e.g. about repeated keys), so it is kept as text and checked strictly
 * only after the kernel target was taken.
 */
export async function readSpoolNote(spool: string, id: string): Promise<SpoolNote | undefined> {
  const text = await readTextIfExists(notePath(spool, id))
  if (text === undefined) return undefined
  const at = text.indexOf('"state":')
  const end = text.lastIndexOf('}')
  let note: Partial<SpoolNote> | undefined
  try {
    note = JSON.parse(text) as Partial<SpoolNote>
  } catch {
    note = undefined
  }
  if (!note || at < 0 || typeof note.mntns !== 'number' || typeof note.runtime !== 'string' || typeof note.registered_unix_ms !== 'number') {
    throw new UserError(`spool note ${notePath(spool, id)} is damaged`, {exit: EXIT.RUNTIME, code: 'spool-damaged'})
  }
  return {...(note as SpoolNote), state: text.slice(at + '"state":'.length, end)}
}

/**
 * What holds the container's syscalls now, without taking it: the orphan file a prestart moved them into when the
 * namespace's inode number was reused, else the kernel target — only if it still belongs to this namespace (ns_id).
 * Nothing anywhere: the recording is gone; the note is removed (it can never be finalised) and that is an error.
 */
async function peekTarget(helper: string, spool: string, note: SpoolNote): Promise<{target: KernelTarget; fromKernel: boolean}> {
  if (note.ns_id) {
    const orphan = await readTargetFile(orphanPath(spool, note.ns_id))
    if (orphan) return {target: orphan, fromKernel: false}
  }
  const current = await kernelTarget(helper, note.mntns)
  if (current && sameNamespace(note, current)) return {target: current, fromKernel: true}
  // The number was reused between the two reads: the prestart that reused it moved this one aside.
  const late = note.ns_id ? await readTargetFile(orphanPath(spool, note.ns_id)) : undefined
  if (late) return {target: late, fromKernel: false}
  const what = `the recording of mount namespace ${note.mntns}${note.ns_id ? ` (ns_id ${note.ns_id})` : ''}`
  throw new UserError(current ? `${what} is gone: its number now belongs to another namespace` : `${what} is gone: no kernel target and no orphan left`, {exit: EXIT.RUNTIME, code: 'recording-gone'})
}

/** The kernel's target for an inode number, or undefined when there is none. */
export async function kernelTarget(helper: string, mntns: number): Promise<KernelTarget | undefined> {
  try {
    return await readTarget(helper, mntns)
  } catch (error) {
    if (isUserError(error) && error.code === 'helper.no-such-target') return undefined
    throw error
  }
}

/** Whether a kernel target (or orphan) is the one registered for this namespace: same ns_id when both know it. */
export function sameNamespace(ns: {mntns: number; ns_id?: number}, target: KernelTarget): boolean {
  return target.mntns === ns.mntns && (!ns.ns_id || !target.ns_id || ns.ns_id === target.ns_id)
}

/**
 * With the journal written: take the syscalls out of where they are (orphan file, kernel target) and add to the
 * journal whatever was marked since it was written. Removing the kernel target re-checks its ns_id: if the
 * number changed hands between the read and the removal, the new owner's target is put where its own finaliser
 * looks for it (orphan-<its ns_id>.json), exactly as a prestart would have.
 */
async function releaseTarget(helper: string, spool: string, note: SpoolNote, journal: Journal, justRead: boolean): Promise<Journal> {
  let taken = note.ns_id ? await takeOrphan(spool, note.ns_id, journal, journal.target) : journal.target
  // Unless it was read from the kernel a moment ago, the number may belong to a running container by now (an
  // interrupted run resumed; the orphan case): check before removing.
  const current = justRead ? journal.target : await kernelTarget(helper, note.mntns)
  if (current && sameNamespace(note, current)) {
    // The recorder stays attached for a moment (see entry.ts): the next container likely follows soon.
    const removed = await removeTarget(helper, note.mntns, {keepAttached: true}).catch((error: unknown) => {
      if (isUserError(error) && error.code === 'helper.no-such-target') return undefined
      throw error
    })
    if (removed && !sameNamespace(note, removed) && removed.ns_id) {
      await writeFileAtomic(orphanPath(spool, removed.ns_id), `${JSON.stringify(removed)}\n`, {mode: 0o600})
    } else if (removed) {
      taken = unionTargets(taken, removed)
    } else if (note.ns_id) {
      // Gone between the read and the removal: a prestart whose namespace got this number moved it into the
      // orphan file meanwhile. Take it from there, or gc would store the run a second time.
      taken = await takeOrphan(spool, note.ns_id, journal, taken)
    }
  }
  if (!targetAdds(journal.target, taken)) return journal
  const updated = {...journal, target: taken}
  await writeJournal(spool, updated)
  return updated
}

/** Adds this namespace's orphan file, if there is one, to taken: the journal is written first, then the file goes. */
async function takeOrphan(spool: string, nsId: number, journal: Journal, taken: KernelTarget): Promise<KernelTarget> {
  const orphan = await readTargetFile(orphanPath(spool, nsId)).catch(() => undefined)
  if (!orphan) return taken
  const merged = unionTargets(taken, orphan)
  if (targetAdds(journal.target, merged)) await writeJournal(spool, {...journal, target: merged})
  await rm(orphanPath(spool, nsId), {force: true})
  return merged
}

/** Runs fn holding the container's finalisation lock: the poststop and gc never finalise one container twice. */
export async function withContainerLock<T>(spool: string, id: string, fn: () => Promise<T>, options: {timeoutMs?: number} = {}): Promise<T> {
  return withLock(containerLockPath(spool, id), fn, {what: `the recording of container ${id}`, timeoutMs: options.timeoutMs ?? CONTAINER_LOCK_TIMEOUT_MS})
}

/** A poststop waits this long for gc (or a second poststop) finalising the same container. */
export const CONTAINER_LOCK_TIMEOUT_MS = 30_000

/** The poststop hook: the runtime's state names the container; the one finaliser does the rest. */
export async function finalizeContainer(options: {stateText: string; config: RecorderConfig; helper: string; now?: Date}): Promise<FinalizeResult> {
  const state = parseOciState(options.stateText)
  const {config} = options
  // No note: nothing was registered (and no lock file is made for it).
  if ((await readSpoolNote(config.spool, state.id)) === undefined) return {id: state.id, recorded: false, skipped: 'no recording was registered for this container', outputs: []}
  return withContainerLock(config.spool, state.id, () => finalizeNote({id: state.id, config, helper: options.helper, now: options.now}))
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
export async function finalizeNote(options: {id: string; config: RecorderConfig; helper: string; now?: Date}): Promise<FinalizeResult> {
  const {config, id} = options
  const spool = config.spool
  const note = await readSpoolNote(spool, id)
  if (note === undefined) return {id, recorded: false, skipped: 'no recording was registered for this container (or it was finalised already)', outputs: []}
  const spoolPath = notePath(spool, id)

  let journal = await readJournal(spool, id)
  if (journal && (journal.mntns !== note.mntns || journal.ns_id !== note.ns_id)) {
    await finishEarlierRun(options.helper, config, note, journal)
    journal = undefined
  }
  let justRead = false
  if (journal === undefined) {
    let peeked: {target: KernelTarget; fromKernel: boolean}
    try {
      peeked = await peekTarget(options.helper, spool, note)
    } catch (error) {
      if (isUserError(error) && error.code === 'recording-gone') await rm(spoolPath, {force: true})
      throw error
    }
    const endedAt = options.now ?? new Date()
    const {runtime, registered_unix_ms, state} = note
    journal = {version: 1, id, mntns: note.mntns, ns_id: note.ns_id, endedAt: endedAt.toISOString(), recordingId: newRecordingId(endedAt, id), target: peeked.target, note: {runtime, registered_unix_ms, state}}
    await writeJournal(spool, journal)
    justRead = peeked.fromKernel
  }
  journal = await releaseTarget(options.helper, spool, note, journal, justRead)
  let keepForRetry = false
  try {
    return await writeOutputs(note, journal, config)
  } catch (error) {
    keepForRetry = isUserError(error) && error.code === 'output-failed'
    throw error
  } finally {
    if (!keepForRetry) {
      await rm(spoolPath, {force: true})
      await rm(journalPath(spool, id), {force: true})
    }
  }
}

/**
 * The journal of an earlier run of this container id, left because its outputs could not be written yet (or its
 * finaliser was killed), and the prestart of a new run (podman restart) has replaced its note: finish that run
 * with the note the journal carries (or, from an older journal without one, this note: a restarted container keeps
 * its configuration). Its outputs still failing for a reason of the storage: everything stays for gc.
 */
async function finishEarlierRun(helper: string, config: RecorderConfig, current: SpoolNote, journal: Journal): Promise<void> {
  const started = Math.min(current.registered_unix_ms, Date.parse(journal.endedAt))
  const note: SpoolNote = {...(journal.note ?? {runtime: current.runtime, registered_unix_ms: started, state: current.state}), mntns: journal.mntns, ns_id: journal.ns_id}
  const released = await releaseTarget(helper, config.spool, note, journal, false)
  try {
    await writeOutputs(note, released, config)
  } catch (error) {
    if (isUserError(error) && error.code === 'output-failed') throw error
    // Refused or incomplete: that run's outputs are written or can never be; it is done either way.
  }
  await rm(journalPath(config.spool, journal.id), {force: true})
}

/** Step 3: the outputs the note's annotations ask for, from the journal's syscalls. */
async function writeOutputs(note: SpoolNote, journal: Journal, config: RecorderConfig): Promise<FinalizeResult> {
  const {spool} = config
  const {id} = journal
  const target = journal.target
  try {
    const prestart: OciState = parseOciState(note.state)
    const annotations = await annotationsOf(prestart)
    const naming = namingFromOciAnnotations(annotations)
    if (naming.sandbox) return {id, recorded: false, skipped: 'a pod sandbox (infra) container is never recorded', outputs: []}
    const tenant = naming.kubernetes ? naming.namespace : null

    const requests = recordingRequests(annotations)
    const tailMode = runtimeTailOverride(annotations) ?? config.runtimeTail
    const lateThreads = runtimeThreadsOverride(annotations) ?? config.runtimeThreads
    const set = withRuntimeTail(nameKernelSyscalls(target), runtimeTail(tailMode, note.runtime, lateThreads))
    const outputs: FinalizeResult['outputs'] = []
    for (const request of requests) {
      if (request.kind === 'trace-syscall') {
        let profile = profileFromSyscalls(set)
        if (request.base !== null) {
          const check = checkProfileText(readConfined(request.base, config.outputRoots, tenant))
          if (!check.valid) throw new AnnotationError('io.containers.trace-syscall', `base profile ${request.base} is invalid: ${check.errors[0]?.message}`)
          profile = mergeProfiles([check.profile, profile])
        }
        writeConfined(request.output, formatProfileJson(profile), config.outputRoots, tenant)
        outputs.push({kind: request.kind, path: request.output})
      } else {
        const podmanName = naming.manager === 'podman' || naming.manager === 'none' ? await podmanNameFromBundle(prestart.bundle, prestart.id) : null
        const name = profileNameFor({namespace: naming.namespace, pod: naming.pod, container: naming.container, podmanName, annotation: request.name ?? naming.annotation, id: prestart.id})
        const recording = createRecording({
          id: journal.recordingId,
          source: 'hook',
          name,
          container: {id: prestart.id, name: naming.container ?? podmanName ?? '', pod: naming.pod, namespace: naming.namespace, workload: naming.pod === null ? null : workloadFromPodName(naming.pod)},
          runtime: note.runtime || 'unknown',
          set,
          lost: target.lost,
          interrupted: target.interrupted === true,
          quota: target.quota,
          startedAt: new Date(note.registered_unix_ms),
          endedAt: new Date(journal.endedAt),
        })
        const path = await new RecordingStore(config.store).save(recording)
        outputs.push({kind: request.kind, path, name})
      }
    }
    // Written (nothing recorded is dropped), but an incomplete recording must not pass as a complete one.
    const reasons = incompleteReasons(target)
    if (reasons.length > 0) {
      const why = reasons.join('; ')
      throw new UserError(`the recording of container ${id} is incomplete: ${why}; ${outputs.map((o) => o.path).join(', ')} may lack syscalls the workload needs`, {
        exit: EXIT.RUNTIME,
        code: 'recording-incomplete',
        suggestions: ['Record the workload again.'],
      })
    }
    return {id, recorded: true, syscalls: syscallCount(set), outputs}
  } catch (error) {
    // A full or read-only disk, an unusable store: the journal holds the syscalls, so it is kept with the note and
    // `gc` finishes the job once that is mended. What the request itself got wrong would fail again: not kept.
    if (!isStorageFailure(error)) throw error
    throw new UserError(`${(error as Error).message}; the recording of container ${id} is kept in ${spool}`, {
      exit: EXIT.RUNTIME,
      code: 'output-failed',
      suggestions: [`Run \`seccomp-recorder gc\` once the output can be written: it finishes this recording (or remove ${notePath(spool, id)} and ${journalPath(spool, id)} to drop it).`],
      cause: error,
    })
  }
}

/** System errors of the storage rather than of the path asked for: they go away when the disk is mended. */
const STORAGE_ERRNOS = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'EIO', 'EACCES', 'EPERM'])

/**
 * Whether an output failed for a reason outside the request: the store could not be written (it is the
 * configuration's, whatever the errno), or a trace-syscall output hit a storage condition. An existing directory
 * at the output path, a path outside the roots or a symlink are the request's own fault.
 */
function isStorageFailure(error: unknown): boolean {
  if (isUserError(error) && error.code === 'unwritable') return true
  const system = isUserError(error) && error.code === 'io' ? error.cause : error
  const errno = (system as NodeJS.ErrnoException | undefined)?.code
  return system instanceof Error && !isUserError(system) && typeof errno === 'string' && STORAGE_ERRNOS.has(errno)
}
