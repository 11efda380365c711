import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {RESOLUTION_FLAGS, resolutionFlagValues} from '../cli/resolution-flags.js'
import {terminalColours} from '../cli/output.js'
import type {DiffJson} from '../cli/formatters/diff-report.js'
import {ProfileDiffReport} from '../cli/formatters/profile-diff-report.js'
import {RuntimeDefaultDiffReport} from '../cli/formatters/runtime-default-diff-report.js'
import {FAIL_ON, type FailOn} from '../diff/header.js'
import {runProfilesDiff, runRuntimeDefaultDiff} from '../diff/run.js'
import {widenedNames} from '../diff/profile-diff.js'
import {AddedWhy} from '../cli/formatters/why-report.js'

export default class Diff extends BaseCommand {
  static override summary = "Compare a profile with the runtime's default profile, or two profiles with each other."
  static override description = `With --against runtime-default[:host|containers-common|moby|containerd]: which syscalls the workload needs that RuntimeDefault denies (it will fail) or allows only under argument conditions (it may fail), how much of what RuntimeDefault allows the profile never uses (attack surface removed, count and percentage), and differences in default action, errno and architectures. The runtime default is resolved for the target like the runtime does it: the archMap entry of --arch with its sub-architectures, includes (ALL must hold) and excludes (ANY drops the rule) on architecture, the bounding capabilities (default: the runtime's defaults) and --kernel (minKernel); argument conditions stay and are shown. Plain runtime-default is the host's containers-common profile (/etc/containers/seccomp.json, else /usr/share/containers/seccomp.json) when installed, else the bundled containers-common one.

With two profiles A B (flat OCI or docker/moby format; docker ones are first resolved for the target): syscalls added and removed per action, changed argument conditions and errnos, default action, architecture and flag changes; --unified adds a unified diff of the normalised JSON. Coverage from a <profile>.coverage.json sidecar is shown when there is one.

Exit status: 0 when no difference matches --fail-on, 1 when one does, 2 for bad usage or an unreadable or invalid profile. --fail-on added (default) fails when the target allows something the base does not (A→B: B allows more; against RuntimeDefault: the workload needs something RuntimeDefault does not give it); removed: the reverse; any: every difference; none: never.`

  static override examples = [
    {
      description:
        "Will this workload run under the host runtime's default profile, and what does its profile take away?",
      command: '<%= config.bin %> <%= command.id %> my-app.json --against runtime-default',
    },
    {
      description: 'A pull-request comment',
      command:
        '<%= config.bin %> <%= command.id %> my-app.json --against runtime-default:containers-common --format markdown > comment.md',
    },
    {
      description: 'CI gate: fail when the new profile allows syscalls the committed one does not',
      command: '<%= config.bin %> <%= command.id %> profiles/my-app.json build/my-app.json --fail-on added',
    },
    {
      description: "Against Docker's default on an arm64 host with an extra capability",
      command:
        '<%= config.bin %> <%= command.id %> my-app.json --against runtime-default:moby --arch aarch64 --cap-add SYS_PTRACE',
    },
    {
      description: 'Everything that changed, with a coloured unified diff of the normalised JSON',
      command: '<%= config.bin %> <%= command.id %> old.json new.json --unified --fail-on any',
    },
  ]

  static override args = {
    profile: Args.string({
      ignoreStdin: true,
      description: 'the profile to check (with --against), or the old profile A',
      required: true,
    }),
    other: Args.string({ignoreStdin: true, description: 'the new profile B to compare with A'}),
  }

  static override flags = {
    against: Flags.string({
      description: 'compare with a runtime default instead of a second profile',
      helpValue: 'runtime-default[:host|containers-common|moby|containerd]',
    }),
    ...RESOLUTION_FLAGS,
    'fail-on': Flags.option({
      description: 'which differences make the exit status 1',
      options: FAIL_ON,
      default: 'added' as FailOn,
    })(),
    format: Flags.option({
      description: 'human-readable output format (--json for JSON)',
      options: ['human', 'markdown'] as const,
    })(),
    unified: Flags.boolean({description: 'also show a unified diff of the normalised JSON'}),
    names: Flags.boolean({description: 'list every syscall of the attack surface removed (with --against)'}),
    why: Flags.boolean({
      description:
        "for each syscall B allows more, name the recorded runs that brought it (from B's coverage sidecar, see `profiles why`)",
      exclusive: ['against'],
    }),
  }

  async run(): Promise<DiffJson & {why?: AddedWhy['runs']}> {
    const {args, flags} = await this.parse(Diff)
    if (flags.format === 'markdown' && this.jsonEnabled())
      throw new UserError('--format markdown and --json exclude each other', {
        exit: EXIT.USAGE,
        code: 'bad-flags',
        suggestions: ['drop one of them'],
      })
    if (flags.against !== undefined && args.other !== undefined) {
      throw new UserError('give either a second profile or --against, not both', {
        exit: EXIT.USAGE,
        code: 'bad-arguments',
        suggestions: [`diff ${args.profile} --against ${flags.against}`, `diff ${args.profile} ${args.other}`],
      })
    }
    if (flags.against === undefined && args.other === undefined) {
      throw new UserError('diff needs a second profile or --against runtime-default', {
        exit: EXIT.USAGE,
        code: 'bad-arguments',
        suggestions: [`diff ${args.profile} --against runtime-default`, `diff ${args.profile} NEW.json`],
      })
    }
    const options = {...resolutionFlagValues(flags), unified: flags.unified}
    const profiles = flags.against === undefined ? await runProfilesDiff(args.profile, args.other!, options) : null
    const report =
      profiles !== null
        ? new ProfileDiffReport(profiles, flags['fail-on'])
        : new RuntimeDefaultDiffReport(
            await runRuntimeDefaultDiff(args.profile, flags.against!, options),
            flags['fail-on'],
          )
    const why = flags.why && profiles !== null ? new AddedWhy(widenedNames(profiles.diff), profiles.coverage.b) : null

    if (!this.jsonEnabled()) {
      if (flags.format === 'markdown') process.stdout.write(report.markdown() + (why?.markdown() ?? ''))
      else
        this.log(
          report instanceof RuntimeDefaultDiffReport
            ? report.display(terminalColours(), {names: flags.names})
            : report.display(terminalColours()) + (why?.display() ?? ''),
        )
    }
    if (report.failed) this.setExitCode(EXIT.CHECK_FAILED)
    return why === null ? report.getJson() : {...report.getJson(), why: why.runs}
  }
}
