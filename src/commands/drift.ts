import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {terminalColours} from '../cli/output.js'
import {storeFlag} from '../cli/flags/recording.js'
import {DriftView, type DriftJson} from '../cli/formatters/drift-report.js'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {acceptDrift, driftReport} from '../drift/drift.js'
import {isGlob} from '../store/filter.js'
import {profileNameProblem} from '../store/names.js'
import {RecordingStore} from '../store/store.js'

export default class Drift extends BaseCommand {
  static override summary = 'What complain-mode check runs did that the enforcing profile would deny.'
  static override description = `A container run under a profile's complain variant (\`profiles build --mode complain\`: SCMP_ACT_LOG instead of denying) with the annotation seccomp-recorder.io/check=NAME is recorded as a check run of NAME. drift compares each pending check run with NAME's enforcing profile in the store (<store>/profiles/<safe name>.json): every syscall — and argument value, where the profile allows a syscall only for some values — that the profile would deny is a finding, listed per name with the runs it came from (recording id, time, pod or command, runtime).
Exit 1 when there is any finding (for CI), 0 when none.
--accept folds the findings in: the profile (and its complain variant, if built) is rebuilt from all recordings of the name with the check runs contributing, then the runs are marked accepted; afterwards drift is clean. Accepting again changes nothing. Check runs never widen a profile otherwise: \`profiles build\` leaves pending ones out.`
  static override examples = [
    {
      description: 'Every name with check runs; exit 1 when something would be denied',
      command: '<%= config.bin %> <%= command.id %>',
    },
    {
      description: 'One name, as a Markdown comment for a pull request',
      command: '<%= config.bin %> <%= command.id %> team/web --format markdown > drift.md',
    },
    {
      description: 'Fold what the check runs did into the profile',
      command: '<%= config.bin %> <%= command.id %> team/web --accept',
    },
  ]
  static override strict = false
  static override args = {
    name: Args.string({
      ignoreStdin: true,
      description: 'profile names (default: every name with check runs); * matches within a /-segment, ** across',
      required: false,
    }),
  }
  static override flags = {
    store: storeFlag,
    format: Flags.option({
      description: 'human-readable output format (--json for JSON)',
      options: ['text', 'markdown'] as const,
      default: 'text' as const,
    })(),
    accept: Flags.boolean({
      description: 'fold the findings into the profiles (rebuild with the check runs, mark them accepted)',
      default: false,
    }),
  }

  async run(): Promise<DriftJson> {
    const {argv, flags} = await this.parse(Drift)
    const names = argv as string[]
    for (const name of names) {
      const problem = isGlob(name) ? null : profileNameProblem(name)
      if (problem) throw new UserError(problem, {exit: EXIT.USAGE, code: 'bad-name'})
    }
    if (flags.format === 'markdown' && this.jsonEnabled())
      throw new UserError('--format markdown and --json exclude each other', {
        exit: EXIT.USAGE,
        code: 'bad-flags',
        suggestions: ['drop one of them'],
      })
    const store = new RecordingStore(flags.store)
    const accepted = flags.accept ? await acceptDrift(store, names) : []
    const view = new DriftView({...(await driftReport(store, names)), accepted})
    if (!this.jsonEnabled()) {
      if (flags.format === 'markdown') process.stdout.write(view.markdown())
      else this.log(view.display(terminalColours()))
    }
    if (view.failed) this.setExitCode(EXIT.CHECK_FAILED)
    return view.json
  }
}
