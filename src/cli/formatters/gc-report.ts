import type {ChalkInstance} from 'chalk'
import type {GcAction, GcActionKind, GcResult} from '../../gc/report.js'

export type GcJson = GcResult

const DONE: Record<GcActionKind, string> = {
  finalise: 'finalised',
  salvage: 'salvaged',
  discard: 'discarded',
  release: 'released',
  clean: 'cleaned',
}
const WOULD: Record<GcActionKind, string> = {
  finalise: 'would finalise',
  salvage: 'would salvage',
  discard: 'would discard',
  release: 'would release',
  clean: 'would clean',
}

/** `gc` (and `status --repair`): what was finalised, salvaged, cleaned and kept. */
export class GcReport {
  constructor(readonly json: GcJson) {}

  getJson(): GcJson {
    return this.json
  }

  display(c: ChalkInstance): string {
    const j = this.json
    const verbs = j.dryRun ? WOULD : DONE
    const width = Math.max(9, ...j.actions.map((a) => verbs[a.action].length))
    const lines: string[] = []
    for (const a of j.actions) {
      if (a.error !== undefined) {
        lines.push(`${c.red('failed'.padEnd(width))}  ${c.bold(a.subject)}: ${a.error}`)
        continue
      }
      const colour = a.action === 'finalise' || a.action === 'salvage' ? c.green : c.dim
      lines.push(
        `${colour(verbs[a.action].padEnd(width))}  ${c.bold(a.subject)}${outputs(a)}  ${c.dim(`(${a.reason})`)}`,
      )
    }
    for (const k of j.kept)
      lines.push(`${c.yellow('kept'.padEnd(width))}  ${c.bold(k.subject)}  ${c.dim(`(${k.reason})`)}`)
    if (j.detached) lines.push(c.dim('the recorder was detached: nothing records any more'))
    if (j.actions.length === 0) lines.push(j.kept.length === 0 ? 'nothing to repair' : 'nothing to repair yet')
    if (j.dryRun) lines.push(c.yellow('dry run: nothing changed'))
    return lines.join('\n')
  }
}

function outputs(a: GcAction): string {
  const count = a.syscalls === undefined ? '' : `  ${a.syscalls} syscalls`
  if (a.outputs.length === 0) return count
  return `${count} → ${a.outputs.map((o) => (o.name ? `${o.name} (${o.path})` : o.path)).join(', ')}`
}
