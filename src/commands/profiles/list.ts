import {Args} from '@oclif/core'
import {listProfiles} from '../../aggregate/list.js'
import {BaseCommand} from '../../cli/base-command.js'
import {terminalColours} from '../../cli/output.js'
import {ProfilesListView, type ListJson} from '../../cli/formatters/profiles-list.js'
import {RecordingsProgress} from '../../cli/formatters/profiles-progress.js'
import {filterFlags, filterFromFlags, storeFlag} from '../../cli/flags/recording.js'
import {RecordingStore} from '../../store/store.js'

export default class ProfilesList extends BaseCommand {
  static override summary = 'List the profile names in the recordings store, with their recordings and build state.'
  static override description = `One line per name (e.g. default/web/nginx): how many recordings it has, when the last run ended, the runtimes, and whether its built profile is up to date ("stale" once newer recordings exist: run \`profiles build\`).
NAME arguments and the filters narrow the list; files that are not valid recordings are reported and skipped.`
  static override examples = [
    {description: 'Everything in the default store', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'One namespace, last 24 hours', command: '<%= config.bin %> <%= command.id %> --namespace shop --since 24h'},
    {description: 'Names matching a pattern, as JSON', command: "<%= config.bin %> <%= command.id %> 'default/*/*' --json"},
  ]
  static override strict = false
  static override args = {name: Args.string({ignoreStdin: true, description: 'only these names; * matches within a /-segment, ** across', required: false})}
  static override flags = {store: storeFlag, ...filterFlags}

  async run(): Promise<ListJson> {
    const {argv, flags} = await this.parse(ProfilesList)
    const filter = filterFromFlags(flags, argv as string[])
    const progress = new RecordingsProgress('reading recordings', {noColor: Boolean(process.env.NO_COLOR)})
    let result
    try {
      result = await listProfiles(new RecordingStore(flags.store), filter, progress.update)
    } finally {
      progress.stop()
    }
    const view = new ProfilesListView(result)
    if (!this.jsonEnabled()) this.log(view.display(terminalColours()))
    return view.getJson()
  }
}
