import {Args, Flags} from '@oclif/core'
import {BaseCommand} from '../cli/base-command.js'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {RESOLUTION_FLAGS, resolutionFlagValues} from '../cli/resolution-flags.js'
import {terminalColours} from '../cli/output.js'
import {ProfileDiffReport, RuntimeDefaultDiffReport, type DiffInput, type DiffJson, type ResolutionTarget} from '../cli/formatters/diff-report.js'
import {loadCoverage, type Coverage} from '../diff/coverage.js'
import {FAIL_ON, type FailOn} from '../diff/header.js'
import {diffProfiles} from '../diff/profile-diff.js'
import {diffAgainstRuntimeDefault} from '../diff/runtime-default-diff.js'
import {unifiedDiff} from '../diff/unified.js'
import {loadProfile} from '../profile/load.js'
import type {SeccompArch, SeccompProfile} from '../profile/model.js'
import {formatProfileJson, normaliseProfile} from '../profile/normalise.js'
import {abisOf, archDisplayName, sortArches} from '../runtime-default/arch.js'
import {capabilitySet, CONTAINERS_COMMON_DEFAULT_CAPS} from '../runtime-default/capabilities.js'
import {loadRuntimeDefault, parseRuntimeDefaultSpec} from '../runtime-default/load.js'
import {resolveProfile} from '../runtime-default/resolve.js'

export default class Diff extends BaseCommand {
  static override summary = "Compare a profile with the runtime's default profile, or two profiles with each other."
  static override description = `With --against runtime-default[:host|containers-common|moby|containerd]: which syscalls the workload needs that RuntimeDefault denies (it will fail) or allows only under argument conditions (it may fail), how much of what RuntimeDefault allows the profile never uses (attack surface removed, count and percentage), and differences in default action, errno and architectures. The runtime default is resolved for the target like the runtime does it: the archMap entry of --arch with its sub-architectures, includes (ALL must hold) and excludes (ANY drops the rule) on architecture, the bounding capabilities (default: the runtime's defaults) and --kernel (minKernel); argument conditions stay and are shown. Plain runtime-default is the host's containers-common profile (/etc/containers/seccomp.json, else /usr/share/containers/seccomp.json) when installed, else the bundled containers-common one.

With two profiles A B (flat OCI or docker/moby format; docker ones are first resolved for the target): syscalls added and removed per action, changed argument conditions and errnos, default action, architecture and flag changes; --unified adds a unified diff of the normalised JSON. Coverage from a <profile>.coverage.json sidecar is shown when there is one.

Exit status: 0 when no difference matches --fail-on, 1 when one does, 2 for bad usage or an unreadable or invalid profile. --fail-on added (default) fails when the target allows something the base does not (A→B: B allows more; against RuntimeDefault: the workload needs something RuntimeDefault does not give it); removed: the reverse; any: every difference; none: never.`

  static override examples = [
    {description: "Will this workload run under the host runtime's default profile, and what does its profile take away?", command: '<%= config.bin %> <%= command.id %> my-app.json --against runtime-default'},
    {description: "Against Docker's default on an arm64 host with an extra capability", command: '<%= config.bin %> <%= command.id %> my-app.json --against runtime-default:moby --arch aarch64 --cap-add SYS_PTRACE'},
    {description: 'A pull-request comment', command: '<%= config.bin %> <%= command.id %> my-app.json --against runtime-default:containers-common --format markdown > comment.md'},
    {description: 'CI gate: fail when the new profile allows syscalls the committed one does not', command: '<%= config.bin %> <%= command.id %> profiles/my-app.json build/my-app.json --fail-on added'},
    {description: 'Everything that changed, with a coloured unified diff of the normalised JSON', command: '<%= config.bin %> <%= command.id %> old.json new.json --unified --fail-on any'},
  ]

  static override args = {
    profile: Args.string({ignoreStdin: true, description: 'the profile to check (with --against), or the old profile A', required: true}),
    other: Args.string({ignoreStdin: true, description: 'the new profile B to compare with A'}),
  }

  static override flags = {
    against: Flags.string({description: 'compare with a runtime default instead of a second profile', helpValue: 'runtime-default[:host|containers-common|moby|containerd]'}),
    ...RESOLUTION_FLAGS,
    'fail-on': Flags.option({description: 'which differences make the exit status 1', options: FAIL_ON, default: 'added' as FailOn})(),
    format: Flags.option({description: 'human-readable output format (--json for JSON)', options: ['human', 'markdown'] as const})(),
    unified: Flags.boolean({description: 'also show a unified diff of the normalised JSON'}),
    names: Flags.boolean({description: 'list every syscall of the attack surface removed (with --against)'}),
  }

  async run(): Promise<DiffJson> {
    const {args, flags} = await this.parse(Diff)
    if (flags.format === 'markdown' && this.jsonEnabled()) throw new UserError('--format markdown and --json exclude each other', {exit: EXIT.USAGE, code: 'bad-flags', suggestions: ['drop one of them']})
    if (flags.against !== undefined && args.other !== undefined) {
      throw new UserError('give either a second profile or --against, not both', {exit: EXIT.USAGE, code: 'bad-arguments', suggestions: [`diff ${args.profile} --against ${flags.against}`, `diff ${args.profile} ${args.other}`]})
    }
    if (flags.against === undefined && args.other === undefined) {
      throw new UserError('diff needs a second profile or --against runtime-default', {exit: EXIT.USAGE, code: 'bad-arguments', suggestions: [`diff ${args.profile} --against runtime-default`, `diff ${args.profile} NEW.json`]})
    }
    const {arch, kernel, capOptions, customCaps} = resolutionFlagValues(flags)

    const report = flags.against === undefined ? await this.profiles(args.profile, args.other!, {arch, kernel, capOptions, customCaps, failOn: flags['fail-on'], unified: flags.unified}) : await this.againstRuntimeDefault(args.profile, flags.against, {arch, kernel, capOptions, customCaps, failOn: flags['fail-on'], unified: flags.unified})

    if (!this.jsonEnabled()) {
      if (flags.format === 'markdown') process.stdout.write(report.markdown())
      else this.log(report instanceof RuntimeDefaultDiffReport ? report.display(terminalColours(), {names: flags.names}) : report.display(terminalColours()))
    }
    if (report.failed) this.setExitCode(EXIT.CHECK_FAILED)
    return report.getJson()
  }

  private async againstRuntimeDefault(path: string, against: string, o: Options): Promise<RuntimeDefaultDiffReport> {
    const name = parseRuntimeDefaultSpec(against)
    const rd = await loadRuntimeDefault(name)
    const caps = capabilitySet(rd.defaultCaps, o.capOptions)
    const target: ResolutionTarget = {arch: o.arch, kernel: o.kernel, caps, capsSource: o.customCaps ? 'custom' : 'default', capsDescription: rd.capsDescription}
    const resolvedRd = normaliseProfile(resolveProfile(rd.profile, {arch: o.arch, caps, kernel: o.kernel}))
    const notes: string[] = []
    const {input, profile, coverage} = await readInput(path, target, notes)
    if (input.resolved) notes.push(`${path} is docker/moby format: resolved for the same target before comparing`)
    const diff = diffAgainstRuntimeDefault(profile, resolvedRd, {abis: abisOf(resolvedRd.architectures?.length ? resolvedRd.architectures : [o.arch]), nativeArch: o.arch})
    if (diff.abis === null) notes.push(`no syscall table for ${archDisplayName(o.arch)} here: every name either profile lists is compared, and attack-surface counts are over those names`)
    const unified = o.unified ? unifiedDiff(`RuntimeDefault (${name})`, path, formatProfileJson(resolvedRd), formatProfileJson(profile)) : null
    return new RuntimeDefaultDiffReport(
      diff,
      input,
      {...target, name, source: rd.source, description: rd.description, architectures: sortArches(resolvedRd.architectures ?? []), counts: diff.runtimeDefaultCounts},
      coverage,
      o.failOn,
      unified,
      notes,
    )
  }

  private async profiles(pathA: string, pathB: string, o: Options): Promise<ProfileDiffReport> {
    const caps = capabilitySet(CONTAINERS_COMMON_DEFAULT_CAPS, o.capOptions)
    const target: ResolutionTarget = {arch: o.arch, kernel: o.kernel, caps, capsSource: o.customCaps ? 'custom' : 'default', capsDescription: 'podman/CRI-O containers.conf defaults'}
    const notes: string[] = []
    const a = await readInput(pathA, target, notes)
    const b = await readInput(pathB, target, notes)
    const diff = diffProfiles(a.profile, b.profile, {nativeArch: o.arch})
    const unified = o.unified ? unifiedDiff(pathA, pathB, formatProfileJson(a.profile), formatProfileJson(b.profile)) : null
    const resolvedFor = a.input.resolved || b.input.resolved ? target : null
    return new ProfileDiffReport(diff, a.input, b.input, {a: a.coverage, b: b.coverage}, resolvedFor, o.failOn, unified, notes)
  }
}

interface Options {
  arch: SeccompArch
  kernel: string
  capOptions: {caps?: string[]; add?: string[]; drop?: string[]}
  customCaps: boolean
  failOn: FailOn
  unified: boolean
}

/** Loads a profile file, resolves it for the target when it is docker/moby format, normalises it, finds its coverage sidecar. */
async function readInput(path: string, target: ResolutionTarget, notes: string[]): Promise<{input: DiffInput; profile: SeccompProfile; coverage: Coverage | null}> {
  const {profile, format} = await loadProfile(path)
  const resolved = format === 'docker'
  const flat = resolved ? resolveProfile(profile, {arch: target.arch, caps: target.caps, kernel: target.kernel}) : profile
  const {coverage, warning} = await loadCoverage(path)
  if (warning) notes.push(warning)
  return {
    input: {path, format, resolved, coverage: coverage && {path: coverage.path, recordings: coverage.recordings}},
    profile: normaliseProfile(flat),
    coverage,
  }
}
