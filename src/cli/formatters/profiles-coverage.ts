import type {ChalkInstance} from 'chalk'
import type {Coverage} from '../../store/coverage.js'

/**
 * Per-syscall coverage as a reviewer reads it: the rarest syscalls first (a syscall that one run in fifty
 * made is the one worth a look), each with `seen/total` and a bar.
 */
export class CoverageView {
  constructor(readonly coverage: Coverage) {}

  /** Names sorted by how many recordings saw them (fewest first), then by name. */
  rarestFirst(): Array<{name: string; seen: number}> {
    return Object.entries(this.coverage.syscalls)
      .map(([name, seen]) => ({name, seen}))
      .sort((a, b) => a.seen - b.seen || (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
  }

  /** Syscalls seen in every recording / in only some. */
  split(): {always: number; sometimes: Array<{name: string; seen: number}>} {
    const all = this.rarestFirst()
    const sometimes = all.filter((e) => e.seen < this.coverage.recordings)
    return {always: all.length - sometimes.length, sometimes}
  }

  /** One line per syscall (or only those some recordings lacked), `limit` lines at most, rarest first. */
  display(c: ChalkInstance, options: {limit?: number; indent?: string; partialOnly?: boolean} = {}): string {
    const indent = options.indent ?? '  '
    const total = this.coverage.recordings
    const rows = this.rarestFirst().filter((e) => !options.partialOnly || e.seen < total)
    const shown = options.limit === undefined ? rows : rows.slice(0, options.limit)
    const width = String(total).length
    const lines = shown.map(({name, seen}) => {
      const text = `${String(seen).padStart(width)}/${total}`
      const bar = barOf(seen / Math.max(total, 1))
      const colour = seen === total ? c.green : seen * 2 <= total ? c.yellow : (s: string) => s
      return `${indent}${colour(text)} ${c.dim(bar)} ${name}`
    })
    if (shown.length < rows.length) lines.push(`${indent}${c.dim(`… ${rows.length - shown.length} more`)}`)
    return lines.join('\n')
  }
}

function barOf(fraction: number, width = 10): string {
  const filled = Math.round(fraction * width)
  return `${'#'.repeat(filled)}${'.'.repeat(width - filled)}`
}
