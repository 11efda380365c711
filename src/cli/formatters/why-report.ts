import type {ChalkInstance} from 'chalk'
import {runsBySyscall, type WhyAnswer} from '../../aggregate/why.js'
import type {Coverage} from '../../store/coverage.js'
import type {ProvenanceRun} from '../../store/coverage.js'

export type WhyJson = WhyAnswer

/** Who a run was: its pod (namespace/pod, container) or its command. */
export function runWho(run: ProvenanceRun): string {
  if (run.pod !== null)
    return `pod ${run.namespace ? `${run.namespace}/` : ''}${run.pod}${run.container ? `, container ${run.container}` : ''}`
  if (run.command !== null) return `command ${run.command}`
  if (run.container !== null) return `container ${run.container}`
  return run.name
}

/** One line per run: when, who, runtime, label, recording id. */
export function runLine(run: ProvenanceRun): string {
  const label = run.label === null ? '' : ` label ${run.label}`
  return `${run.endedAt} ${runWho(run)} (${run.runtime}, ${run.source})${label} recording ${run.recording}`
}

/** Markdown table cells: pipes, backticks and line breaks would break the table (labels cannot hold them; commands can). */
const cell = (text: string) => text.replace(/[|`\\]/g, (c) => `\\${c}`).replace(/[\r\n]+/g, ' ')

/** Runs as a Markdown table. */
export function runsTable(runs: ProvenanceRun[]): string[] {
  return [
    '| ended | who | runtime | label | recording |',
    '|---|---|---|---|---|',
    ...runs.map(
      (r) =>
        `| ${cell(r.endedAt)} | ${cell(runWho(r))} | ${cell(r.runtime)} | ${r.label === null ? '' : `\`${r.label}\``} | \`${r.recording}\` |`,
    ),
  ]
}

/** `profiles why`: the answer in words, as Markdown, or as JSON. */
export class WhyReport {
  constructor(readonly answer: WhyAnswer) {}

  getJson(): WhyJson {
    return this.answer
  }

  private headline(): string {
    const a = this.answer
    const verdict = a.allowed ? 'allows' : 'does not allow'
    const seen = a.seenBy === null || a.recordings === null ? '' : `; ${a.seenBy} of ${a.recordings} recordings saw it`
    return `${a.profile} ${verdict} ${a.syscall}${seen}`
  }

  display(c: ChalkInstance): string {
    const a = this.answer
    const lines = [c.bold(this.headline())]
    if (a.note !== null) lines.push(c.dim(`  ${a.note}`))
    if (a.runs.length > 0) {
      lines.push(`  brought by${a.cut ? ` (the ${a.runs.length} newest)` : ''}:`)
      for (const run of a.runs) lines.push(`    ${runLine(run)}`)
    }
    for (const tuple of a.arguments) {
      lines.push(`  arguments ${tuple.values}:`)
      for (const run of tuple.runs) lines.push(`    ${runLine(run)}`)
    }
    return lines.join('\n')
  }

  markdown(): string {
    const a = this.answer
    const lines = [`**${this.headline().replace(a.syscall, `\`${a.syscall}\``)}**`, '']
    if (a.note !== null) lines.push(`_${a.note}_`, '')
    if (a.runs.length > 0) lines.push(...runsTable(a.runs), '')
    if (a.cut) lines.push(`_Only the ${a.runs.length} newest runs are kept per syscall._`, '')
    for (const tuple of a.arguments) lines.push(`Arguments \`${tuple.values}\`:`, '', ...runsTable(tuple.runs), '')
    return `${lines.join('\n').trimEnd()}\n`
  }
}

/** `diff A B --why`: per syscall B allows more, the runs in B's sidecar that brought it. */
export class AddedWhy {
  readonly runs: Record<string, ProvenanceRun[]>
  readonly note: string | null

  constructor(names: string[], coverage: Coverage | null) {
    this.runs = runsBySyscall(coverage, names)
    this.note =
      coverage === null
        ? 'B has no coverage sidecar: no runs to name'
        : coverage.provenance === undefined
          ? "B's sidecar has no provenance (built before it was kept): build it again"
          : null
  }

  display(): string {
    const lines = ['', 'Runs that brought what B allows more:']
    if (this.note !== null) lines.push(`  ${this.note}`)
    for (const [name, runs] of Object.entries(this.runs)) {
      lines.push(`  ${name}${runs.length === 0 ? ': no recorded run (a base profile or an edit)' : ''}`)
      for (const run of runs) lines.push(`    ${runLine(run)}`)
    }
    return lines.join('\n')
  }

  markdown(): string {
    const lines = ['', '### Runs that brought what B allows more', '']
    if (this.note !== null) lines.push(`_${this.note}_`, '')
    for (const [name, runs] of Object.entries(this.runs)) {
      lines.push(`\`${name}\`${runs.length === 0 ? ': no recorded run (a base profile or an edit)' : ''}`, '')
      if (runs.length > 0) lines.push(...runsTable(runs), '')
    }
    return `${lines.join('\n').trimEnd()}\n`
  }
}
