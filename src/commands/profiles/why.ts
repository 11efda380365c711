import {Args, Flags} from '@oclif/core'
import {whySyscall} from '../../aggregate/why.js'
import {BaseCommand} from '../../cli/base-command.js'
import {storeFlag} from '../../cli/flags/recording.js'
import {terminalColours} from '../../cli/output.js'
import {WhyReport, type WhyJson} from '../../cli/formatters/why-report.js'
import {UserError} from '../../core/errors.js'
import {EXIT} from '../../core/exit-codes.js'
import {RecordingStore} from '../../store/store.js'

export default class ProfilesWhy extends BaseCommand {
  static override summary = 'Name the recorded runs that brought a syscall into a built profile.'
  static override description = `For a reviewer's "why does this profile allow ptrace?": reads the provenance that \`profiles build\` keeps in the profile's coverage sidecar and names, newest first, the runs that saw SYSCALL — when, which pod or command, which runtime, their label (\`record --label\`, annotation seccomp-recorder.io/label) and the recording id (in <store>/recordings) — and, where recordings carry argument values, the runs behind each value. At most 5 runs are kept per syscall; the count of all is shown.
NAME is a profile name in the store (as \`profiles build\` wrote it), or else a profile file with its sidecar beside it.
Exit status: 0 when the profile allows SYSCALL, 1 when it does not, 2 for an unknown syscall name or profile.`
  static override examples = [
    {description: 'Who brought ptrace into the profile of team/web?', command: '<%= config.bin %> <%= command.id %> team/web ptrace'},
    {description: 'As a pull-request comment', command: '<%= config.bin %> <%= command.id %> team/web ptrace --format markdown >> comment.md'},
    {description: 'For a profile file written with --output', command: '<%= config.bin %> <%= command.id %> build/web.json socket --json'},
  ]
  static override args = {
    name: Args.string({ignoreStdin: true, description: 'profile name in the store, or a profile file', required: true}),
    syscall: Args.string({ignoreStdin: true, description: 'the syscall to explain, e.g. ptrace', required: true}),
  }
  static override flags = {
    store: storeFlag,
    format: Flags.option({description: 'human-readable output format (--json for JSON)', options: ['human', 'markdown'] as const})(),
  }

  async run(): Promise<WhyJson> {
    const {args, flags} = await this.parse(ProfilesWhy)
    if (flags.format === 'markdown' && this.jsonEnabled())
      throw new UserError('--format markdown and --json exclude each other', {exit: EXIT.USAGE, code: 'bad-flags'})
    const report = new WhyReport(await whySyscall(new RecordingStore(flags.store), args.name, args.syscall))
    if (!this.jsonEnabled()) {
      if (flags.format === 'markdown') process.stdout.write(report.markdown())
      else this.log(report.display(terminalColours()))
    }
    if (!report.answer.allowed) this.setExitCode(EXIT.CHECK_FAILED)
    return report.getJson()
  }
}
