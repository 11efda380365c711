import {isUserError, UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import type {RecorderConfig} from '../config/config.js'
import {mergeProfiles} from '../aggregate/merge.js'
import {
  AnnotationError,
  LABEL_ANNOTATION,
  recordingRequests,
  runtimeTailOverride,
  runtimeThreadsOverride,
  type RecordingRequest,
} from '../oci/annotations.js'
import {annotationsOf, parseOciState, type OciState} from '../oci/state.js'
import {checkProfileText} from '../profile/load.js'
import {profileFromSyscalls} from '../profile/from-syscalls.js'
import {argumentPlanOf} from '../profile/argument-rules.js'
import {formatProfileJson} from '../profile/normalise.js'
import type {KernelTarget} from '../kernel/native-helper.js'
import {createRecording} from '../store/model.js'
import {incompleteReasons} from '../store/incomplete.js'
import {RecordingStore} from '../store/store.js'
import {labelProblem} from '../store/names.js'
import {nameKernelSyscalls, syscallCount} from '../syscalls/syscall-set.js'
import {overflowedSyscalls} from '../syscalls/arguments.js'
import {runtimeTail, withArgumentTail, withRuntimeTail} from '../runtime-tail/tails.js'
import {workloadFromPodName} from '../naming/workload.js'
import {profileNameFor} from '../naming/profile-name.js'
import {namingFromOciAnnotations} from '../naming/oci-annotations.js'
import {podmanNameFromBundle} from '../naming/podman.js'
import {validObjectName} from '../naming/profile-name.js'
import {readConfined, writeConfined} from './confined-output.js'
import {journalPath, notePath, type Journal} from './layout.js'
import type {SpoolNote} from './notes.js'

/** What a finalisation did: the outputs written, or why nothing was. */
export interface FinaliseResult {
  id: string
  recorded: boolean
  /** Why nothing was written (no note, sandbox, …). */
  skipped?: string
  syscalls?: number
  /** Curated syscalls whose argument values overflowed the kernel's bound (allowed by name): said loudly. */
  argumentsOverflow?: string[]
  outputs: Array<{kind: RecordingRequest['kind']; path: string; name?: string}>
  /** What was written without (a refused `seccomp-recorder.io/label`): the recording itself is never dropped for it. */
  warnings?: string[]
}

/** The run's label from its annotations: absent, or refused with a warning (the recording is kept without it). */
function runLabel(annotations: Record<string, string>): {label?: string; warning?: string} {
  const label = annotations[LABEL_ANNOTATION]
  if (label === undefined) return {}
  const problem = labelProblem(label)
  return problem === null ? {label} : {warning: `annotation ${LABEL_ANNOTATION} ignored: ${problem}`}
}

/**
 * Step 3 of a finalisation: the outputs the note's annotations ask for (an io.containers.trace-syscall profile
 * under the output roots, a recording in the store), from the journal's syscalls. Written again, not twice: the
 * store recording's id is the journal's. A failure of the storage (not of the request) is `output-failed`: the
 * caller keeps the note and the journal for gc.
 */
export async function writeOutputs(note: SpoolNote, journal: Journal, config: RecorderConfig): Promise<FinaliseResult> {
  const {spool} = config
  const {id} = journal
  const target = journal.target
  try {
    const prestart: OciState = parseOciState(note.state)
    const annotations = await annotationsOf(prestart)
    const naming = namingFromOciAnnotations(annotations)
    if (naming.sandbox)
      return {id, recorded: false, skipped: 'a pod sandbox (infra) container is never recorded', outputs: []}
    const tenant = naming.kubernetes ? naming.namespace : null

    const requests = recordingRequests(annotations)
    const tailMode = runtimeTailOverride(annotations) ?? config.runtimeTail
    const lateThreads = runtimeThreadsOverride(annotations) ?? config.runtimeThreads
    const set = withRuntimeTail(nameKernelSyscalls(target), runtimeTail(tailMode, note.runtime, lateThreads))
    const args = withArgumentTail(target.args, tailMode, note.runtime)
    const outputs: FinaliseResult['outputs'] = []
    const {label, warning} = runLabel(annotations)
    for (const request of requests) {
      if (request.kind === 'trace-syscall') {
        let profile = profileFromSyscalls(set, argumentOptions(set, args, config))
        if (request.base !== null) {
          const check = checkProfileText(readConfined(request.base, config.outputRoots, tenant))
          if (!check.valid)
            throw new AnnotationError(
              'io.containers.trace-syscall',
              `base profile ${request.base} is invalid: ${check.errors[0]?.message}`,
            )
          profile = mergeProfiles([check.profile, profile])
        }
        writeConfined(request.output, formatProfileJson(profile), config.outputRoots, tenant)
        outputs.push({kind: request.kind, path: request.output})
      } else {
        const podmanName =
          naming.manager === 'podman' || naming.manager === 'none'
            ? journal.podmanName !== undefined
              ? validObjectName(journal.podmanName)
              : await podmanNameFromBundle(prestart.bundle, prestart.id)
            : null
        const name = profileNameFor({
          namespace: naming.namespace,
          pod: naming.pod,
          container: naming.container,
          podmanName,
          annotation: request.name ?? naming.annotation,
          id: prestart.id,
        })
        const recording = createRecording({
          id: journal.recordingId,
          source: 'hook',
          name,
          container: {
            id: prestart.id,
            name: naming.container ?? podmanName ?? '',
            pod: naming.pod,
            namespace: naming.namespace,
            workload: naming.pod === null ? null : workloadFromPodName(naming.pod),
          },
          runtime: note.runtime || 'unknown',
          set,
          lost: target.lost,
          interrupted: target.interrupted === true,
          quota: target.quota,
          arguments: args,
          startedAt: new Date(note.registered_unix_ms),
          endedAt: new Date(journal.endedAt),
          label,
          check: request.check,
        })
        const path = await new RecordingStore(config.store).save(recording)
        outputs.push({kind: request.kind, path, name})
      }
    }
    // Written (nothing recorded is dropped), but an incomplete recording must not pass as a complete one.
    const reasons = incompleteReasons(target)
    if (reasons.length > 0) {
      const why = reasons.join('; ')
      throw new UserError(
        `the recording of container ${id} is incomplete: ${why}; ${outputs.map((o) => o.path).join(', ')} may lack syscalls the workload needs`,
        {
          exit: EXIT.RUNTIME,
          code: 'recording-incomplete',
          suggestions: ['Record the workload again.'],
        },
      )
    }
    const overflow = overflowedSyscalls(target.args)
    return {
      id,
      recorded: true,
      syscalls: syscallCount(set),
      ...(overflow.length > 0 ? {argumentsOverflow: overflow} : {}),
      outputs,
      ...(warning ? {warnings: [warning]} : {}),
    }
  } catch (error) {
    // A full or read-only disk, an unusable store: the journal holds the syscalls, so it is kept with the note and
    // `gc` finishes the job once that is mended. What the request itself got wrong would fail again: not kept.
    if (!isStorageFailure(error)) throw error
    throw new UserError(`${(error as Error).message}; the recording of container ${id} is kept in ${spool}`, {
      exit: EXIT.RUNTIME,
      code: 'output-failed',
      suggestions: [
        `Run \`seccomp-recorder gc\` once the output can be written: it finishes this recording (or remove ${notePath(spool, id)} and ${journalPath(spool, id)} to drop it).`,
      ],
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

/**
 * Argument rules for an `of:` profile (issue 15): the kernel target's argument values (`args`, filled by the kernel
 * side), unless the config says profileArguments: off.
 */
function argumentOptions(
  set: ReturnType<typeof withRuntimeTail>,
  args: KernelTarget['args'],
  config: RecorderConfig,
): Parameters<typeof profileFromSyscalls>[1] {
  if (config.profileArguments === 'off') return {}
  return {arguments: argumentPlanOf(set.names, args)}
}
