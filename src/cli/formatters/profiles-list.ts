import type {ChalkInstance} from 'chalk'
import type {ListResult, ProfileListing} from '../../aggregate/list.js'
import {invalidLines} from './profiles-build.js'

export type ListJson = ListResult

/** `profiles list`: one line per profile name with its recordings and the state of its built profile. */
export class ProfilesListView {
  constructor(readonly json: ListJson) {}

  getJson(): ListJson {
    return this.json
  }

  display(c: ChalkInstance): string {
    const j = this.json
    if (j.profiles.length === 0) return [`no recordings in ${j.store}`, ...invalidLines(c, j.invalid)].join('\n')
    const rows = j.profiles.map((p) => [
      p.name,
      String(p.recordings),
      shortTime(p.lastEndedAt),
      p.runtimes.join(','),
      builtText(p),
    ])
    const header = ['NAME', 'RECORDINGS', 'LAST RUN ENDED', 'RUNTIMES', 'PROFILE']
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)))
    const line = (cells: string[]) =>
      cells.map((cell, i) => (i === cells.length - 1 ? cell : cell.padEnd(widths[i]!))).join('  ')
    const lines = [c.bold(line(header))]
    j.profiles.forEach((p, i) => {
      const cells = rows[i]!
      const state = p.built === null ? c.dim(cells[4]!) : p.built.upToDate ? c.green(cells[4]!) : c.yellow(cells[4]!)
      lines.push(line([...cells.slice(0, 4), state]))
    })
    const total = j.profiles.reduce((n, p) => n + p.recordings, 0)
    lines.push(
      c.dim(
        `${j.profiles.length} name${j.profiles.length === 1 ? '' : 's'}, ${total} recording${total === 1 ? '' : 's'} in ${j.store}`,
      ),
    )
    lines.push(...invalidLines(c, j.invalid))
    return lines.join('\n')
  }
}

function builtText(p: ProfileListing): string {
  if (p.built === null) return 'not built'
  if (p.built.upToDate) return 'up to date'
  const behind = p.built.recordings === null ? '' : ` (built from ${p.built.recordings})`
  return `stale${behind}`
}

function shortTime(iso: string): string {
  return iso
    .replace('T', ' ')
    .replace(/\.[0-9]+/, '')
    .replace(/Z$/, ' UTC')
}
