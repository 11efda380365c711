import {Flags} from '@oclif/core'
import ora from 'ora'
import {BaseCommand} from '../cli/base-command.js'
import {terminalColours} from '../cli/output.js'
import {install, type InstallResult} from '../install/install.js'
import {DEFAULT_HOOKS_DIR, installLayout} from '../core/paths.js'
import {RECORD_ANNOTATION, TRACE_SYSCALL_ANNOTATION} from '../oci/annotations.js'
import {ensureHelper} from '../kernel/native-helper.js'

export default class Install extends BaseCommand {
  static override summary = 'Install the OCI hook that records containers which ask for it.'
  static override description = `Builds the BPF recorder and native helper with clang if needed, places the hook executables in /usr/local/libexec/seccomp-recorder, writes hooks.d configs (prestart: the native helper registers the container before its first instruction; poststop: the recording is written) and, with --oci-config, adds the hooks to a runc/crun config.json. Writes /etc/seccomp-recorder/config.yaml with defaults when there is none, and puts a damaged pinned recorder right (map pins removed by hand are pinned again from the running program; programs detached while recordings were active are attached again and those recordings flagged interrupted; leftovers of an attach cut short are removed). Idempotent; \`uninstall\` removes exactly what it created.
Containers are recorded when they carry ${RECORD_ANNOTATION}=auto|NAME (into the recordings store) or ${TRACE_SYSCALL_ANNOTATION}=of:/abs/out.json[;if:/abs/base.json].`
  static override examples = [
    {description: 'For podman and CRI-O (default hooks dir)', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'Into a hooks dir of your own', command: '<%= config.bin %> <%= command.id %> --hooks-dir /etc/containers/oci/hooks.d'},
    {description: 'Into a runc/crun bundle', command: '<%= config.bin %> <%= command.id %> --oci-config ./bundle/config.json --hooks-dir /etc/containers/oci/hooks.d'},
  ]
  static override flags = {
    'hooks-dir': Flags.string({description: `hooks.d directory to write to (repeatable; default ${DEFAULT_HOOKS_DIR})`, multiple: true}),
    'oci-config': Flags.string({description: 'a runc/crun bundle config.json to add the hooks to (repeatable)', multiple: true}),
  }

  async run(): Promise<InstallResult> {
    const {flags} = await this.parse(Install)
    const spinner = ora({text: 'building the BPF recorder and native helper', stream: process.stderr})
    const builtHelper = await ensureHelper({onBuild: () => spinner.start()})
    spinner.stop()
    const result = await install({layout: installLayout(), builtHelper, hooksDirs: flags['hooks-dir'] ?? [DEFAULT_HOOKS_DIR], ociConfigs: flags['oci-config'] ?? []})
    if (!this.jsonEnabled()) this.log(describe(result))
    return result
  }
}

function describe(r: InstallResult): string {
  const c = terminalColours()
  const lines = [c.green('installed'), `  hook executables  ${r.helper}, ${r.poststop}`, ...r.hookFiles.map((f) => `  hooks.d config    ${f}`), ...r.ociConfigs.map((f) => `  config.json hooks ${f}`), `  config            ${r.config.path}${r.config.created ? ' (created with defaults)' : ''}`, ...repairLines(r), '', c.bold('Record a container')]
  lines.push(`  podman:  podman run --hooks-dir ${r.hooksDirs[0] ?? DEFAULT_HOOKS_DIR} --annotation ${RECORD_ANNOTATION}=auto IMAGE …`)
  lines.push(`  CRI-O:   in crio.conf [crio.runtime] hooks_dir = ["${r.hooksDirs[0] ?? DEFAULT_HOOKS_DIR}"], and allowed_annotations = ["${TRACE_SYSCALL_ANNOTATION}", "${RECORD_ANNOTATION}"]`)
  lines.push(`           for the runtime handler; then annotate the pod: ${RECORD_ANNOTATION}: auto`)
  lines.push('  then:    seccomp-recorder profiles build && seccomp-recorder publish …')
  return lines.join('\n')
}

/** What install put right in the pinned recorder, if anything. */
function repairLines(r: InstallResult): string[] {
  const c = terminalColours()
  const lines: string[] = []
  if (r.recorder.repinned) lines.push(c.yellow('  recorder          map pins were missing: pinned again from the running program (no recording lost)'))
  if (r.recorder.reattached) lines.push(c.yellow('  recorder          was detached while recording: attached again; the active recordings are marked interrupted (incomplete)'))
  if (r.recorder.cleaned) lines.push(c.yellow('  recorder          leftovers of an interrupted attach removed'))
  return lines
}
