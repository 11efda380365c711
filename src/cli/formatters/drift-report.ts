import type {ChalkInstance} from 'chalk'
import type {AcceptedName, DriftReport, DriftRun} from '../../drift/drift.js'
import {invalidLines} from './profiles-build.js'

/** `drift --json`: the findings per name, and what --accept folded in (empty without it). */
export interface DriftJson extends DriftReport {
  accepted: AcceptedName[]
}

/** `drift`: what check runs did that the enforcing profiles would deny, per name, with the runs. */
export class DriftView {
  constructor(readonly json: DriftJson) {}

  /** Exit 1 (CHECK_FAILED) for CI: something would be denied. */
  get failed(): boolean {
    return this.json.findings > 0
  }

  display(c: ChalkInstance): string {
    const j = this.json
    const lines: string[] = []
    for (const a of j.accepted)
      lines.push(
        `${c.bold('accepted')} ${a.runs} check run${a.runs === 1 ? '' : 's'} of ${c.cyan(a.name)} → ${a.profile}${a.complain ? ` (and ${a.complain})` : ''}`,
      )
    if (j.names.length === 0) lines.push(`no check runs in ${j.store}`)
    for (const n of j.names) {
      const head = `${c.cyan(n.name)}  ${n.checkRuns} check run${n.checkRuns === 1 ? '' : 's'} against ${n.profile}`
      if (n.findings.length === 0) {
        lines.push(`${head}: ${c.green('nothing the profile would deny')}`)
        continue
      }
      lines.push(`${head}: ${c.red(`${n.findings.length} would be denied`)}`)
      for (const f of n.findings) {
        lines.push(`  ${c.bold(f.description)}`)
        for (const r of f.runs) lines.push(c.dim(`    ${runLine(r)}`))
      }
    }
    if (j.findings > 0)
      lines.push(
        `${j.findings} finding${j.findings === 1 ? '' : 's'}: \`seccomp-recorder drift --accept\` folds them into the profile${j.names.length === 1 ? '' : 's'}`,
      )
    lines.push(...invalidLines(c, j.invalid))
    return lines.join('\n')
  }

  markdown(): string {
    const j = this.json
    const out = ['### Seccomp drift (complain-mode check runs)', '']
    for (const a of j.accepted) out.push(`Accepted ${a.runs} check run(s) of \`${a.name}\` into \`${a.profile}\`.`, '')
    if (j.names.length === 0) out.push(`No check runs in \`${j.store}\`.`)
    for (const n of j.names) {
      out.push(`#### \`${n.name}\``, '', `${n.checkRuns} check run(s) against \`${n.profile}\`.`, '')
      if (n.findings.length === 0) {
        out.push('Nothing the profile would deny.', '')
        continue
      }
      out.push('| would be denied | run | ended | pod / command | runtime |', '|---|---|---|---|---|')
      for (const f of n.findings)
        for (const r of f.runs)
          out.push(`| \`${cell(f.description)}\` | \`${r.id}\` | ${r.endedAt} | ${cell(who(r))} | ${cell(r.runtime)} |`)
      out.push('')
    }
    return `${out.join('\n').trimEnd()}\n`
  }
}

function who(r: DriftRun): string {
  if (r.container.pod !== null) return `${r.container.namespace ?? ''}/${r.container.pod}`.replace(/^\//, '')
  if (r.command !== null) return r.command.join(' ').slice(0, 120)
  return r.container.name || r.container.id || ''
}

function runLine(r: DriftRun): string {
  return `run ${r.id}, ended ${r.endedAt}, ${who(r) || 'unnamed'}, ${r.runtime}`
}

function cell(text: string): string {
  return text.replaceAll('|', '\\|').replaceAll('\n', ' ')
}
