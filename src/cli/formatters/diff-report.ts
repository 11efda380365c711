import type {ChalkInstance} from 'chalk'
import type {LoadedCoverage as Coverage} from '../../store/coverage.js'
import {type FailOn, type Findings, type HeaderDiff} from '../../diff/header.js'
import type {SyscallChange} from '../../diff/profile-diff.js'
import type {AttackSurface} from '../../diff/runtime-default-diff.js'
import type {DiffInput, ResolutionTarget, ResolvedRuntimeDefault} from '../../diff/run.js'
import {describeAction, describeVerdict} from '../../diff/verdict.js'
import {type SyscallVerdict} from '../../profile/semantics.js'
import {archDisplayName} from '../../runtime-default/arch.js'

/** What both diff reports share: the `--json` types, and how findings, targets, headers and names are written. */
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
  /** Both allow it only for listed argument values, but different ones (by name). */
  values?: {added: string[]; removed: string[]}
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

export const verdictJson = (v: SyscallVerdict): VerdictJson => ({...v, text: describeVerdict(v)})
export const arches = (list: string[]) => list.map(archDisplayName).join(', ')
export const percent = (p: number) => `${p.toFixed(1)}%`
export const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? '' : 's'}`

export function seenIn(coverage: Coverage | null, name: string): number | null {
  return coverage === null ? null : (coverage.syscalls[name] ?? 0)
}

export function seenText(seen: number | null, coverage: {recordings: number} | null): string {
  return seen === null || coverage === null ? '' : `seen in ${seen}/${plural(coverage.recordings, 'recording')}`
}

export function findingsText(f: Findings): string {
  return `${f.added} added, ${f.removed} removed, ${f.changed} changed`
}

export function verdictLine(failed: boolean, failOn: FailOn): string {
  if (failOn === 'none') return 'report only (--fail-on none)'
  return failed ? `fails --fail-on ${failOn}` : `passes --fail-on ${failOn}`
}

export function targetLine(t: ResolutionTarget, architectures?: string[]): string {
  const archText =
    architectures && architectures.length > 0
      ? `${archDisplayName(t.arch)} (${arches(architectures)})`
      : archDisplayName(t.arch)
  return `${archText}, kernel ${t.kernel}, ${t.caps.length} ${t.caps.length === 1 ? 'capability' : 'capabilities'} (${t.capsSource === 'default' ? t.capsDescription : 'custom'})`
}

export function defaultText(action: string, errno: number | null): string {
  return describeAction(action as Parameters<typeof describeAction>[0], errno)
}

/** Markdown table cell: pipes escaped, newlines folded. */
export function cell(text: string): string {
  return text.replaceAll('|', '\\|').replace(/\s*\n\s*/g, ' ')
}

export function wrapNames(names: string[], indent = '    ', width = 100): string[] {
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

export function headerLines(h: HeaderDiff, fromLabel: string, toLabel: string, c: ChalkInstance): string[] {
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

export function headerMarkdownRows(h: HeaderDiff, fromLabel: string, toLabel: string): string[] {
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
