import {text} from 'node:stream/consumers'
import {BaseCommand} from '../../cli/base-command.js'
import {loadConfig} from '../../config/config.js'
import {finalizeContainer, type FinalizeResult} from '../../hook/poststop.js'
import {AnnotationError} from '../../oci/annotations.js'
import {StateError} from '../../oci/state.js'
import {UserError} from '../../cli/errors.js'
import {EXIT} from '../../cli/exit-codes.js'
import {helperPath} from '../../recorder/native-helper.js'

export default class HookPoststop extends BaseCommand {
  static override hidden = true
  static override summary = 'OCI poststop hook: turn a finished container’s recording into what its annotations asked for.'
  static override description = `Run by the container runtime (hooks.d or config.json) with the OCI state on stdin, after the container is gone. Reads the note the prestart hook left, takes the syscalls the kernel marked, adds the runtime tail, and writes the profile (io.containers.trace-syscall of:) or the recording (seccomp-recorder.io/record). Paths are confined to the configured output roots.`
  static override examples = [{description: 'What the runtime does (state on stdin)', command: 'echo \'{"ociVersion":"1.0.2","id":"abc","status":"stopped","bundle":"/run/b"}\' | <%= config.bin %> hook poststop'}]

  async run(): Promise<FinalizeResult> {
    const stateText = await text(process.stdin)
    const config = await loadConfig()
    const helper = helperPath()
    try {
      const result = await finalizeContainer({stateText, config, helper})
      if (!this.jsonEnabled()) {
        if (!result.recorded) this.logToStderr(`seccomp-recorder: ${result.id}: ${result.skipped}`)
        for (const o of result.outputs) this.logToStderr(`seccomp-recorder: ${result.id}: ${result.syscalls} syscalls → ${o.path}`)
      }
      return result
    } catch (error) {
      if (error instanceof AnnotationError || error instanceof StateError) throw new UserError(error.message, {exit: EXIT.REFUSED, code: error.name})
      throw error
    }
  }
}
