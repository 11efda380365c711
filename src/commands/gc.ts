import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {EXIT} from '../core/exit-codes.js'
import {terminalColours} from '../cli/output.js'
import {GcReport, type GcJson} from '../cli/formatters/gc-report.js'
import {loadConfig} from '../config/config.js'
import {recorderHelper, runGc} from '../gc/gc.js'

export default class Gc extends BaseCommand {
  static override summary =
    'Finish recordings whose poststop never ran, salvage orphaned ones, clean up after killed processes.'
  static override description = `When a container's poststop hook never ran (the runtime or the hook was killed, the machine was busy), its kernel target and spool note stay behind; so does the target of a \`record\` that was killed. gc finds them and keeps every recorded syscall:
- a registered container whose mount namespace has no process left (inode number and ns id checked, so a reused number is never mistaken for it) is finalised exactly as the poststop hook would have done it (same code, same per-container lock: never twice);
- a recording nobody will finalise (orphan-<ns_id>.json without its container's note; a dead target without a note, e.g. of a killed \`record\`) goes into the recordings store with source "gc" under the name orphan/<boot>-<ns_id>;
- journals, locks and temp files of killed processes are removed; the recorder is detached when nothing records any more.
Running containers, a live \`record\` and anything a poststop is finalising right now are left alone. \`status --repair\` runs the same repair.`
  static override examples = [
    {description: 'Repair after a crash or a killed runtime', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'See what would be done, change nothing', command: '<%= config.bin %> <%= command.id %> --dry-run'},
    {description: 'As JSON, for a periodic job', command: '<%= config.bin %> <%= command.id %> --json'},
  ]
  static override flags = {
    'dry-run': Flags.boolean({
      description: 'list what would be finalised, salvaged or cleaned; change nothing',
      default: false,
    }),
  }

  async run(): Promise<GcJson> {
    const {flags} = await this.parse(Gc)
    const result = await runGc({config: await loadConfig(), helper: await recorderHelper(), dryRun: flags['dry-run']})
    const report = new GcReport(result)
    if (!this.jsonEnabled()) this.log(report.display(terminalColours()))
    if (result.failed > 0) this.setExitCode(EXIT.RUNTIME)
    return report.getJson()
  }
}
