import {Flags} from '@oclif/core'
import ora from 'ora'
import {BaseCommand} from '../cli/base-command.js'
import {EXIT} from '../core/exit-codes.js'
import {terminalColours} from '../cli/output.js'
import {install, type InstallResult} from '../install/install.js'
import {DEFAULT_CONTAINERD_CONFIG, DEFAULT_HOOKS_DIR, DEFAULT_STORE_ROOT, installLayout} from '../core/paths.js'
import {ANNOTATION_PASSTHROUGH} from '../install/containerd.js'
import {RECORD_ANNOTATION, TRACE_SYSCALL_ANNOTATION} from '../oci/annotations.js'
import {ensureHelper} from '../kernel/native-helper.js'
import {loadConfig, type RecorderConfig as Config} from '../config/config.js'
import {join} from 'node:path'

export default class Install extends BaseCommand {
  static override summary = 'Install the OCI hook that records containers which ask for it.'
  static override description = `Builds the BPF recorder and native helper with clang if needed, places the hook executables in /usr/local/libexec/seccomp-recorder, writes hooks.d configs (prestart: the native helper registers the container before its first instruction; poststop: the recording is written) and, with --oci-config, adds the hooks to a runc/crun config.json. Writes /etc/seccomp-recorder/config.yaml with defaults when there is none, and puts a damaged pinned recorder right (map pins removed by hand are pinned again from the running program; programs detached while recordings were active are attached again and those recordings flagged interrupted; leftovers of an attach cut short are removed). Idempotent; \`uninstall\` removes exactly what it created.
With --containerd (containerd 1.6/1.7, config version 2; containerd does not read hooks.d) it writes a base OCI runtime spec (${'$'}SECCOMP_RECORDER_CONTAINERD_SPEC, default /etc/seccomp-recorder/containerd-base-spec.json): containerd's default spec from \`ctr oci spec\` as its CRI uses it (without the default rlimits, AppArmor and seccomp the CRI clears when a handler has no base spec) plus our prestart and poststop hooks, and prints the lines the runtime handler needs in containerd's config: base_runtime_spec and pod_annotations/container_annotations passing ${ANNOTATION_PASSTHROUGH.join(', ')} through. With --write-containerd-config it adds them itself, between marker comments (the rest of the file is kept byte for byte; a handler with a base spec of its own is refused, exit 6; a symlinked config exit 3; a FIFO, device or file over 1 MiB exit 2). containerd reads the base spec when it starts: restart it. No containerd (\`ctr\` not found): exit 4. Without --hooks-dir, --containerd writes no hooks.d files.
Containers are recorded when they carry one of two annotations:
  ${RECORD_ANNOTATION}=auto|NAME: the run goes into the recordings store (config \`store\`); \`profiles build\` makes the profile.
  ${TRACE_SYSCALL_ANNOTATION}=of:/abs/out.json[;if:/abs/base.json]: the profile is written to the of: file (merged with if:). Both paths must lie under the config's \`outputRoots\` (a pod's: under <root>/<namespace>/), with no symlink below the root: a path elsewhere is refused, never written.
Where a refusal shows: the prestart refuses what it can before the container's first instruction (a path outside the output roots, a bad annotation): the container does not start and the runtime's error names the reason (with \`onError: warn\` it runs unrecorded). What only the poststop can see (a symlink below the root) is refused after the container ran; runtimes show a poststop's stderr nowhere, so it is also logged in <spool>/refused.log and \`seccomp-recorder status\` shows it as a warning.`
  static override examples = [
    {description: 'For podman and CRI-O (default hooks dir)', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Into a hooks dir of your own',
      command: '<%= config.bin %> <%= command.id %> --hooks-dir /etc/containers/oci/hooks.d',
    },
    {
      description: 'For Kubernetes on containerd 1.6/1.7: write the base spec and print the config lines to add',
      command: '<%= config.bin %> <%= command.id %> --containerd',
    },
    {
      description: 'The same, and add the lines to /etc/containerd/config.toml itself (then restart containerd)',
      command:
        '<%= config.bin %> <%= command.id %> --containerd --write-containerd-config && systemctl restart containerd',
    },
    {
      description: 'Into a runc/crun bundle',
      command:
        '<%= config.bin %> <%= command.id %> --oci-config ./bundle/config.json --hooks-dir /etc/containers/oci/hooks.d',
    },
  ]
  static override flags = {
    'hooks-dir': Flags.string({
      description: `hooks.d directory to write to (repeatable; default ${DEFAULT_HOOKS_DIR})`,
      multiple: true,
    }),
    'oci-config': Flags.string({
      description: 'a runc/crun bundle config.json to add the hooks to (repeatable)',
      multiple: true,
    }),
    containerd: Flags.boolean({
      description: `configure containerd 1.6/1.7: write the base OCI spec with our hooks and print the lines for its config (${DEFAULT_CONTAINERD_CONFIG} unless --containerd-config)`,
    }),
    'containerd-config': Flags.string({
      description: `containerd's config file (default ${DEFAULT_CONTAINERD_CONFIG}); implies --containerd`,
    }),
    'containerd-handler': Flags.string({
      description: "the CRI runtime handler to configure (default: the config's default_runtime_name, else runc)",
    }),
    'write-containerd-config': Flags.boolean({
      description:
        "add the lines to containerd's config itself (atomically, between marker comments; uninstall --containerd takes them out)",
    }),
  }

  async run(): Promise<InstallResult> {
    const {flags} = await this.parse(Install)
    const spinner = ora({text: 'building the BPF recorder and native helper', stream: process.stderr})
    const builtHelper = await ensureHelper({onBuild: () => spinner.start()})
    spinner.stop()
    const containerd = flags.containerd || flags['containerd-config'] !== undefined
    if (!containerd && (flags['write-containerd-config'] || flags['containerd-handler'] !== undefined))
      this.error('--write-containerd-config and --containerd-handler go with --containerd', {exit: EXIT.USAGE})
    const result = await install({
      layout: installLayout(),
      builtHelper,
      hooksDirs: flags['hooks-dir'] ?? (containerd ? [] : [DEFAULT_HOOKS_DIR]),
      ociConfigs: flags['oci-config'] ?? [],
      containerd: containerd
        ? {
            config: flags['containerd-config'] ?? DEFAULT_CONTAINERD_CONFIG,
            handler: flags['containerd-handler'],
            write: flags['write-containerd-config'],
          }
        : undefined,
    })
    if (!this.jsonEnabled()) this.log(describe(result, await loadConfig().catch(() => undefined)))
    return result
  }
}

function describe(r: InstallResult, config: Config | undefined): string {
  const c = terminalColours()
  if (r.containerd) return [...describeContainerd(r, config), ...repairLines(r)].join('\n')
  const lines = [
    c.green('installed'),
    `  hook executables  ${r.helper}, ${r.poststop}`,
    ...r.hookFiles.map((f) => `  hooks.d config    ${f}`),
    ...r.ociConfigs.map((f) => `  config.json hooks ${f}`),
    `  config            ${r.config.path}${r.config.created ? ' (created with defaults)' : ''}`,
    ...repairLines(r),
    '',
    c.bold('Record a container'),
  ]
  lines.push(
    `  podman:  podman run --hooks-dir ${r.hooksDirs[0] ?? DEFAULT_HOOKS_DIR} --annotation ${RECORD_ANNOTATION}=auto IMAGE …`,
  )
  lines.push(
    `  CRI-O:   in crio.conf [crio.runtime] hooks_dir = ["${r.hooksDirs[0] ?? DEFAULT_HOOKS_DIR}"], and allowed_annotations = ["${TRACE_SYSCALL_ANNOTATION}", "${RECORD_ANNOTATION}"]`,
  )
  lines.push(`           for the runtime handler; then annotate the pod: ${RECORD_ANNOTATION}: auto`)
  lines.push(...annotationLines(config))
  return lines.join('\n')
}

/** install --containerd: what was written, and the config lines (to add by hand, or added). */
function describeContainerd(r: InstallResult, config: Config | undefined): string[] {
  const c = terminalColours()
  const d = r.containerd!
  const lines = [
    c.green('installed for containerd'),
    `  hook executables  ${r.helper}, ${r.poststop}`,
    `  base OCI spec     ${d.baseSpec}`,
    ...r.hookFiles.map((f) => `  hooks.d config    ${f}`),
  ]
  if (d.configWritten)
    lines.push(
      `  containerd config ${d.config} (${d.configChanged ? 'our lines added' : 'our lines already there'}, handler ${d.handler})`,
      '',
      c.bold('Restart containerd'),
      '  systemctl restart containerd   (it reads the base spec when it starts)',
    )
  else
    lines.push(
      '',
      c.bold(`Add to ${d.config}`) + ' (or run again with --write-containerd-config), then restart containerd:',
      ...d.configLines.split('\n').map((l) => `  ${l}`),
    )
  lines.push(
    '',
    c.bold('Record a pod'),
    `  annotate it: ${RECORD_ANNOTATION}: auto   (or ${TRACE_SYSCALL_ANNOTATION}: of:/abs/out.json)`,
    ...annotationLines(config),
  )
  return lines
}

/** The two annotations, where each one's profile goes (with this config's paths), and where refusals show. */
function annotationLines(config: Config | undefined): string[] {
  const c = terminalColours()
  const store = config?.store ?? DEFAULT_STORE_ROOT
  const storeFlag = store === DEFAULT_STORE_ROOT ? '' : ` --store ${store}`
  const roots = config?.outputRoots.join(', ') ?? "(the config's outputRoots)"
  return [
    '',
    c.bold('The two annotations'),
    `  ${RECORD_ANNOTATION}=auto|NAME   each run goes into the recordings store ${store}; then:`,
    `      seccomp-recorder profiles build${storeFlag}   (profiles in ${join(store, 'profiles')}), then seccomp-recorder publish …`,
    `  ${TRACE_SYSCALL_ANNOTATION}=of:/abs/out.json[;if:/abs/base.json]   the profile written to of: when the container exits;`,
    `      of: and if: must lie under outputRoots: ${roots} (a pod's under <root>/<namespace>/, no symlink below the root);`,
    '      a path elsewhere is refused, never written',
    c.bold('A refused recording'),
    "  refused at start (path outside the roots, bad annotation): the container does not start, the runtime's error says why",
    `  refused at exit (a symlink below the root): logged in ${join(config?.spool ?? '<spool>', 'refused.log')}; seccomp-recorder status shows it`,
  ]
}

/** What install put right in the pinned recorder, if anything. */
function repairLines(r: InstallResult): string[] {
  const c = terminalColours()
  const lines: string[] = []
  if (r.recorder.repinned)
    lines.push(
      c.yellow('  recorder          map pins were missing: pinned again from the running program (no recording lost)'),
    )
  if (r.recorder.reattached)
    lines.push(
      c.yellow(
        '  recorder          was detached while recording: attached again; the active recordings are marked interrupted (incomplete)',
      ),
    )
  if (r.recorder.cleaned) lines.push(c.yellow('  recorder          leftovers of an interrupted attach removed'))
  return lines
}
