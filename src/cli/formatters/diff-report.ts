import type {ChalkInstance} from 'chalk'
import type {LoadedCoverage as Coverage} from '../../store/coverage.js'
import {failsOn, type FailOn, type Findings, type HeaderDiff} from '../../diff/header.js'
import type {ProfileDiff, SyscallChange} from '../../diff/profile-diff.js'
import type {AttackSurface, NeededSyscall, RuntimeDefaultDiff} from '../../diff/runtime-default-diff.js'
import type {
  DiffInput,
  ProfilesDiffRun,
  ResolutionTarget,
  ResolvedRuntimeDefault,
  RuntimeDefaultDiffRun,
} from '../../diff/run.js'
import {colourUnifiedDiff} from '../../diff/unified.js'
import {describeAction, describeVerdict} from '../../diff/verdict.js'
import {isAllowing, type SyscallVerdict} from '../../profile/semantics.js'
import {archDisplayName} from '../../runtime-default/arch.js'

export type VerdictJson = SyscallVerdict & {text: string}

export interface NeededSyscallJson {
  name: string
  runtimeDefault: VerdictJson
  profile: VerdictJson
  /** Recordings that used it (from the coverage sidecar), or null without one. */
  seen: number | null
}

export interface RuntimeDefaultDiffJson {
  mode: 'runtime-default'
  profile: DiffInput
  runtimeDefault: ResolvedRuntimeDefault
  abis: string[] | null
  failOn: FailOn
  failed: boolean
  findings: Findings
  willFail: NeededSyscallJson[]
  mayFail: NeededSyscallJson[]
  attackSurface: AttackSurface
  differences: HeaderDiff
  ignored: string[]
  unified: string | null
  notes: string[]
}

export interface SyscallChangeJson {
  name: string
  kind: SyscallChange['kind']
  from: VerdictJson
  to: VerdictJson
  widens: boolean
  narrows: boolean
  seen: {a: number | null; b: number | null}
}

export interface ProfilesDiffJson {
  mode: 'profiles'
  a: DiffInput
  b: DiffInput
  /** Set when a docker/moby-format input was resolved. */
  resolvedFor: ResolutionTarget | null
  failOn: FailOn
  failed: boolean
  findings: Findings
  differences: HeaderDiff
  syscalls: {added: SyscallChangeJson[]; removed: SyscallChangeJson[]; changed: SyscallChangeJson[]}
  unified: string | null
  notes: string[]
}

export type DiffJson = RuntimeDefaultDiffJson | ProfilesDiffJson

const verdictJson = (v: SyscallVerdict): VerdictJson => ({...v, text: describeVerdict(v)})
const arches = (list: string[]) => list.map(archDisplayName).join(', ')
const percent = (p: number) => `${p.toFixed(1)}%`
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

function seenIn(coverage: Coverage | null, name: string): number | null {
  return coverage === null ? null : (coverage.syscalls[name] ?? 0)
}

function seenText(seen: number | null, coverage: {recordings: number} | null): string {
  return seen === null || coverage === null ? '' : `seen in ${seen}/${plural(coverage.recordings, 'recording')}`
}

function findingsText(f: Findings): string {
  return `${f.added} added, ${f.removed} removed, ${f.changed} changed`
}

function verdictLine(failed: boolean, failOn: FailOn): string {
  if (failOn === 'none') return 'report only (--fail-on none)'
  return failed ? `fails --fail-on ${failOn}` : `passes --fail-on ${failOn}`
}

function targetLine(t: ResolutionTarget, architectures?: string[]): string {
  const archText =
    architectures && architectures.length > 0
      ? `${archDisplayName(t.arch)} (${arches(architectures)})`
      : archDisplayName(t.arch)
  return `${archText}, kernel ${t.kernel}, ${t.caps.length} ${t.caps.length === 1 ? 'capability' : 'capabilities'} (${t.capsSource === 'default' ? t.capsDescription : 'custom'})`
}

function defaultText(action: string, errno: number | null): string {
  return describeAction(action as Parameters<typeof describeAction>[0], errno)
}

/** Markdown table cell: pipes escaped, newlines folded. */
function cell(text: string): string {
  return text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ')
}

function wrapNames(names: string[], indent = '    ', width = 100): string[] {
  const lines: string[] = []
  let line = indent
  for (const name of names) {
    if (line.length + name.length + 1 > width && line.trim() !== '') {
      lines.push(line.trimEnd())
      line = indent
    }
    line += `${name} `
  }
  if (line.trim() !== '') lines.push(line.trimEnd())
  return lines
}

function headerLines(h: HeaderDiff, fromLabel: string, toLabel: string, c: ChalkInstance): string[] {
  const lines: string[] = []
  if (h.defaultAction) {
    const tag =
      h.defaultAllowance === 'widens'
        ? c.red(' (now allows every unlisted syscall)')
        : h.defaultAllowance === 'narrows'
          ? c.green(' (no longer allows unlisted syscalls)')
          : ''
    lines.push(
      `  default action  ${fromLabel} ${defaultText(h.defaultAction.from, h.defaultAction.fromErrnoRet)} → ${toLabel} ${defaultText(h.defaultAction.to, h.defaultAction.toErrnoRet)}${tag}`,
    )
  } else lines.push(`  default action  ${c.dim('same')}`)
  const a = h.architectures
  if (a.added.length + a.removed.length === 0) lines.push(`  architectures   ${c.dim(`same (${arches(a.from)})`)}`)
  else {
    const parts = [
      a.added.length ? c.red(`+ ${arches(a.added)}`) : '',
      a.removed.length ? c.green(`- ${arches(a.removed)}`) : '',
    ].filter(Boolean)
    lines.push(`  architectures   ${fromLabel} ${arches(a.from)} → ${toLabel} ${arches(a.to)}  ${parts.join('  ')}`)
  }
  if (h.flags.added.length + h.flags.removed.length > 0) {
    lines.push(
      `  flags           ${[...h.flags.added.map((f) => `+ ${f}`), ...h.flags.removed.map((f) => `- ${f}`)].join('  ')}`,
    )
  }
  return lines
}

function headerMarkdownRows(h: HeaderDiff, fromLabel: string, toLabel: string): string[] {
  const rows: string[] = []
  const d = h.defaultAction
  rows.push(
    d
      ? `| Default action | ${fromLabel}: ${cell(defaultText(d.from, d.fromErrnoRet))} → ${toLabel}: ${cell(defaultText(d.to, d.toErrnoRet))} |`
      : '| Default action | same |',
  )
  const a = h.architectures
  rows.push(
    a.added.length + a.removed.length === 0
      ? `| Architectures | same (${arches(a.from)}) |`
      : `| Architectures | ${fromLabel}: ${arches(a.from)} → ${toLabel}: ${arches(a.to)} |`,
  )
  if (h.flags.added.length + h.flags.removed.length > 0)
    rows.push(
      `| Flags | ${[...h.flags.added.map((f) => `+${f}`), ...h.flags.removed.map((f) => `-${f}`)].join(', ')} |`,
    )
  return rows
}

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

/** `diff A B`: added, removed and changed syscalls, header changes, optionally the unified diff. */
export class ProfileDiffReport {
  readonly diff: ProfileDiff
  readonly a: DiffInput
  readonly b: DiffInput
  readonly coverage: {a: Coverage | null; b: Coverage | null}
  readonly resolvedFor: ResolutionTarget | null
  readonly unified: string | null
  readonly notes: string[]

  constructor(
    run: ProfilesDiffRun,
    readonly failOn: FailOn,
  ) {
    ;({
      diff: this.diff,
      a: this.a,
      b: this.b,
      coverage: this.coverage,
      resolvedFor: this.resolvedFor,
      unified: this.unified,
      notes: this.notes,
    } = run)
  }

  get failed(): boolean {
    return failsOn(this.diff.findings, this.failOn)
  }

  private change(ch: SyscallChange): SyscallChangeJson {
    return {
      name: ch.name,
      kind: ch.kind,
      from: verdictJson(ch.from),
      to: verdictJson(ch.to),
      widens: ch.widens,
      narrows: ch.narrows,
      seen: {a: seenIn(this.coverage.a, ch.name), b: seenIn(this.coverage.b, ch.name)},
    }
  }

  getJson(): ProfilesDiffJson {
    const s = this.diff.syscalls
    return {
      mode: 'profiles',
      a: this.a,
      b: this.b,
      resolvedFor: this.resolvedFor,
      failOn: this.failOn,
      failed: this.failed,
      findings: this.diff.findings,
      differences: this.diff.header,
      syscalls: {
        added: s.added.map((c) => this.change(c)),
        removed: s.removed.map((c) => this.change(c)),
        changed: s.changed.map((c) => this.change(c)),
      },
      unified: this.unified,
      notes: this.notes,
    }
  }

  /** The action a verdict groups under: its base action, or the allowing rules' action when conditional. */
  private static group(v: SyscallVerdict): string {
    if (v.allowance !== 'conditional') return describeAction(v.base.action, v.base.errnoRet)
    const allowing = v.conditional.find((r) => isAllowing(r.action))
    return `${allowing ? allowing.action : v.base.action} (under conditions)`
  }

  private seen(ch: SyscallChange): string {
    const side = ch.kind === 'removed' ? 'a' : 'b'
    return seenText(seenIn(this.coverage[side], ch.name), this.coverage[side])
  }

  display(c: ChalkInstance): string {
    const d = this.diff
    const lines: string[] = [`${c.bold(this.a.path)} → ${c.bold(this.b.path)}`]
    if (this.resolvedFor) {
      const which = [this.a, this.b].filter((p) => p.resolved).map((p) => p.path)
      lines.push(
        c.dim(
          `  ${which.join(' and ')} ${which.length === 1 ? 'is' : 'are'} docker/moby format: resolved for ${targetLine(this.resolvedFor)} before comparing`,
        ),
      )
    }
    for (const [side, cov] of [
      ['A', this.coverage.a],
      ['B', this.coverage.b],
    ] as const)
      if (cov) lines.push(c.dim(`  coverage of ${side}: ${plural(cov.recordings, 'recording')} (${cov.path})`))
    for (const note of this.notes) lines.push(c.yellow(`  note: ${note}`))

    const section = (
      title: string,
      changes: SyscallChange[],
      colour: (s: string) => string,
      mark: string,
      groupBy: 'from' | 'to',
    ) => {
      lines.push('', c.bold(`${title}: ${changes.length === 0 ? c.dim('none') : colour(String(changes.length))}`))
      const groups = new Map<string, SyscallChange[]>()
      for (const ch of changes) {
        const key = ProfileDiffReport.group(ch[groupBy])
        groups.set(key, [...(groups.get(key) ?? []), ch])
      }
      for (const [group, list] of [...groups].sort(([x], [y]) => x.localeCompare(y))) {
        lines.push(`  ${c.bold(group)}`)
        for (const ch of list) {
          const detail = ch[groupBy].allowance === 'conditional' ? `  ${describeVerdict(ch[groupBy])}` : ''
          lines.push(`    ${colour(mark)} ${ch.name}${detail}  ${c.dim(this.seen(ch))}`.trimEnd())
        }
      }
    }
    section('Added (B allows, A did not)', d.syscalls.added, c.red, '+', 'to')
    section('Removed (A allowed, B does not)', d.syscalls.removed, c.green, '-', 'from')
    lines.push(
      '',
      c.bold(
        `Changed: ${d.syscalls.changed.length === 0 ? c.dim('none') : c.yellow(String(d.syscalls.changed.length))}`,
      ),
    )
    for (const ch of d.syscalls.changed) {
      const how =
        ch.widens && ch.narrows
          ? c.yellow('wider and narrower')
          : ch.widens
            ? c.red('wider')
            : ch.narrows
              ? c.green('narrower')
              : c.dim(ch.from.allowance === 'denied' ? 'denied either way' : 'allows the same calls')
      lines.push(
        `  ${c.yellow('~')} ${ch.name} (${how})`,
        `      A: ${describeVerdict(ch.from)}`,
        `      B: ${describeVerdict(ch.to)}`,
      )
    }
    lines.push('', c.bold('Other differences (A → B)'), ...headerLines(d.header, 'A', 'B', c))
    if (this.unified !== null)
      lines.push(
        '',
        this.unified === '' ? c.dim('(normalised JSON identical)') : colourUnifiedDiff(this.unified.trimEnd(), c),
      )
    const total = d.findings.added + d.findings.removed + d.findings.changed
    lines.push(
      '',
      `${total === 0 ? c.green('no differences') : findingsText(d.findings)}; ${this.failed ? c.red(verdictLine(true, this.failOn)) : c.green(verdictLine(false, this.failOn))}`,
    )
    return lines.join('\n')
  }

  markdown(): string {
    const d = this.diff
    const out: string[] = ['### Seccomp profile diff', '', `\`${this.a.path}\` → \`${this.b.path}\``]
    if (this.resolvedFor) {
      const which = [this.a, this.b].filter((p) => p.resolved).map((p) => `\`${p.path}\``)
      out.push(
        '',
        `${which.join(' and ')} ${which.length === 1 ? 'is' : 'are'} docker/moby format: resolved for ${targetLine(this.resolvedFor)} before comparing.`,
      )
    }
    const hasCoverage = this.coverage.a !== null || this.coverage.b !== null
    const rows: string[] = []
    const row = (what: string, ch: SyscallChange) => {
      const side = ch.kind === 'removed' ? this.coverage.a : this.coverage.b
      const seen = hasCoverage ? ` | ${side ? `${seenIn(side, ch.name)}/${side.recordings}` : ''}` : ''
      rows.push(
        `| ${what} | \`${ch.name}\` | ${cell(describeVerdict(ch.from))} | ${cell(describeVerdict(ch.to))}${seen} |`,
      )
    }
    for (const ch of d.syscalls.added) row('added', ch)
    for (const ch of d.syscalls.removed) row('removed', ch)
    for (const ch of d.syscalls.changed)
      row(
        ch.widens && ch.narrows
          ? 'changed (wider and narrower)'
          : ch.widens
            ? 'changed (wider)'
            : ch.narrows
              ? 'changed (narrower)'
              : 'changed',
        ch,
      )
    if (rows.length > 0)
      out.push(
        '',
        `| Change | Syscall | Before (A) | After (B)${hasCoverage ? ' | Seen in' : ''} |`,
        `|---|---|---|---${hasCoverage ? '|---' : ''}|`,
        ...rows,
      )
    else out.push('', 'No syscall differences.')
    out.push('', '| Setting | A → B |', '|---|---|', ...headerMarkdownRows(d.header, 'A', 'B'))
    out.push('', `**Result:** ${findingsText(d.findings)}: ${verdictLine(this.failed, this.failOn)}.`)
    for (const note of this.notes) out.push('', `> ${note}`)
    if (this.unified) out.push('', '```diff', this.unified.trimEnd(), '```')
    return `${out.join('\n')}\n`
  }
}
