import type {ChalkInstance} from 'chalk'
import type {Aggregate} from '../../aggregate/aggregate.js'
import {BY_NAME_REASONS, type ByNameReason} from '../../profile/argument-rules.js'
import {ProfileIndex} from '../../profile/semantics.js'

/** `profiles build`: what the profile restricts by argument values, and what it had to allow by name (issue 15). */
export interface BuildArgumentsJson {
  /** off: `--args off` (or the config's profileArguments), a name-only profile. */
  mode: 'on' | 'off'
  /** Syscalls allowed only with the values seen, by name (`AF_INET (SOCK_STREAM)`). */
  restricted: Array<{name: string; values: string[]}>
  /** Syscalls that had values but are allowed by name, and why. */
  byName: Array<{name: string; reason: ByNameReason; why: string; recordings: number}>
  /** clone3 gets ENOSYS (clone is restricted), so the C library falls back to clone. */
  clone3Enosys: boolean
}

export function buildArgumentsJson(built: Pick<Aggregate, 'argumentPlan' | 'profile'>): BuildArgumentsJson {
  const plan = built.argumentPlan
  if (plan === null) return {mode: 'off', restricted: [], byName: [], clone3Enosys: false}
  const index = new ProfileIndex(built.profile)
  const restricted = [...plan.restricted.keys()]
    .sort()
    .map((name) => ({name, values: index.verdict(name).values ?? []}))
  const clone3 = index.verdict('clone3')
  return {
    mode: 'on',
    restricted,
    byName: plan.byName.map((b) => ({...b, why: BY_NAME_REASONS[b.reason]})),
    clone3Enosys:
      plan.restricted.has('clone') && clone3.base.action === 'SCMP_ACT_ERRNO' && clone3.base.errnoRet === 38,
  }
}

/** The lines under a built profile: restricted syscalls with their values; each by-name fallback as a warning. */
export function buildArgumentsLines(c: ChalkInstance, a: BuildArgumentsJson): string[] {
  if (a.mode === 'off') return [c.dim('    argument rules off: syscalls allowed by name only')]
  const lines: string[] = []
  for (const r of a.restricted) lines.push(`    ${r.name} only for ${r.values.join(', ')}`)
  if (a.clone3Enosys)
    lines.push(c.dim('    clone3 → ENOSYS (the C library falls back to clone, whose flags are checked)'))
  for (const b of a.byName)
    lines.push(
      c.yellow(
        `    WARNING: ${b.name} allowed by name, with any arguments: ${b.why}${b.recordings > 0 ? ` (${b.recordings} recording${b.recordings === 1 ? '' : 's'})` : ''}`,
      ),
    )
  return lines
}

/** `arguments` in `profiles build --json`. */
export const BUILD_ARGUMENTS_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['mode', 'restricted', 'byName', 'clone3Enosys'],
  properties: {
    mode: {enum: ['on', 'off']},
    restricted: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'values'],
        properties: {name: {type: 'string'}, values: {type: 'array', items: {type: 'string'}}},
      },
    },
    byName: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'reason', 'why', 'recordings'],
        properties: {
          name: {type: 'string'},
          reason: {enum: Object.keys(BY_NAME_REASONS)},
          why: {type: 'string'},
          recordings: {type: 'integer', minimum: 0},
        },
      },
    },
    clone3Enosys: {type: 'boolean'},
  },
} as const
