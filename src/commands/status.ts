import {BaseCommand} from '../cli/base-command.js'
import {EXIT} from '../cli/exit-codes.js'
import {terminalColours} from '../cli/output.js'
import {diagnose, type Status as StatusJson} from '../install/doctor.js'
import {installLayout} from '../install/layout.js'

export default class Status extends BaseCommand {
  static override summary = 'Check every prerequisite, the hook and what is recording now.'
  static override description = `Doctor: root and CAP_BPF, BTF, bpffs and tracefs, clang, bpftool, libbpf and libseccomp headers, the container runtimes found, whether the hook is installed and in the hooks dirs CRI-O and podman are configured with, whether the recorder is attached to the kernel and how many recordings are active (anything attached costs every syscall on the host). Each problem comes with its fix. Exit status 4 when a prerequisite is missing.`
  static override examples = [
    {description: 'Check the machine', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'As JSON', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  async run(): Promise<StatusJson> {
    const status = await diagnose(installLayout())
    if (!this.jsonEnabled()) {
      const c = terminalColours()
      for (const check of status.checks) {
        this.log(`${check.ok ? c.green('ok ') : c.red('no ')} ${check.name.padEnd(12)} ${check.detail}${check.ok || !check.fix ? '' : c.dim(`  → ${check.fix}`)}`)
      }
      if (status.spool.length > 0) this.log(c.yellow(`${status.spool.length} container(s) registered and not yet finalised`))
    }
    if (!status.ok) this.setExitCode(EXIT.PREREQUISITE)
    return status
  }
}
