import {readFile, rm} from 'node:fs/promises'
import {join} from 'node:path'
import {UserError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import type {RecorderConfig} from '../config/config.js'
import {mergeProfiles} from '../aggregate/merge.js'
import {AnnotationError, recordingRequests, runtimeTailOverride, type RecordingRequest} from '../oci/annotations.js'
import {annotationsOf, parseOciState, type OciState} from '../oci/state.js'
import {checkProfileText} from '../profile/load.js'
import {profileFromSyscalls} from '../profile/from-syscalls.js'
import {formatProfileJson} from '../profile/normalise.js'
import {readTarget, removeTarget, type KernelTarget} from '../recorder/native-helper.js'
import {createRecording} from '../recording/model.js'
import {namingFromOciAnnotations, podmanNameFromBundle, profileNameFor, workloadFromPodName} from '../recording/naming.js'
import {RecordingStore} from '../recording/store.js'
import {nameKernelSyscalls, syscallCount} from '../recording/syscall-set.js'
import {runtimeTail, withRuntimeTail} from '../runtime-tail/tails.js'
import {readConfined, writeConfined} from './confined-output.js'

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
  let text: string
  try {
    text = await readFile(join(spool, `${id}.json`), 'utf8')
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined
    throw error
  }
  const at = text.indexOf('"state":')
  const end = text.lastIndexOf('}')
  let note: Partial<SpoolNote> | undefined
  try {
    note = JSON.parse(text) as Partial<SpoolNote>
  } catch {
    note = undefined
  }
  if (!note || at < 0 || typeof note.mntns !== 'number' || typeof note.runtime !== 'string' || typeof note.registered_unix_ms !== 'number') {
    throw new UserError(`spool note ${join(spool, `${id}.json`)} is damaged`, {exit: EXIT.RUNTIME, code: 'spool-damaged'})
  }
  return {...(note as SpoolNote), state: text.slice(at + '"state":'.length, end)}
}

/**
 * The container's kernel target. When its inode number was reused by a newer container before we got here, the
 * prestart hook of that container moved this one's marks into the spool as orphan-<ns_id>.json.
 */
async function takeTarget(helper: string, spool: string, note: SpoolNote): Promise<KernelTarget> {
  const orphan = join(spool, `orphan-${note.ns_id}.json`)
  const fromOrphan = async (): Promise<KernelTarget | undefined> => {
    try {
      const target = JSON.parse(await readFile(orphan, 'utf8')) as KernelTarget
      await rm(orphan, {force: true})
      return target
    } catch {
      return undefined
    }
  }
  if (note.ns_id) {
    const salvaged = await fromOrphan()
    if (salvaged) return salvaged
    const current = await readTarget(helper, note.mntns).catch(() => undefined)
    if (current?.ns_id && current.ns_id !== note.ns_id) {
      const late = await fromOrphan()
      if (late) return late
      throw new UserError(`the recording of mount namespace ${note.mntns} (ns_id ${note.ns_id}) is gone: its number now belongs to another container`, {exit: EXIT.RUNTIME, code: 'recording-gone'})
    }
  }
  // The recorder stays attached for a moment (see entry.ts): the next container likely follows soon.
  return removeTarget(helper, note.mntns, {keepAttached: true})
}

export async function finalizeContainer(options: {stateText: string; config: RecorderConfig; helper: string; now?: Date}): Promise<FinalizeResult> {
  const state = parseOciState(options.stateText)
  const {config} = options
  const note = await readSpoolNote(config.spool, state.id)
  if (note === undefined) return {id: state.id, recorded: false, skipped: 'no recording was registered for this container', outputs: []}
  const spoolPath = join(config.spool, `${state.id}.json`)

  // Take the kernel's marks first: whatever happens next, the target must not stay registered.
  const target = await takeTarget(options.helper, config.spool, note)
  try {
    const prestart: OciState = parseOciState(note.state)
    const annotations = await annotationsOf(prestart)
    const naming = namingFromOciAnnotations(annotations)
    if (naming.sandbox) return {id: state.id, recorded: false, skipped: 'a pod sandbox (infra) container is never recorded', outputs: []}

    const requests = recordingRequests(annotations)
    const tailMode = runtimeTailOverride(annotations) ?? config.runtimeTail
    const set = withRuntimeTail(nameKernelSyscalls(target), runtimeTail(tailMode, note.runtime))
    const outputs: FinalizeResult['outputs'] = []
    for (const request of requests) {
      if (request.kind === 'trace-syscall') {
        let profile = profileFromSyscalls(set)
        if (request.base !== null) {
          const check = checkProfileText(readConfined(request.base, config.outputRoots))
          if (!check.valid) throw new AnnotationError('io.containers.trace-syscall', `base profile ${request.base} is invalid: ${check.errors[0]?.message}`)
          profile = mergeProfiles([check.profile, profile])
        }
        writeConfined(request.output, formatProfileJson(profile), config.outputRoots)
        outputs.push({kind: request.kind, path: request.output})
      } else {
        const podmanName = naming.manager === 'podman' || naming.manager === null ? await podmanNameFromBundle(prestart.bundle, prestart.id) : null
        const name = profileNameFor({namespace: naming.namespace, pod: naming.pod, container: naming.container, podmanName, annotation: request.name ?? naming.annotation, id: prestart.id})
        const recording = createRecording({
          source: 'hook',
          name,
          container: {id: prestart.id, name: naming.container ?? podmanName ?? '', pod: naming.pod, namespace: naming.namespace, workload: naming.pod === null ? null : workloadFromPodName(naming.pod)},
          runtime: note.runtime || 'unknown',
          set,
          lost: target.lost,
          startedAt: new Date(note.registered_unix_ms),
          endedAt: options.now ?? new Date(),
        })
        const path = await new RecordingStore(config.store).save(recording)
        outputs.push({kind: request.kind, path, name})
      }
    }
    return {id: state.id, recorded: true, syscalls: syscallCount(set), outputs}
  } finally {
    await rm(spoolPath, {force: true})
  }
}
