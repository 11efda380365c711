import type {ChalkInstance} from 'chalk'
import type {LoadedCoverage as Coverage} from '../../store/coverage.js'
import {failsOn, type FailOn} from '../../diff/header.js'
import type {ProfileDiff, SyscallChange} from '../../diff/profile-diff.js'
import type {DiffInput, ProfilesDiffRun, ResolutionTarget} from '../../diff/run.js'
import {colourUnifiedDiff} from '../../diff/unified.js'
import {describeAction, describeVerdict} from '../../diff/verdict.js'
import {isAllowing, type SyscallVerdict} from '../../profile/semantics.js'
import {
  verdictJson,
  plural,
  seenIn,
  seenText,
  findingsText,
  verdictLine,
  targetLine,
  cell,
  headerLines,
  headerMarkdownRows,
  type SyscallChangeJson,
  type ProfilesDiffJson,
} from './diff-report.js'

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
      ...(ch.values ? {values: ch.values} : {}),
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
      if (ch.values) lines.push(`      ${valuesText(ch.values)}`)
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
    const row = (what: string, ch: SyscallChange, values = '') => {
      const side = ch.kind === 'removed' ? this.coverage.a : this.coverage.b
      const seen = hasCoverage ? ` | ${side ? `${seenIn(side, ch.name)}/${side.recordings}` : ''}` : ''
      rows.push(
        `| ${what}${cell(values)} | \`${ch.name}\` | ${cell(describeVerdict(ch.from))} | ${cell(describeVerdict(ch.to))}${seen} |`,
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
        ch.values ? `; ${valuesText(ch.values)}` : '',
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

/** `allowed in both, with other argument values: added AF_PACKET (SOCK_RAW); removed AF_INET6 (SOCK_STREAM)` */
function valuesText(values: {added: string[]; removed: string[]}): string {
  const parts = [
    values.added.length > 0 ? `added ${values.added.join(', ')}` : '',
    values.removed.length > 0 ? `removed ${values.removed.join(', ')}` : '',
  ].filter((p) => p !== '')
  return `allowed in both, with other argument values: ${parts.join('; ')}`
}
