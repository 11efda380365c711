import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {loadConfig} from '../config/config.js'
import {CONTAINER_ID} from '../oci/state.js'
import {waitForOutputs, waitTimedOut, type WaitResult} from '../spool/wait.js'

export default class Wait extends BaseCommand {
  static override summary = "Wait until a container's recording outputs are written."
  static override description = `The runtime returns as soon as the poststop hook has taken a container's syscalls out of the kernel; the finaliser writes the outputs (the \`of:\` profile, the recording in the store) a moment later, off the runtime's path. A script that reads an \`of:\` file right after the container exits runs this first.
--container ID: until the spool holds neither the container's note nor its journal (a container that still runs is waited for until it exits and its outputs are written; one that was never recorded is done at once).
--output PATH: until no recording in the spool asks for PATH and PATH exists.
--all: until every container that has exited has its outputs written (the spool holds no journal).
Exit status: 0 when everything is written, 6 when --timeout passed first (what is still pending is listed), 2 for a bad container id.`
  static override examples = [
    {
      description: 'Read a profile right after the container exits',
      command: `podman run --annotation io.containers.trace-syscall=of:/var/lib/out/app.json app && <%= config.bin %> <%= command.id %> --output /var/lib/out/app.json`,
    },
    {description: "Wait for a container's outputs", command: '<%= config.bin %> <%= command.id %> --container my-ctr'},
    {
      description: 'Everything that has exited, e.g. before profiles build',
      command: '<%= config.bin %> <%= command.id %> --all',
    },
    {
      description: 'At most 5 seconds, as JSON',
      command: '<%= config.bin %> <%= command.id %> --container my-ctr --timeout 5 --json',
    },
  ]
  static override flags = {
    container: Flags.string({char: 'c', description: 'container id (repeatable)', multiple: true}),
    output: Flags.string({char: 'o', description: 'an `of:` output path (repeatable)', multiple: true}),
    all: Flags.boolean({description: 'every container that has exited', default: false}),
    timeout: Flags.integer({description: 'give up after this many seconds (exit 6)', default: 30, min: 0, max: 86400}),
  }

  async run(): Promise<WaitResult> {
    const {flags} = await this.parse(Wait)
    const ids = flags.container ?? []
    const outputs = flags.output ?? []
    if (ids.length === 0 && outputs.length === 0 && !flags.all)
      throw new UserError('nothing to wait for: give --container ID, --output PATH or --all', {
        exit: EXIT.USAGE,
        code: 'usage',
      })
    for (const id of ids)
      if (!CONTAINER_ID.test(id))
        throw new UserError(`not a container id: ${JSON.stringify(id)}`, {exit: EXIT.USAGE, code: 'usage'})
    const {spool} = await loadConfig()
    const result = await waitForOutputs({
      spool,
      ids,
      outputs,
      all: flags.all,
      timeoutMs: flags.timeout * 1000,
    })
    if (!result.done) {
      if (!this.jsonEnabled()) throw waitTimedOut(result)
      this.setExitCode(EXIT.CONFLICT)
    } else if (!this.jsonEnabled()) this.log(`written (waited ${(result.waitedMs / 1000).toFixed(1)} s)`)
    return result
  }
}
