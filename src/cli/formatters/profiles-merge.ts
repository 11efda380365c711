import type {ChalkInstance} from 'chalk'
import type {SupersetFinding} from '../../aggregate/merge.js'
import type {SeccompArch, SeccompProfile} from '../../profile/model.js'
import {isAllowing} from '../../profile/semantics.js'
import {archDisplayName} from '../../runtime-default/arch.js'

export interface MergeJson {
  /** The input files, in order (the first is the one --check compares against). */
  profiles: string[]
  format: 'oci' | 'spo'
  output: string | null
  check: boolean
  /** With --check: whether the first profile already allows everything the others do; null without --check. */
  superset: boolean | null
  /** With --check: what the others add; empty without --check. */
  findings: SupersetFinding[]
  /** The docker/moby-format inputs, resolved for this target before merging; null when every input was flat OCI. */
  resolved: null | {arch: SeccompArch; kernel: string; caps: string[]; profiles: string[]}
  merged: SeccompProfile
}

/** `profiles merge`: the merge summary, or with --check whether the first profile is a superset. */
export class MergeReport {
  constructor(readonly json: MergeJson) {}

  getJson(): MergeJson {
    return this.json
  }

  /** Which inputs were docker/moby format and what they were resolved for (stderr). */
  displayResolution(c: ChalkInstance): string {
    const r = this.json.resolved
    if (r === null) return ''
    const caps = r.caps.length === 0 ? 'no capabilities' : `${r.caps.length} bounding capabilities`
    return `${c.yellow('note')} ${r.profiles.join(', ')} ${r.profiles.length === 1 ? 'is' : 'are'} docker/moby format: resolved for ${archDisplayName(r.arch)}, kernel ${r.kernel}, ${caps} (--arch, --kernel, --caps) before merging`
  }

  /** The --check report (stdout). */
  displayCheck(c: ChalkInstance): string {
    const j = this.json
    const first = j.profiles[0]!
    if (j.superset)
      return `${c.green('ok')} ${first} allows everything ${j.profiles.length === 2 ? j.profiles[1] : `the other ${j.profiles.length - 1} profiles`} allow${j.profiles.length === 2 ? 's' : ''}`
    const lines = [
      `${c.red('not a superset')}: ${first} lacks ${j.findings.length} thing${j.findings.length === 1 ? '' : 's'} the others allow`,
    ]
    for (const f of j.findings) {
      const from = f.from.map((i) => j.profiles[i - 1]).join(', ')
      const where = f.conditions.length > 0 ? ` if ${f.conditions.join(' and ')}` : ''
      if (f.kind === 'syscall')
        lines.push(`  ${c.bold(f.subject)}${where}: ${f.first} in ${first}, ${c.yellow(f.merged ?? '')} in ${from}`)
      else if (f.kind === 'default')
        lines.push(`  ${c.bold('default action')}: ${f.first} in ${first}, ${c.yellow(f.merged ?? '')} in ${from}`)
      else lines.push(`  ${f.kind} ${c.bold(f.subject)}: only in ${from}`)
    }
    return lines.join('\n')
  }

  /** One line on stderr after the merged profile went to stdout or a file. */
  displaySummary(c: ChalkInstance): string {
    const j = this.json
    const allowed = new Set((j.merged.syscalls ?? []).filter((r) => isAllowing(r.action)).flatMap((r) => r.names)).size
    const target = j.output ?? 'stdout'
    return `${c.bold('merged')} ${j.profiles.length} profiles (default ${j.merged.defaultAction}, ${allowed} syscalls allowed) → ${target}`
  }
}
