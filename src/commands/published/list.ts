import {Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {EXIT} from '../../core/exit-codes.js'
import {terminalColours} from '../../cli/output.js'
import {PublishedListView, type PublishedListJson} from '../../cli/formatters/publish-list.js'
import {rootFlags} from '../../cli/flags/publish.js'
import {listPublished} from '../../publish/published.js'
import {seccompRoot} from '../../publish/root.js'

export default class PublishedList extends BaseCommand {
  static override summary = 'List the profiles seccomp-recorder published into a seccomp root.'
  static override description = `Reads <root>/.seccomp-recorder-published.json and checks each file against it: ok (what was published), modified (changed or replaced since) or missing. Files that other tools put into the root are not listed. Writes nothing and takes no lock.
--check (for CI and node health checks) exits 1 when any file is modified or missing; the list is printed all the same.`
  static override examples = [
    {
      description: "What was published into this node's kubelet seccomp root",
      command: '<%= config.bin %> <%= command.id %>',
    },
    {description: 'Another root, as JSON', command: '<%= config.bin %> <%= command.id %> --root ./seccomp --json'},
    {
      description: 'CI: fail unless every published file still holds what was published',
      command: '<%= config.bin %> <%= command.id %> --check',
    },
  ]
  static override flags = {
    ...rootFlags,
    check: Flags.boolean({
      description: 'exit 1 (CHECK_FAILED) when any published file is modified or missing',
      default: false,
    }),
  }

  async run(): Promise<PublishedListJson> {
    const {flags} = await this.parse(PublishedList)
    const view = new PublishedListView(
      listPublished(seccompRoot({root: flags.root, kubeletRootDir: flags['kubelet-root-dir']})),
    )
    if (!this.jsonEnabled()) this.log(view.display(terminalColours()))
    if (flags.check && view.getJson().profiles.some((p) => p.status !== 'ok')) this.setExitCode(EXIT.CHECK_FAILED)
    return view.getJson()
  }
}
