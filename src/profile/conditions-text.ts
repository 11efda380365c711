import type {SeccompRule} from './model.js'

const OPERATOR_SYMBOL: Record<string, string> = {
  SCMP_CMP_NE: '!=',
  SCMP_CMP_LT: '<',
  SCMP_CMP_LE: '<=',
  SCMP_CMP_EQ: '==',
  SCMP_CMP_GE: '>=',
  SCMP_CMP_GT: '>',
}

/** A rule's conditions in words, in the order given: `arg0 == 0x8`, `arg1 & 0xff == 0x1`, `includes caps CAP_SYS_ADMIN`. */
export function describeConditions(rule: Pick<SeccompRule, 'args' | 'includes' | 'excludes'>): string[] {
  const out: string[] = []
  for (const arg of rule.args ?? []) {
    if (arg.op === 'SCMP_CMP_MASKED_EQ')
      out.push(`arg${arg.index} & 0x${arg.value.toString(16)} == 0x${(arg.valueTwo ?? 0).toString(16)}`)
    else out.push(`arg${arg.index} ${OPERATOR_SYMBOL[arg.op]} 0x${arg.value.toString(16)}`)
  }
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
