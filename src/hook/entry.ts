import {spawn} from 'node:child_process'
import {isUserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {loadConfig} from '../config/config.js'
import {AnnotationError} from '../oci/annotations.js'
import {StateError} from '../oci/state.js'
import {askedForNothing, notAskedResult} from './not-asked.js'
import {helperPath} from '../kernel/native-helper.js'
import {finaliseContainer} from '../spool/finalise.js'
import {noteRefusal} from '../spool/refusals.js'
import {CONTAINER_ID} from '../oci/state.js'
import {argumentOverflowNote} from '../store/argument-notes.js'

/** The container id of the state, when it is one (for the refusal log; the state may be what was refused). */
function containerId(stateText: string): string {
  try {
    const id = (JSON.parse(stateText) as {id?: unknown}).id
    return typeof id === 'string' && CONTAINER_ID.test(id) ? id : '(unknown)'
  } catch {
    return '(unknown)'
  }
}

/** How long the recorder stays attached after the last recording ends, so back-to-back containers start fast. */
export const LINGER_SECONDS = 5

/**
 * The poststop hook: finalise the container's recording, say what happened on stderr (runtimes log it), print the
 * result as JSON on stdout, and return an exit code from the table. Never a stack trace: the runtime shows this.
 */
export async function runPoststopHook(stateText: string, env: NodeJS.ProcessEnv = process.env): Promise<number> {
  const notAsked = askedForNothing(stateText)
  if (notAsked !== undefined) {
    process.stdout.write(notAskedResult(notAsked))
    return EXIT.OK
  }
  const helper = helperPath(env)
  let spool: string | undefined
  try {
    const config = await loadConfig()
    spool = config.spool
    const result = await finaliseContainer({stateText, config, helper})
    if (!result.recorded) process.stderr.write(`seccomp-recorder: ${result.id}: ${result.skipped}\n`)
    for (const o of result.outputs)
      process.stderr.write(`seccomp-recorder: ${result.id}: ${result.syscalls} syscalls → ${o.path}\n`)
    for (const name of result.argumentsOverflow ?? [])
      process.stderr.write(`seccomp-recorder: ${result.id}: warning: ${argumentOverflowNote(name)}\n`)
    for (const w of result.warnings ?? []) process.stderr.write(`seccomp-recorder: ${result.id}: ${w}\n`)
    process.stdout.write(`${JSON.stringify(result)}\n`)
    return EXIT.OK
  } catch (error) {
    const refused = error instanceof AnnotationError || error instanceof StateError
    const exit = refused ? EXIT.REFUSED : isUserError(error) ? error.exit : EXIT.RUNTIME
    process.stderr.write(`seccomp-recorder: ${(error as Error).message}\n`)
    // podman shows a poststop hook's stderr nowhere: a refusal also goes where `status` reads it.
    if (exit === EXIT.REFUSED && spool !== undefined)
      await noteRefusal(spool, {
        time: new Date().toISOString(),
        id: containerId(stateText),
        reason: (error as Error).message,
      })
    return exit
  } finally {
    // Whatever happened to this container, its target was taken with the recorder kept attached: detach later.
    detachLater(helper)
  }
}

/**
 * Detach the recorder once nothing has recorded for LINGER_SECONDS: a tiny detached helper process that sleeps,
 * then detaches only if no target is left (under the helper's lock, with the maps opened afresh after it: a detach
 * and a new attach may have replaced them during the sleep). It is not tied to the container's cgroup (it is
 * started after the container is gone) and resets its signal state itself.
 */
function detachLater(helper: string): void {
  const child = spawn(helper, ['detach-idle', '--after', String(LINGER_SECONDS)], {detached: true, stdio: 'ignore'})
  child.on('error', () => undefined)
  child.unref()
}
