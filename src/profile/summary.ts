import {isUnconditional, profileFormat, type ProfileFormat, type SeccompAction, type SeccompProfile} from './model.js'
import {normaliseProfile} from './normalise.js'
import {describeConditions} from './conditions-text.js'
import {isAllowing, ProfileIndex} from './semantics.js'

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
  /** Syscalls allowed only for a list of argument values, by name: `socket: AF_INET (SOCK_STREAM), …`. */
  allowedValues: Array<{name: string; values: string[]}>
}

export function summariseProfile(profile: SeccompProfile): ProfileSummary {
  const normal = normaliseProfile(profile)
  const allowed = new Set<string>()
  const denied = new Set<string>()
  const conditional: ConditionalRule[] = []
  const namesByAction: Partial<Record<SeccompAction, number>> = {}
  for (const rule of normal.syscalls ?? []) {
    namesByAction[rule.action] = (namesByAction[rule.action] ?? 0) + rule.names.length
    if (!isUnconditional(rule)) {
      const syscall = rule.names.length === 1 ? rule.names[0] : undefined
      conditional.push({names: rule.names, action: rule.action, conditions: describeConditions(rule, syscall)})
      continue
    }
    for (const name of rule.names) (isAllowing(rule.action) ? allowed : denied).add(name)
  }
  const architectures =
    normal.architectures ?? (normal.archMap ?? []).flatMap((m) => [m.architecture, ...(m.subArchitectures ?? [])])
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
    allowedValues: allowedValuesOf(normal),
  }
}

/** The syscalls the profile allows only for listed argument values (SyscallVerdict.values), by name. */
function allowedValuesOf(profile: SeccompProfile): ProfileSummary['allowedValues'] {
  const index = new ProfileIndex(profile)
  return index.names().flatMap((name) => {
    const values = index.verdict(name).values
    return values === null ? [] : [{name, values}]
  })
}
