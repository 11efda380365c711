import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {EXIT} from '../core/exit-codes.js'
import {terminalColours} from '../cli/output.js'
import {GcReport} from '../cli/formatters/gc-report.js'
import {loadConfig} from '../config/config.js'
import {recorderHelper, runGc} from '../gc/gc.js'
import type {GcResult} from '../gc/report.js'
import {diagnose, type CheckLevel, type Status} from '../install/doctor.js'
import {installLayout} from '../core/paths.js'

export default class StatusCommand extends BaseCommand {
  static override summary = 'Check every prerequisite, the hook and what is recording now.'
  static override description = `Doctor: root and CAP_BPF, BTF, bpffs and tracefs, clang, bpftool, libbpf and libseccomp headers, the container runtimes found, whether the hook is installed and in the hooks dirs CRI-O and podman are configured with, for each containerd config \`install --containerd\` was given whether it is configured (base spec present and what install writes now, the handler's lines in the config; with \`containerd --version\`), whether the recorder is attached to the kernel and how many recordings are active (anything attached costs every syscall on the host). Each line is \`ok\`, \`info\` (worth knowing, nothing to fix: bpffs not mounted yet, which the helper mounts itself; the hook not installed; containers waiting in the spool), \`warn\` (recording works, but not everywhere: no container runtime, a hooks dir CRI-O or podman is configured with that lacks our hook) or \`error\` (this machine cannot record: a missing prerequisite, a containerd config that no longer names our base spec); every line that is not ok says what to do. With --json each check has a \`level\` field (and \`ok\`: true for ok and info). Exit status 4 when a check is an error.
With --repair it first does what \`seccomp-recorder gc\` does (finalise recordings whose poststop never ran, salvage orphaned ones, clean up after killed processes) and shows that too; exit status 5 when part of the repair failed.`
  static override examples = [
    {description: 'Check the machine', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Repair first (what `seccomp-recorder gc` does), then check',
      command: '<%= config.bin %> <%= command.id %> --repair',
    },
    {description: 'As JSON', command: '<%= config.bin %> <%= command.id %> --json'},
  ]
  static override flags = {
    repair: Flags.boolean({
      description:
        'first finish and salvage what interrupted recordings left behind, as `seccomp-recorder gc` does (its result is shown too)',
      default: false,
    }),
  }

  async run(): Promise<Status & {repair?: GcResult}> {
    const {flags} = await this.parse(StatusCommand)
    const repair = flags.repair ? await runGc({config: await loadConfig(), helper: await recorderHelper()}) : undefined
    const status = await diagnose(installLayout())
    if (!this.jsonEnabled()) {
      const c = terminalColours()
      if (repair) this.log(`${c.bold('repair')}\n${new GcReport(repair).display(c)}\n`)
      const label = {ok: c.green('ok   '), info: c.cyan('info '), warning: c.yellow('warn '), error: c.red('error')}
      for (const check of status.checks) {
        const fix = check.level === 'ok' || !check.fix ? '' : c.dim(`  → ${check.fix}`)
        this.log(`${label[check.level]} ${check.name.padEnd(14)} ${check.detail}${fix}`)
      }
      const count = (level: CheckLevel) => status.checks.filter((check) => check.level === level).length
      const [errors, warnings] = [count('error'), count('warning')]
      this.log(
        errors > 0
          ? c.red(`${errors} error(s): this machine cannot record until they are fixed (exit 4)`)
          : warnings > 0
            ? c.yellow(`ready to record; ${warnings} warning(s) to look at`)
            : c.green('ready to record'),
      )
    }
    if (status.checks.some((check) => check.level === 'error')) this.setExitCode(EXIT.PREREQUISITE)
    else if (repair && repair.failed > 0) this.setExitCode(EXIT.RUNTIME)
    return repair ? {...status, repair} : status
  }
}
