import {Args, Flags} from '@oclif/core'
import {BUILD_MODES, buildProfiles, loadBaseProfile, type BuildMode} from '../../aggregate/build.js'
import {BaseCommand} from '../../cli/base-command.js'
import {stringifyJson} from '../../json/stringify.js'
import {UserError} from '../../core/errors.js'
import {EXIT} from '../../core/exit-codes.js'
import {terminalColours} from '../../cli/output.js'
import {BuildReport, type BuildJson} from '../../cli/formatters/profiles-build.js'
import {RecordingsProgress} from '../../cli/formatters/profiles-progress.js'
import {filterFlags, filterFromFlags, storeFlag} from '../../cli/flags/recording.js'
import {isGlob} from '../../store/filter.js'
import {RecordingStore} from '../../store/store.js'
import {profileNameProblem} from '../../store/names.js'

export default class ProfilesBuild extends BaseCommand {
  static override summary = 'Build one profile per container name from the recordings in the store.'
  static override description = `Unions every recording of a name — all replicas and all runs of a workload, e.g. default/web/nginx — into one flat OCI profile (default SCMP_ACT_ERRNO with EPERM, one SCMP_ACT_ALLOW rule, the architectures seen) and writes it with its coverage sidecar: how many recordings saw each syscall, {"recordings": N, "syscalls": {"read": N, …}}.
Without NAME every name in the store is built. Profiles go to <store>/profiles/<safe name>.json and <safe name>.coverage.json (names are made file-safe: "/" becomes "_2F"), written atomically under a per-name lock; --output writes one profile elsewhere (a FIFO or character device is written through, without the coverage sidecar), --output - prints it.
--format spo also writes a security-profiles-operator SeccompProfile (YAML); --format json prints the summary --json prints. --base unions a profile into each result (least restrictive action wins, as in \`profiles merge\`).
--mode complain also writes <safe name>.complain.json: the same profile with SCMP_ACT_LOG as its default action, so the workload never breaks; run a container under it with the annotation seccomp-recorder.io/check=NAME and \`seccomp-recorder drift\` reports what the enforcing profile would have denied (with --output, the complain profile is the one written). Such check runs are left out of the enforcing profile until \`drift --accept\`.
Files in the store that are not valid recordings are reported and skipped.

Argument rules (on by default): socket, clone, unshare, setns, personality, prctl and ioctl are allowed only with the argument values the recordings saw (one rule per value, SCMP_CMP_EQ or SCMP_CMP_MASKED_EQ), clone3 gets ENOSYS when clone is restricted; a syscall whose values overflowed, or that some recording saw without values, is allowed by name and the summary says so. --args off builds name-only profiles.`
  static override examples = [
    {description: 'Build every profile in the default store', command: '<%= config.bin %> <%= command.id %>'},
    {description: 'One workload, printed as an SPO SeccompProfile', command: "<%= config.bin %> <%= command.id %> default/web/nginx --format spo --output -"},
    {description: 'Only last week\'s runs of one namespace, with the runtime\'s own syscalls added', command: '<%= config.bin %> <%= command.id %> --namespace shop --since 7d --base runc-base.json'},
    {description: 'The profile and its complain-mode variant, for a check run before enforcing', command: '<%= config.bin %> <%= command.id %> team/web --mode complain'},
    {description: 'A name-only profile (no argument rules)', command: '<%= config.bin %> <%= command.id %> default/web/nginx --args off'},
    {description: 'Summary with coverage counts for scripts, nothing written', command: '<%= config.bin %> <%= command.id %> --store ./store --dry-run --json'},
  ]
  static override strict = false
  static override args = {name: Args.string({ignoreStdin: true, description: 'profile names to build (default: all); * matches within a /-segment, ** across', required: false})}
  static override flags = {
    store: storeFlag,
    ...filterFlags,
    base: Flags.string({description: 'profile to union into each built profile', helpValue: 'FILE'}),
    format: Flags.string({char: 'f', description: 'oci: flat OCI JSON; spo: also an SPO SeccompProfile YAML; json: the --json summary', options: ['oci', 'spo', 'json'], default: 'oci'}),
    output: Flags.string({char: 'o', description: 'write the one profile to FILE (coverage beside it as <FILE>.coverage.json), or - for stdout', helpValue: 'FILE'}),
    mode: Flags.string({description: 'enforce: the profile as is; complain: also its SCMP_ACT_LOG variant <name>.complain.json (calls outside it are logged, not denied)', options: [...BUILD_MODES], default: 'enforce'}),
    args: Flags.string({description: 'on: allow socket, clone, unshare, setns, personality, prctl and ioctl only with the argument values recorded; off: by name only', options: ['on', 'off'], default: 'on'}),
    'dry-run': Flags.boolean({description: 'build and report, write nothing', default: false}),
  }

  async run(): Promise<BuildJson> {
    const {argv, flags} = await this.parse(ProfilesBuild)
    const names = argv as string[]
    for (const name of names) {
      const problem = isGlob(name) ? null : profileNameProblem(name)
      if (problem) throw new UserError(problem, {exit: EXIT.USAGE, code: 'bad-name'})
    }
    const jsonOut = this.jsonEnabled() || flags.format === 'json'
    if (flags.output === '-' && jsonOut) {
      throw new UserError('--output - prints the profile on stdout, where --json / --format json print the summary: choose one', {exit: EXIT.USAGE, code: 'stdout-twice', suggestions: ['--output FILE --json']})
    }
    const filter = filterFromFlags(flags, names)
    const base = flags.base === undefined ? undefined : await loadBaseProfile(flags.base)
    const fileFormat = flags.format === 'spo' ? 'spo' : 'oci'
    const progress = new RecordingsProgress('reading recordings', {noColor: Boolean(process.env.NO_COLOR)})
    let result
    try {
      result = await buildProfiles(new RecordingStore(flags.store), {filter, base, format: fileFormat, output: flags.output, dryRun: flags['dry-run'], arguments: flags.args !== 'off', mode: flags.mode as BuildMode, onProgress: progress.update})
    } finally {
      progress.stop()
    }
    if (flags.output === '-') process.stdout.write(result.built[0]!.text)
    const report = BuildReport.from(result, {format: fileFormat, mode: flags.mode as BuildMode, dryRun: flags['dry-run'], base: flags.base ?? null})
    if (flags.format === 'json' && !this.jsonEnabled()) process.stdout.write(`${stringifyJson(report.getJson(), 2)}\n`)
    else if (!this.jsonEnabled()) {
      const toStderr = flags.output === '-'
      const text = report.display(terminalColours(process.env, Boolean((toStderr ? process.stderr : process.stdout).isTTY)))
      if (toStderr) process.stderr.write(`${text}\n`)
      else this.log(text)
    }
    return report.getJson()
  }
}
