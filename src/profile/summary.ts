import {isUnconditional, profileFormat, type ProfileFormat, type SeccompAction, type SeccompProfile, type SeccompRule} from './model.js'
import {normaliseProfile} from './normalise.js'

export interface ConditionalRule {
  names: string[]
  action: SeccompAction
  /** Human-readable conditions, e.g. "arg0 == 0x8" or "includes caps CAP_SYS_ADMIN". */
  conditions: string[]
}

export interface ProfileSummary {
  format: ProfileFormat
  defaultAction: SeccompAction
  defaultErrnoRet: number | null
  architectures: string[]
  flags: string[]
  rules: number
  /** Names allowed without conditions (ALLOW or LOG), sorted. */
  allowed: string[]
  /** Names listed with an unconditional non-allowing action (ERRNO, KILL, TRAP, TRACE, NOTIFY), sorted. */
  denied: string[]
  conditional: ConditionalRule[]
  /** How many names each action lists (conditional rules included). */
  namesByAction: Partial<Record<SeccompAction, number>>
}

const ALLOWING: ReadonlySet<SeccompAction> = new Set(['SCMP_ACT_ALLOW', 'SCMP_ACT_LOG'])

export function summariseProfile(profile: SeccompProfile): ProfileSummary {
  const normal = normaliseProfile(profile)
  const allowed = new Set<string>()
  const denied = new Set<string>()
  const conditional: ConditionalRule[] = []
  const namesByAction: Partial<Record<SeccompAction, number>> = {}
  for (const rule of normal.syscalls ?? []) {
    namesByAction[rule.action] = (namesByAction[rule.action] ?? 0) + rule.names.length
    if (!isUnconditional(rule)) {
      conditional.push({names: rule.names, action: rule.action, conditions: describeConditions(rule)})
      continue
    }
    for (const name of rule.names) (ALLOWING.has(rule.action) ? allowed : denied).add(name)
  }
  const architectures = normal.architectures ?? (normal.archMap ?? []).flatMap((m) => [m.architecture, ...(m.subArchitectures ?? [])])
  return {
    format: profileFormat(profile),
    defaultAction: normal.defaultAction,
    defaultErrnoRet: normal.defaultErrnoRet ?? null,
    architectures: [...new Set(architectures)].sort(),
    flags: normal.flags ?? [],
    rules: normal.syscalls?.length ?? 0,
    allowed: [...allowed].sort(),
    denied: [...denied].filter((n) => !allowed.has(n)).sort(),
    conditional,
    namesByAction,
  }
}

const OPERATOR_SYMBOL: Record<string, string> = {
  SCMP_CMP_NE: '!=',
  SCMP_CMP_LT: '<',
  SCMP_CMP_LE: '<=',
  SCMP_CMP_EQ: '==',
  SCMP_CMP_GE: '>=',
  SCMP_CMP_GT: '>',
}

export function describeConditions(rule: SeccompRule): string[] {
  const out: string[] = []
  for (const arg of rule.args ?? []) {
    if (arg.op === 'SCMP_CMP_MASKED_EQ') out.push(`arg${arg.index} & 0x${arg.value.toString(16)} == 0x${(arg.valueTwo ?? 0).toString(16)}`)
    else out.push(`arg${arg.index} ${OPERATOR_SYMBOL[arg.op]} 0x${arg.value.toString(16)}`)
  }
  for (const [kind, filter] of [['includes', rule.includes], ['excludes', rule.excludes]] as const) {
    if (!filter) continue
    if (filter.caps?.length) out.push(`${kind} caps ${filter.caps.join(',')}`)
    if (filter.arches?.length) out.push(`${kind} arches ${filter.arches.join(',')}`)
    if (filter.minKernel) out.push(`${kind} kernel >= ${filter.minKernel}`)
  }
  return out
}
