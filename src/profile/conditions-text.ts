import {argumentMaskName, argumentName, argumentValueName, hasNamedArguments} from '../syscalls/arg-names.js'
import type {SeccompArg, SeccompRule} from './model.js'

const OPERATOR_SYMBOL: Record<string, string> = {
  SCMP_CMP_NE: '!=',
  SCMP_CMP_LT: '<',
  SCMP_CMP_LE: '<=',
  SCMP_CMP_EQ: '==',
  SCMP_CMP_GE: '>=',
  SCMP_CMP_GT: '>',
}

/**
 * A rule's conditions in words, in the order given: `arg0 == 0x8`, `arg1 & 0xff == 0x1`, `includes caps
 * CAP_SYS_ADMIN`. With the syscall's name, the arguments of the curated syscalls (syscalls/arg-names.ts) are
 * named and so are their values: `family == AF_INET`, `clone_flags & namespace flags == no namespace flags`.
 */
export function describeConditions(
  rule: Pick<SeccompRule, 'args' | 'includes' | 'excludes'>,
  syscall?: string,
): string[] {
  const out: string[] = []
  for (const arg of rule.args ?? []) out.push(describeArg(arg, syscall))
  for (const [kind, filter] of [
    ['includes', rule.includes],
    ['excludes', rule.excludes],
  ] as const) {
    if (!filter) continue
    if (filter.caps?.length) out.push(`${kind} caps ${filter.caps.join(',')}`)
    if (filter.arches?.length) out.push(`${kind} arches ${filter.arches.join(',')}`)
    if (filter.minKernel) out.push(`${kind} kernel >= ${filter.minKernel}`)
  }
  return out
}

function describeArg(arg: SeccompArg, syscall: string | undefined): string {
  if (syscall === undefined || !hasNamedArguments(syscall)) {
    if (arg.op === 'SCMP_CMP_MASKED_EQ')
      return `arg${arg.index} & 0x${arg.value.toString(16)} == 0x${(arg.valueTwo ?? 0n).toString(16)}`
    return `arg${arg.index} ${OPERATOR_SYMBOL[arg.op]} 0x${arg.value.toString(16)}`
  }
  const name = argumentName(syscall, arg.index)
  if (arg.op === 'SCMP_CMP_MASKED_EQ')
    return `${name} & ${argumentMaskName(syscall, arg.index, arg.value)} == ${argumentValueName(syscall, arg.index, arg.valueTwo ?? 0n)}`
  return `${name} ${OPERATOR_SYMBOL[arg.op]} ${argumentValueName(syscall, arg.index, arg.value)}`
}

/**
 * The calls a set of allowing rules lets through, as values by name, when every rule is a plain list entry (each
 * comparison `==` or a masked `==`, every rule on the same argument indexes): `AF_INET (SOCK_DGRAM, SOCK_STREAM)`,
 * `AF_UNIX (SOCK_STREAM)` for socket (grouped by the first argument), `no namespace flags` for clone. Null when
 * the rules are not such a list (then describeConditions says it rule by rule).
 */
export function describeAllowedValues(syscall: string, rules: ReadonlyArray<{args: SeccompArg[]}>): string[] | null {
  if (rules.length === 0) return null
  const shape = (args: SeccompArg[]) => args.map((a) => `${a.index}`).join(',')
  const first = shape(rules[0]!.args)
  const plain = (a: SeccompArg) => a.op === 'SCMP_CMP_EQ' || a.op === 'SCMP_CMP_MASKED_EQ'
  if (first === '' || rules.some((r) => shape(r.args) !== first || !r.args.every(plain))) return null
  const named = (a: SeccompArg) => {
    if (a.op !== 'SCMP_CMP_EQ') {
      const name = argumentValueName(syscall, a.index, a.valueTwo ?? 0n)
      const mask = argumentMaskName(syscall, a.index, a.value)
      return mask.startsWith('0x') ? `${name} (mask ${mask})` : name
    }
    return argumentValueName(syscall, a.index, a.value)
  }
  const groups = new Map<string, string[]>()
  for (const rule of rules) {
    const [head, ...rest] = rule.args.map(named)
    const list = groups.get(head!) ?? []
    if (rest.length > 0) list.push(rest.join(' '))
    groups.set(head!, list)
  }
  return [...groups].map(([head, rest]) => (rest.length === 0 ? head : `${head} (${rest.join(', ')})`))
}
