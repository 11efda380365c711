import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {EXIT} from '../core/exit-codes.js'
import {terminalColours} from '../cli/output.js'
import {GcReport} from '../cli/formatters/gc-report.js'
import {loadConfig} from '../config/config.js'
import {recorderHelper, runGc} from '../gc/gc.js'
import type {GcResult} from '../gc/report.js'
import {diagnose, type Status} from '../install/doctor.js'
import {installLayout} from '../core/paths.js'

export default class StatusCommand extends BaseCommand {
  static override summary = 'Check every prerequisite, the hook and what is recording now.'
  static override description = `Doctor: root and CAP_BPF, BTF, bpffs and tracefs, clang, bpftool, libbpf and libseccomp headers, the container runtimes found, whether the hook is installed and in the hooks dirs CRI-O and podman are configured with, for each containerd config \`install --containerd\` was given whether it is configured (base spec present and what install writes now, the handler's lines in the config; with \`containerd --version\`), whether the recorder is attached to the kernel and how many recordings are active (anything attached costs every syscall on the host). Each problem comes with its fix. Exit status 4 when a prerequisite is missing.
With --repair it first does what \`seccomp-recorder gc\` does (finalise recordings whose poststop never ran, salvage orphaned ones, clean up after killed processes) and shows that too; exit status 5 when part of the repair failed.`
  static override examples = [
    {description: 'Check the machine', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'As JSON', command: '<%= config.bin %> <%= command.id %> --json'},
    {
      description: 'Repair first (what `seccomp-recorder gc` does), then check',
      command: '<%= config.bin %> <%= command.id %> --repair',
    },
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
      for (const check of status.checks) {
        this.log(
          `${check.ok ? c.green('ok ') : c.red('no ')} ${check.name.padEnd(12)} ${check.detail}${check.ok || !check.fix ? '' : c.dim(`  → ${check.fix}`)}`,
        )
      }
      if (status.spool.length > 0)
        this.log(
          c.yellow(
            `${status.spool.length} container(s) registered and not yet finalised${repair ? '' : c.dim('  → `seccomp-recorder gc` finishes those whose containers are gone')}`,
          ),
        )
    }
    if (!status.ok) this.setExitCode(EXIT.PREREQUISITE)
    else if (repair && repair.failed > 0) this.setExitCode(EXIT.RUNTIME)
    return repair ? {...status, repair} : status
  }
}
