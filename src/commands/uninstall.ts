import {BaseCommand} from '../cli/base-command.js'
import {terminalColours} from '../cli/output.js'
import {uninstall, type UninstallResult} from '../install/install.js'
import {installLayout} from '../install/layout.js'

export default class Uninstall extends BaseCommand {
  static override summary = 'Remove exactly what install created, and detach the recorder from the kernel.'
  static override description = `Reads install's manifest and removes the files it lists (a file changed since install is kept and reported), removes our hooks from the runc/crun config.json files install touched, and detaches the BPF recorder (stopping recordings still active), so nothing of seccomp-recorder stays attached. Recordings and profiles in the store are kept.`
  static override examples = [
    {description: 'Remove the hook', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'As JSON', command: '<%= config.bin %> <%= command.id %> --json'},
  ]

  async run(): Promise<UninstallResult> {
    const result = await uninstall({layout: installLayout()})
    if (!this.jsonEnabled()) {
      const c = terminalColours()
      if (!result.wasInstalled) this.log('not installed: nothing to remove')
      else {
        this.log(c.green('uninstalled'))
        for (const f of result.removed) this.log(`  removed ${f}`)
        for (const f of result.ociConfigs) this.log(`  hooks removed from ${f}`)
        for (const k of result.kept) this.log(c.yellow(`  kept ${k.path}: ${k.why}`))
        if (result.detached) this.log(`  recorder detached${result.activeRecordingsStopped > 0 ? ` (${result.activeRecordingsStopped} active recordings stopped)` : ''}`)
      }
    }
    return result
  }
}
