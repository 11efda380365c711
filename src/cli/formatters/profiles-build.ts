import type {ChalkInstance} from 'chalk'
import type {Coverage} from '../../store/coverage.js'
import type {BuildMode, BuildResult} from '../../aggregate/build.js'
import type {SeccompProfile} from '../../profile/model.js'
import {allowedNames} from '../../profile/semantics.js'
import type {InvalidRecordingFile} from '../../store/store.js'
import {CoverageView} from './profiles-coverage.js'
import {buildArgumentsJson, buildArgumentsLines, type BuildArgumentsJson} from './profiles-build-arguments.js'

export interface BuiltProfileJson {
  name: string
  recordings: number
  /** Names the profile allows unconditionally. */
  syscalls: number
  /** Recordings whose kernel side lost syscalls. */
  incomplete: number
  unknown: Array<{abi: string; nr: number; recordings: number}>
  /** Allowed only because of --base. */
  fromBase: string[]
  firstStartedAt: string | null
  lastEndedAt: string | null
  runtimes: string[]
  arches: string[]
  coverage: Coverage
  profile: SeccompProfile
  /** `complain`: only in complain mode. */
  written: {profile: string | null; coverage: string | null; spo: string | null; complain?: string}
  /** Pending check runs (complain mode) left out of the profile: `drift` reports them. */
  checkRuns: number
  /** Argument rules (issue 15): restricted syscalls, by-name fallbacks. */
  arguments: BuildArgumentsJson
}

export interface BuildJson {
  store: string
  format: 'oci' | 'spo'
  mode: BuildMode
  dryRun: boolean
  base: string | null
  profiles: BuiltProfileJson[]
  invalid: InvalidRecordingFile[]
}

/** `profiles build`: what was built from how many recordings, where it went, and the rarely seen syscalls. */
export class BuildReport {
  constructor(readonly json: BuildJson) {}

  static from(
    result: BuildResult,
    options: {format: 'oci' | 'spo'; mode?: BuildMode; dryRun: boolean; base: string | null},
  ): BuildReport {
    return new BuildReport({
      store: result.store,
      format: options.format,
      mode: options.mode ?? 'enforce',
      dryRun: options.dryRun,
      base: options.base,
      profiles: result.built.map((b) => ({
        name: b.name,
        recordings: b.coverage.recordings,
        syscalls: allowedCount(b.profile),
        incomplete: b.incomplete,
        unknown: b.unknown,
        fromBase: b.fromBase,
        firstStartedAt: b.firstStartedAt,
        lastEndedAt: b.lastEndedAt,
        runtimes: b.runtimes,
        arches: b.arches,
        coverage: b.coverage,
        profile: b.profile,
        written: b.written,
        checkRuns: b.checkRuns,
        arguments: buildArgumentsJson(b),
      })),
      invalid: result.invalid,
    })
  }

  getJson(): BuildJson {
    return this.json
  }

  display(c: ChalkInstance): string {
    const j = this.json
    const recordings = j.profiles.reduce((n, p) => n + p.recordings, 0)
    const verb = j.dryRun ? 'would build' : 'built'
    const lines = [
      `${c.bold(verb)} ${j.profiles.length} profile${j.profiles.length === 1 ? '' : 's'} from ${recordings} recording${recordings === 1 ? '' : 's'} in ${j.store}`,
    ]
    for (const p of j.profiles) {
      const target = p.written.profile ?? (j.dryRun ? c.dim('(dry run: nothing written)') : 'stdout')
      lines.push(
        `  ${c.cyan(p.name)}  ${p.recordings} recording${p.recordings === 1 ? '' : 's'}, ${p.syscalls} syscalls → ${target}`,
      )
      if (p.written.spo) lines.push(`    SPO SeccompProfile → ${p.written.spo}`)
      if (p.written.complain && p.written.complain !== p.written.profile)
        lines.push(`    complain mode (SCMP_ACT_LOG) → ${p.written.complain}`)
      if (p.checkRuns > 0)
        lines.push(
          `    ${p.checkRuns} check run${p.checkRuns === 1 ? '' : 's'} left out (complain mode): \`seccomp-recorder drift ${p.name}\``,
        )
      const {always, sometimes} = new CoverageView(p.coverage).split()
      if (sometimes.length > 0) {
        lines.push(`    ${always} seen in every recording; ${sometimes.length} in only some (rarest first):`)
        lines.push(new CoverageView(p.coverage).display(c, {limit: 8, indent: '      ', partialOnly: true}))
      } else if (p.recordings > 1) {
        lines.push(c.dim(`    every syscall was seen in all ${p.recordings} recordings`))
      }
      lines.push(...buildArgumentsLines(c, p.arguments))
      if (p.fromBase.length > 0)
        lines.push(`    ${p.fromBase.length} more allowed by the base profile ${j.base ?? ''}`.trimEnd())
      if (p.incomplete > 0)
        lines.push(
          c.yellow(
            `    ${p.incomplete} recording${p.incomplete === 1 ? '' : 's'} ${p.incomplete === 1 ? 'is' : 'are'} incomplete (syscalls lost in the kernel, the recorder interrupted or a kernel quota reached): the profile may lack some`,
          ),
        )
      for (const u of p.unknown)
        lines.push(
          c.yellow(
            `    unknown syscall number ${u.nr} on ${u.abi} (${u.recordings} recording${u.recordings === 1 ? '' : 's'}): not in the flat profile`,
          ),
        )
    }
    lines.push(...invalidLines(c, j.invalid))
    return lines.join('\n')
  }
}

export function invalidLines(c: ChalkInstance, invalid: InvalidRecordingFile[]): string[] {
  if (invalid.length === 0) return []
  const lines = [
    c.yellow(
      `warning: ${invalid.length} file${invalid.length === 1 ? ' is' : 's are'} not valid recordings and ${invalid.length === 1 ? 'was' : 'were'} skipped:`,
    ),
  ]
  for (const f of invalid.slice(0, 10)) lines.push(`  ${f.path}: ${f.reason}`)
  if (invalid.length > 10) lines.push(`  … and ${invalid.length - 10} more`)
  return lines
}

function allowedCount(profile: SeccompProfile): number {
  return allowedNames(profile).length
}
