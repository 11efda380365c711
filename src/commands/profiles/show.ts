import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../../cli/base-command.js'
import {terminalColours} from '../../cli/output.js'
import {ProfileView, type ProfileViewJson} from '../../cli/formatters/profile-view.js'
import {loadProfile} from '../../profile/load.js'
import {formatProfileJson, normaliseProfile} from '../../profile/normalise.js'
import {summariseProfile} from '../../profile/summary.js'

export default class ProfilesShow extends BaseCommand {
  static override summary = 'Summarise a seccomp profile and print its normalised JSON.'
  static override description = `Shows the default action, architectures, how many syscalls are allowed and denied, and every conditional rule (argument comparisons, docker/moby includes/excludes).
The normalised JSON (stable key order, sorted unique names, rules with equal conditions merged, comments dropped) is what diffs and merges build on; --normalised prints only that.`
  static override examples = [
    {description: 'Summary of a profile', command: '<%= config.bin %> <%= command.id %> my-app.json'},
    {description: 'Normalised JSON, e.g. to commit or to diff with other tools', command: '<%= config.bin %> <%= command.id %> --normalised my-app.json > my-app.normal.json'},
    {description: 'Summary and normalised profile as JSON', command: '<%= config.bin %> <%= command.id %> --json profiles/runtime-default/moby-default.json'},
  ]
  static override args = {profile: Args.string({ignoreStdin: true, description: 'profile file (JSON)', required: true})}
  static override flags = {
    normalised: Flags.boolean({description: 'print only the normalised profile JSON', exclusive: ['json']}),
    names: Flags.boolean({description: 'list every allowed and denied name in the summary'}),
  }

  async run(): Promise<ProfileViewJson> {
    const {args, flags} = await this.parse(ProfilesShow)
    const {profile, warnings} = await loadProfile(args.profile)
    const view = new ProfileView(args.profile, summariseProfile(profile), normaliseProfile(profile), warnings)
    if (flags.normalised) process.stdout.write(formatProfileJson(view.normalised))
    else if (!this.jsonEnabled()) this.log(view.display(terminalColours(), {names: flags.names}))
    return view.getJson()
  }
}
