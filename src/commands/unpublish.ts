import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {terminalColours} from '../cli/output.js'
import {UnpublishReport, type UnpublishJson} from '../cli/formatters/publish-unpublish.js'
import {prefixFlag, rootFlags} from '../cli/flags/publish.js'
import {unpublishLocation, unpublishProfiles} from '../publish/published.js'
import {seccompRoot} from '../publish/root.js'

export default class Unpublish extends BaseCommand {
  static override summary = 'Remove profiles that seccomp-recorder published from the kubelet seccomp root.'
  static override description = `NAME is the profile name (team/app/web) with --prefix, or its whole localhostProfile (seccomp-recorder/team/app/web.json).
Only files listed in <root>/.seccomp-recorder-published.json with the content seccomp-recorder wrote are removed; directories left empty go too. A name that was not published by seccomp-recorder is refused; a file changed since it was published is a conflict (--forget stops tracking it and leaves the file). Pods that still reference a removed profile fail to start.`
  static override examples = [
    {description: 'Remove a published profile', command: '<%= config.bin %> <%= command.id %> my-app'},
    {
      description: 'The same, by its localhostProfile',
      command: '<%= config.bin %> <%= command.id %> seccomp-recorder/team/app/web.json',
    },
    {
      description: 'Stop tracking a profile someone edited by hand, leaving the file',
      command: '<%= config.bin %> <%= command.id %> --forget --prefix seccomp-recorder team/app/web',
    },
  ]
  static override strict = false
  static override args = {
    name: Args.string({ignoreStdin: true, description: 'profile name(s) or localhostProfile path(s)', required: true}),
  }
  static override flags = {
    ...rootFlags,
    prefix: prefixFlag,
    forget: Flags.boolean({description: 'drop from the manifest only; leave the file in place', default: false}),
    'dry-run': Flags.boolean({description: 'show what would be removed; change nothing', default: false}),
  }

  async run(): Promise<UnpublishJson> {
    const {argv, flags} = await this.parse(Unpublish)
    const root = seccompRoot({root: flags.root, kubeletRootDir: flags['kubelet-root-dir']})
    const locations = (argv as string[]).map((name) => unpublishLocation(name, flags.prefix ?? ''))
    const result = await unpublishProfiles(locations, {root, forget: flags.forget, dryRun: flags['dry-run']})
    const report = new UnpublishReport(result)
    if (!this.jsonEnabled()) this.log(report.display(terminalColours()))
    return report.getJson()
  }
}
