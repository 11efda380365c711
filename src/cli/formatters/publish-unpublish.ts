import type {ChalkInstance} from 'chalk'
import type {UnpublishAction, UnpublishResult} from '../../publish/published.js'

export type UnpublishJson = UnpublishResult

const DONE: Record<UnpublishAction, string> = {
  removed: 'removed',
  forgotten: 'forgotten',
  'already-gone': 'already gone',
}
const WOULD: Record<UnpublishAction, string> = {
  removed: 'would remove',
  forgotten: 'would forget',
  'already-gone': 'already gone',
}

/** `unpublish`: what was removed (or forgotten). */
export class UnpublishReport {
  constructor(readonly json: UnpublishJson) {}

  getJson(): UnpublishJson {
    return this.json
  }

  display(c: ChalkInstance): string {
    const j = this.json
    const verbs = j.dryRun ? WOULD : DONE
    const lines: string[] = []
    for (const p of j.profiles) {
      const note =
        p.action === 'forgotten'
          ? c.dim(' (file left in place, no longer tracked)')
          : p.action === 'already-gone'
            ? c.dim(' (dropped from the manifest)')
            : ''
      lines.push(
        `${(p.action === 'removed' ? c.green : c.dim)(verbs[p.action])}  ${c.bold(p.localhostProfile)} ${c.dim(p.path)}${note}`,
      )
      for (const dir of p.removedDirs) lines.push(c.dim(`  removed the empty directory ${dir}`))
    }
    if (j.dryRun) lines.push(c.yellow('dry run: nothing removed'))
    return lines.join('\n')
  }
}
