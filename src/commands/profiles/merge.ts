import {basename} from 'node:path'
import {Args, Flags} from '@oclif/core'
import {loadInputProfile} from '../../aggregate/build.js'
import {mergeProfiles, supersetFindings, type SupersetFinding} from '../../aggregate/merge.js'
import {BaseCommand} from '../../cli/base-command.js'
import {stringifyJson} from '../../json/stringify.js'
import {UserError} from '../../core/errors.js'
import {EXIT} from '../../core/exit-codes.js'
import {terminalColours} from '../../cli/output.js'
import {MergeReport, type MergeJson} from '../../cli/formatters/profiles-merge.js'
import {renderProfile} from '../../formats/index.js'
import {outputTarget, writeOutputFile} from '../../fs/output-file.js'
import {RESOLUTION_FLAGS, resolutionFlagValues, type ResolutionFlagValues} from '../../cli/resolution-flags.js'
import {profileFormat, type SeccompArch, type SeccompProfile} from '../../profile/model.js'
import {capabilitySet, CONTAINERS_COMMON_DEFAULT_CAPS} from '../../runtime-default/capabilities.js'
import {resolveProfile} from '../../runtime-default/resolve.js'

export default class ProfilesMerge extends BaseCommand {
  static override summary = 'Merge seccomp profiles into their union; with --check, fail unless the first allows all the others do.'
  static override description = `The union allows whatever any input allows. Per syscall (and per argument condition) the least restrictive action wins, in this order:
  ALLOW > LOG > NOTIFY > TRACE > ERRNO > TRAP > KILL_THREAD > KILL > KILL_PROCESS
A syscall an input does not list gets that input's default action, so a syscall one profile allows by default stays allowed. Between two ERRNO actions the higher errno wins (ENOSYS over EPERM). Architectures and flags are unioned. The result is normalised: merging is commutative, associative and idempotent.
A docker/moby-format input (archMap, includes/excludes) is first resolved for the target, as \`diff\` does it: the archMap entry of --arch with its sub-architectures, includes/excludes on architecture, the bounding capabilities (podman/CRI-O's defaults unless --caps/--cap-add/--cap-drop) and --kernel; the output says which inputs were resolved and for what. The merged profile is always flat OCI JSON.
The merged profile goes to stdout (flat OCI JSON, or SPO YAML with --format spo) unless --output is given.
--check compares instead: exit 1 when the merge differs from the first profile, i.e. the others allow something the first does not (CI: "does the reviewed profile still cover what we recorded?"); the report goes to stdout.`
  static override examples = [
    {description: 'Union of two profiles on stdout', command: '<%= config.bin %> <%= command.id %> web.json worker.json > both.json'},
    {description: 'CI: the committed profile must cover the newly built one', command: '<%= config.bin %> <%= command.id %> --check profiles/web.json /var/lib/seccomp-recorder/profiles/default_2Fweb_2Fnginx.json'},
    {description: 'Write the union as an SPO SeccompProfile', command: '<%= config.bin %> <%= command.id %> a.json b.json --format spo --name default/web/nginx --output web.yaml'},
  ]
  static override strict = false
  static override args = {profile: Args.string({ignoreStdin: true, description: 'two or more profile files (JSON); with --check the first is compared with the others', required: true})}
  static override flags = {
    check: Flags.boolean({description: 'exit 1 unless the first profile allows everything the others allow; print the differences', default: false}),
    output: Flags.string({char: 'o', description: 'write the merged profile to FILE (atomically) instead of stdout; a FIFO or character device is written through, never replaced', helpValue: 'FILE'}),
    format: Flags.string({char: 'f', description: 'oci: flat OCI JSON; spo: SPO SeccompProfile YAML; json: the --json summary', options: ['oci', 'spo', 'json'], default: 'oci'}),
    name: Flags.string({description: 'profile name for SPO metadata (default: the output file name, else "merged")', helpValue: 'NAME'}),
    ...RESOLUTION_FLAGS,
  }

  async run(): Promise<MergeJson> {
    const {argv, flags} = await this.parse(ProfilesMerge)
    const paths = argv as string[]
    if (paths.length < 2) {
      throw new UserError(`merge needs at least two profiles (got ${paths.length})`, {exit: EXIT.USAGE, code: 'too-few-profiles', suggestions: ['seccomp-recorder profiles merge a.json b.json']})
    }
    if (flags.output !== undefined) outputTarget(flags.output)
    const target = mergeTarget(resolutionFlagValues(flags))
    const profiles: SeccompProfile[] = []
    const resolved: string[] = []
    for (const path of paths) {
      const profile = await loadInputProfile(path, 'a profile to merge')
      if (profileFormat(profile) === 'docker') resolved.push(path)
      profiles.push(profileFormat(profile) === 'docker' ? resolveProfile(profile, target) : profile)
    }
    const resolution = resolved.length > 0 ? {...target, profiles: resolved} : null
    const merged = mergeProfiles(profiles)
    const findings: SupersetFinding[] = flags.check ? supersetFindings(profiles[0]!, profiles.slice(1)) : []
    const fileFormat = flags.format === 'spo' ? 'spo' : 'oci'
    const name = flags.name ?? (flags.output ? basename(flags.output).replace(/\.(json|ya?ml)$/, '') : 'merged')
    const text = renderProfile(merged, fileFormat, {name, comment: `Merged by seccomp-recorder from ${paths.join(', ')}.`})
    const jsonOut = this.jsonEnabled() || flags.format === 'json'
    if (flags.output !== undefined) await writeOutputFile(flags.output, text)
    else if (!flags.check && !jsonOut) process.stdout.write(text)

    const report = new MergeReport({profiles: paths, format: fileFormat, output: flags.output ?? null, check: flags.check, superset: flags.check ? findings.length === 0 : null, findings, resolved: resolution, merged})
    if (flags.format === 'json' && !this.jsonEnabled()) process.stdout.write(`${stringifyJson(report.getJson(), 2)}\n`)
    else if (!this.jsonEnabled()) {
      if (resolution !== null) process.stderr.write(`${report.displayResolution(terminalColours(process.env, Boolean(process.stderr.isTTY)))}\n`)
      if (flags.check) this.log(report.displayCheck(terminalColours()))
      else process.stderr.write(`${report.displaySummary(terminalColours(process.env, Boolean(process.stderr.isTTY)))}\n`)
    }
    if (flags.check && findings.length > 0) this.setExitCode(EXIT.CHECK_FAILED)
    return report.getJson()
  }
}

/** Where docker/moby-format inputs are resolved for: the flags, with podman/CRI-O's default capabilities (as `diff A B`). */
function mergeTarget(values: ResolutionFlagValues): {arch: SeccompArch; kernel: string; caps: string[]} {
  return {arch: values.arch, kernel: values.kernel, caps: capabilitySet(CONTAINERS_COMMON_DEFAULT_CAPS, values.capOptions)}
}
