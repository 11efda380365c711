import type {ChalkInstance} from 'chalk'
import type {PublishedList} from '../../publish/published.js'
import {size} from './publish-report.js'

export type PublishedListJson = PublishedList

/** `published list`: what seccomp-recorder published into a seccomp root, checked against the files. */
export class PublishedListView {
  constructor(readonly json: PublishedListJson) {}

  getJson(): PublishedListJson {
    return this.json
  }

  display(c: ChalkInstance): string {
    const j = this.json
    if (j.profiles.length === 0) return `nothing published by seccomp-recorder in ${j.root}`
    const width = Math.max(...j.profiles.map((p) => p.localhostProfile.length))
    const lines = [c.dim(`${j.root} (manifest ${j.manifest})`)]
    for (const p of j.profiles) {
      const status =
        p.status === 'ok' ? c.green('ok      ') : p.status === 'modified' ? c.yellow('modified') : c.red('missing ')
      lines.push(
        `${status}  ${p.localhostProfile.padEnd(width)}  ${size(p.bytes).padStart(9)}  ${p.publishedAt.replace('T', ' ').replace(/:\d\d\.\d+Z$/, 'Z')}  ${c.dim(`from ${p.source}`)}`,
      )
    }
    const bad = j.profiles.filter((p) => p.status !== 'ok')
    lines.push(
      `${j.profiles.length} profile${j.profiles.length === 1 ? '' : 's'} published${bad.length > 0 ? c.yellow(`; ${bad.length} changed or missing since (publish again with --force, or unpublish --forget)`) : ''}`,
    )
    return lines.join('\n')
  }
}
