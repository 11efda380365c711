import {Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {EXIT} from '../core/exit-codes.js'
import {terminalColours} from '../cli/output.js'
import {uninstall, type UninstallResult} from '../install/uninstall.js'
import {DEFAULT_CONTAINERD_CONFIG, DEFAULT_HOOKS_DIR, installLayout} from '../core/paths.js'

export default class Uninstall extends BaseCommand {
  static override summary =
    'Remove what install created in the hooks dirs and config.json files named, and nothing installed elsewhere.'
  static override description = `Takes install's targets: --hooks-dir DIR and --oci-config FILE (repeatable); without either it removes the default install (${DEFAULT_HOOKS_DIR}), as install without flags creates it; --all removes every target install lists. In each target it removes exactly what install created there: the hooks.d files (a file changed since install is kept and reported) and our hooks in a config.json. Hooks installed into other directories or config.json files are left as they are, byte for byte.
--containerd (with --containerd-config FILE for another config than ${DEFAULT_CONTAINERD_CONFIG}) takes out the lines install --containerd --write-containerd-config added to containerd's config (exactly that block; a block changed by hand is kept and reported) and, with the last containerd config, the base OCI spec. A config that still names our base spec (lines added by hand) keeps the spec and the hook executables installed: containerd does not start without the spec and runs the hooks it names; remove the lines, restart containerd, then uninstall again. After uninstall, restart containerd: until then it uses the base spec it read at start.
Shared parts — the hook executables, the config file install wrote, install's manifest — stay while another target still uses them (reported as kept, with the targets that use them) and are removed with the last target. The BPF recorder is then detached from the kernel if nothing records; a recording in progress (another install's, a \`record\`'s, or a container started before) is never stopped: the recorder stays attached until the last one ends (or \`seccomp-recorder gc\`), and uninstall says so. Recordings and profiles in the store are kept.`
  static override examples = [
    {description: 'Remove the default install', command: '<%= config.bin %> <%= command.id %>'},
    {
      description: 'Remove the install in one hooks dir only; other installs keep working',
      command: '<%= config.bin %> <%= command.id %> --hooks-dir /etc/containers/oci/hooks.d',
    },
    {
      description: 'Remove our hooks from a runc/crun bundle',
      command: '<%= config.bin %> <%= command.id %> --oci-config ./bundle/config.json',
    },
    {
      description: "Take our lines out of containerd's config and remove the base spec, then restart containerd",
      command: '<%= config.bin %> <%= command.id %> --containerd && systemctl restart containerd',
    },
    {description: 'Remove every install target, as JSON', command: '<%= config.bin %> <%= command.id %> --all --json'},
  ]
  static override flags = {
    'hooks-dir': Flags.string({
      description: `hooks.d directory to remove our hooks from (repeatable; default ${DEFAULT_HOOKS_DIR} when no target is named)`,
      multiple: true,
    }),
    'oci-config': Flags.string({
      description: 'a runc/crun config.json to remove our hooks from (repeatable)',
      multiple: true,
    }),
    containerd: Flags.boolean({
      description: `remove the containerd install (${DEFAULT_CONTAINERD_CONFIG} unless --containerd-config)`,
    }),
    'containerd-config': Flags.string({
      description: 'the containerd config install --containerd was given; implies --containerd',
    }),
    all: Flags.boolean({description: 'remove every target install lists, and the shared parts'}),
  }

  async run(): Promise<UninstallResult> {
    const {flags} = await this.parse(Uninstall)
    const containerd = flags.containerd || flags['containerd-config'] !== undefined
    const named = flags['hooks-dir'] !== undefined || flags['oci-config'] !== undefined || containerd
    if (flags.all && named)
      this.error(
        '--all removes every target: name targets with --hooks-dir/--oci-config/--containerd, or give --all alone',
        {exit: EXIT.USAGE},
      )
    const containerdConfigs = containerd ? [flags['containerd-config'] ?? DEFAULT_CONTAINERD_CONFIG] : []
    const targets = flags.all
      ? 'all'
      : {
          hooksDirs: flags['hooks-dir'] ?? (named ? [] : [DEFAULT_HOOKS_DIR]),
          ociConfigs: flags['oci-config'] ?? [],
          containerdConfigs,
        }
    const result = await uninstall({layout: installLayout(), targets})
    if (!this.jsonEnabled()) this.log(describe(result))
    return result
  }
}

function describe(r: UninstallResult): string {
  const c = terminalColours()
  if (!r.wasInstalled) return 'not installed: nothing to remove'
  const lines: string[] = []
  const didSomething = r.removed.length > 0 || r.ociConfigs.length > 0 || r.containerdConfigs.length > 0
  if (didSomething) lines.push(c.green(r.remaining.length > 0 ? 'uninstalled from the targets named' : 'uninstalled'))
  for (const t of r.notInstalled) lines.push(c.yellow(`  not installed in ${t}: nothing removed there`))
  for (const f of r.removed) lines.push(`  removed ${f}`)
  for (const f of r.ociConfigs) lines.push(`  hooks removed from ${f}`)
  for (const f of r.containerdConfigs)
    lines.push(`  our lines removed from ${f}: restart containerd (it keeps the base spec it read at start)`)
  for (const k of r.kept) lines.push(c.yellow(`  kept ${k.path}: ${k.why}`))
  if (r.detached) lines.push('  recorder detached')
  if (r.remaining.length > 0 && r.notInstalled.length > 0)
    lines.push(
      `  installed in: ${r.remaining.join(', ')} (name them with --hooks-dir/--oci-config/--containerd, or --all)`,
    )
  return lines.join('\n')
}
