import type {ChalkInstance} from 'chalk'
import type {LoadedCoverage as Coverage} from '../../store/coverage.js'
import {failsOn, type FailOn} from '../../diff/header.js'
import type {NeededSyscall, RuntimeDefaultDiff} from '../../diff/runtime-default-diff.js'
import type {DiffInput, ResolvedRuntimeDefault, RuntimeDefaultDiffRun} from '../../diff/run.js'
import {colourUnifiedDiff} from '../../diff/unified.js'
import {describeVerdict} from '../../diff/verdict.js'
import {
  verdictJson,
  percent,
  plural,
  seenIn,
  seenText,
  findingsText,
  verdictLine,
  targetLine,
  cell,
  wrapNames,
  headerLines,
  headerMarkdownRows,
  type NeededSyscallJson,
  type RuntimeDefaultDiffJson,
} from './diff-report.js'

/** `diff PROFILE --against runtime-default[:…]`: will fail / may fail, attack surface removed, other differences. */
export class RuntimeDefaultDiffReport {
  readonly diff: RuntimeDefaultDiff
  readonly profile: DiffInput
  readonly runtimeDefault: ResolvedRuntimeDefault
  readonly coverage: Coverage | null
  readonly unified: string | null
  readonly notes: string[]

  constructor(
    run: RuntimeDefaultDiffRun,
    readonly failOn: FailOn,
  ) {
    ;({
      diff: this.diff,
      profile: this.profile,
      runtimeDefault: this.runtimeDefault,
      coverage: this.coverage,
      unified: this.unified,
      notes: this.notes,
    } = run)
  }

  get failed(): boolean {
    return failsOn(this.diff.findings, this.failOn)
  }

  private needed(n: NeededSyscall): NeededSyscallJson {
    return {
      name: n.name,
      runtimeDefault: verdictJson(n.runtimeDefault),
      profile: verdictJson(n.profile),
      seen: seenIn(this.coverage, n.name),
    }
  }

  getJson(): RuntimeDefaultDiffJson {
    return {
      mode: 'runtime-default',
      profile: this.profile,
      runtimeDefault: this.runtimeDefault,
      abis: this.diff.abis,
      failOn: this.failOn,
      failed: this.failed,
      findings: this.diff.findings,
      willFail: this.diff.willFail.map((n) => this.needed(n)),
      mayFail: this.diff.mayFail.map((n) => this.needed(n)),
      attackSurface: this.diff.attackSurface,
      differences: this.diff.header,
      ignored: this.diff.ignored,
      unified: this.unified,
      notes: this.notes,
    }
  }

  private get rdLabel(): string {
    return `RuntimeDefault (${this.runtimeDefault.name})`
  }

  display(c: ChalkInstance, options: {names?: boolean} = {}): string {
    const d = this.diff
    const rd = this.runtimeDefault
    const s = d.attackSurface
    const lines: string[] = [
      `${c.bold(this.profile.path)} vs ${c.bold(this.rdLabel)}`,
      c.dim(`  ${rd.description}`),
      c.dim(`  resolved for ${targetLine(rd, rd.architectures)}`),
    ]
    for (const abi of d.abis ?? []) {
      const n = d.runtimeDefaultCounts[abi]
      if (n)
        lines.push(
          c.dim(
            `  on ${abi}: RuntimeDefault allows ${n.allowed} syscalls unconditionally, ${n.conditional} under conditions`,
          ),
        )
    }
    if (this.coverage)
      lines.push(c.dim(`  coverage: ${plural(this.coverage.recordings, 'recording')} (${this.coverage.path})`))
    for (const note of this.notes) lines.push(c.yellow(`  note: ${note}`))

    lines.push(
      '',
      c.bold(
        `Will fail under RuntimeDefault (denied): ${d.willFail.length === 0 ? c.green('none') : c.red(String(d.willFail.length))}`,
      ),
    )
    for (const n of d.willFail)
      lines.push(
        `  ${c.red('✗')} ${n.name.padEnd(22)} RuntimeDefault: ${describeVerdict(n.runtimeDefault)}  ${c.dim(seenText(seenIn(this.coverage, n.name), this.coverage))}`.trimEnd(),
      )
    lines.push(
      c.bold(
        `May fail under RuntimeDefault (allowed only under conditions): ${d.mayFail.length === 0 ? c.green('none') : c.yellow(String(d.mayFail.length))}`,
      ),
    )
    for (const n of d.mayFail) {
      lines.push(`  ${c.yellow('?')} ${n.name.padEnd(22)} RuntimeDefault: ${describeVerdict(n.runtimeDefault)}`)
      lines.push(
        `    ${''.padEnd(22)}profile: ${describeVerdict(n.profile)}  ${c.dim(seenText(seenIn(this.coverage, n.name), this.coverage))}`.trimEnd(),
      )
    }

    lines.push(
      '',
      c.bold(
        `Attack surface removed: ${c.green(`${s.removed} of ${s.runtimeDefaultAllows}`)} syscalls RuntimeDefault allows are never used by the profile (${percent(s.removedPercent)})`,
      ),
    )
    for (const [abi, n] of Object.entries(s.byAbi))
      lines.push(`  ${abi.padEnd(8)} ${n.removed} of ${n.runtimeDefaultAllows} (${percent(n.removedPercent)})`)
    if (options.names) {
      lines.push(
        c.dim('  removed:'),
        ...wrapNames(s.removedNames),
        c.dim('  still allowed (used by the profile):'),
        ...wrapNames(s.keptNames),
      )
    } else if (s.removed > 0) lines.push(c.dim('  (--names lists them)'))
    if (d.ignored.length > 0)
      lines.push(c.yellow(`  ignored: ${d.ignored.join(', ')} (not syscalls on ${(d.abis ?? []).join(', ')})`))

    lines.push(
      '',
      c.bold('Other differences (RuntimeDefault → profile)'),
      ...headerLines(d.header, 'RuntimeDefault', 'profile', c),
    )
    if (this.unified !== null)
      lines.push(
        '',
        this.unified === '' ? c.dim('(normalised JSON identical)') : colourUnifiedDiff(this.unified.trimEnd(), c),
      )
    lines.push(
      '',
      `${findingsText(d.findings)}; ${this.failed ? c.red(verdictLine(true, this.failOn)) : c.green(verdictLine(false, this.failOn))}`,
    )
    return lines.join('\n')
  }

  markdown(): string {
    const d = this.diff
    const rd = this.runtimeDefault
    const s = d.attackSurface
    const out: string[] = [
      '### Seccomp profile vs RuntimeDefault',
      '',
      `\`${this.profile.path}\` compared with **${this.rdLabel}**: ${rd.description}; resolved for ${targetLine(rd, rd.architectures)}.`,
      '',
      '| Check | Result |',
      '|---|---|',
      `| Will fail under RuntimeDefault (denied) | ${d.willFail.length === 0 ? 'none' : d.willFail.map((n) => `\`${n.name}\``).join(', ')} |`,
      `| May fail under RuntimeDefault (allowed only under conditions) | ${d.mayFail.length === 0 ? 'none' : d.mayFail.map((n) => `\`${n.name}\``).join(', ')} |`,
      `| Attack surface removed | ${s.removed} of ${s.runtimeDefaultAllows} syscalls RuntimeDefault allows (${percent(s.removedPercent)}) |`,
      ...headerMarkdownRows(d.header, 'RuntimeDefault', 'profile'),
      `| Result | ${findingsText(d.findings)}: **${verdictLine(this.failed, this.failOn)}** |`,
    ]
    const needed = [
      ...d.willFail.map((n) => ['will fail', n] as const),
      ...d.mayFail.map((n) => ['may fail', n] as const),
    ]
    if (needed.length > 0) {
      out.push(
        '',
        '#### Syscalls the workload needs',
        '',
        `| Syscall | Under RuntimeDefault | RuntimeDefault rules | Profile${this.coverage ? ' | Seen in' : ''} |`,
        `|---|---|---|---${this.coverage ? '|---' : ''}|`,
      )
      for (const [what, n] of needed) {
        const seen = this.coverage ? ` | ${seenIn(this.coverage, n.name)}/${this.coverage.recordings}` : ''
        out.push(
          `| \`${n.name}\` | ${what} | ${cell(describeVerdict(n.runtimeDefault))} | ${cell(describeVerdict(n.profile))}${seen} |`,
        )
      }
    }
    if (Object.keys(s.byAbi).length > 0) {
      out.push(
        '',
        '#### Attack surface by ABI',
        '',
        '| ABI | RuntimeDefault allows | Never used by the profile | Share removed |',
        '|---|---:|---:|---:|',
      )
      for (const [abi, n] of Object.entries(s.byAbi))
        out.push(`| ${abi} | ${n.runtimeDefaultAllows} | ${n.removed} | ${percent(n.removedPercent)} |`)
    }
    if (s.removed > 0) {
      out.push(
        '',
        `<details><summary>${plural(s.removed, 'syscall')} RuntimeDefault allows that the profile never uses</summary>`,
        '',
        s.removedNames.map((n) => `\`${n}\``).join(', '),
        '',
        '</details>',
      )
    }
    if (d.ignored.length > 0)
      out.push(
        '',
        `Ignored (not syscalls on ${(d.abis ?? []).join(', ')}): ${d.ignored.map((n) => `\`${n}\``).join(', ')}`,
      )
    for (const note of this.notes) out.push('', `> ${note}`)
    if (this.unified) out.push('', '```diff', this.unified.trimEnd(), '```')
    return `${out.join('\n')}\n`
  }
}
