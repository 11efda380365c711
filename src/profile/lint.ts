import {abiForScmpArch, companionAbis, isKnownSyscall, nativeAbi, type Abi} from '../syscalls/index.js'
import {isUnconditional, type SeccompProfile} from './model.js'
import {isAllowing, takesErrno} from './semantics.js'
import type {Violation} from '../json/violations.js'
import {argumentCount} from '../syscalls/arg-names.js'

/**
 * Semantic checks beyond the schema. Errors are things a runtime refuses; warnings validate but bite:
 * unknown syscall names for the profile's ABIs, one name with different unconditional actions,
 * an allow-by-default profile, errnoRet on an action that ignores it, a deny-all profile.
 */
export function lintProfile(profile: SeccompProfile): Violation[] {
  const found: Violation[] = []
  const rules = profile.syscalls ?? []

  if (rules.some((r) => r.action === 'SCMP_ACT_NOTIFY') || profile.defaultAction === 'SCMP_ACT_NOTIFY') {
    if (profile.listenerPath === undefined) {
      found.push({
        severity: 'error',
        code: 'lint.notify-without-listener',
        pointer: '',
        message: 'SCMP_ACT_NOTIFY needs "listenerPath": runtimes refuse the profile without it',
      })
    }
  }
  if (profile.defaultAction === 'SCMP_ACT_ALLOW') {
    found.push({
      severity: 'warning',
      code: 'lint.allow-by-default',
      pointer: '/defaultAction',
      message:
        'defaultAction SCMP_ACT_ALLOW allows every syscall not listed: this is a denylist, not a recorded allowlist',
    })
  }
  if (profile.defaultErrnoRet !== undefined && !takesErrno(profile.defaultAction)) {
    found.push({
      severity: 'warning',
      code: 'lint.errnoret-ignored',
      pointer: '/defaultErrnoRet',
      message: `defaultErrnoRet is ignored with ${profile.defaultAction}`,
    })
  }

  const abis = profileAbis(profile)
  const actionsByName = new Map<string, Map<string, number>>()
  rules.forEach((rule, ruleIndex) => {
    if (rule.errnoRet !== undefined && !takesErrno(rule.action)) {
      found.push({
        severity: 'warning',
        code: 'lint.errnoret-ignored',
        pointer: `/syscalls/${ruleIndex}/errnoRet`,
        message: `errnoRet is ignored with ${rule.action}`,
      })
    }
    rule.names.forEach((name, nameIndex) => {
      if (abis.length > 0 && !isKnownSyscall(name, abis)) {
        found.push({
          severity: 'warning',
          code: 'lint.unknown-syscall',
          pointer: `/syscalls/${ruleIndex}/names/${nameIndex}`,
          message: `"${name}" is not a syscall on ${abis.join(', ')}: runtimes skip or reject it`,
        })
      }
      if (!isUnconditional(rule)) return
      const actions = actionsByName.get(name) ?? new Map<string, number>()
      if (!actions.has(rule.action)) actions.set(rule.action, ruleIndex)
      actionsByName.set(name, actions)
    })
  })
  found.push(...argumentIndexWarnings(profile))
  for (const [name, actions] of actionsByName) {
    if (actions.size < 2) continue
    const listing = [...actions].map(([action, index]) => `${action} in /syscalls/${index}`).join(' and ')
    const last = Math.max(...actions.values())
    found.push({
      severity: 'warning',
      code: 'lint.conflicting-actions',
      pointer: `/syscalls/${last}`,
      message: `"${name}" has different unconditional actions (${listing}): which one applies depends on the runtime`,
    })
  }

  if (!isAllowing(profile.defaultAction) && !rules.some((r) => isAllowing(r.action))) {
    found.push({
      severity: 'warning',
      code: 'lint.denies-everything',
      pointer: '/syscalls',
      message: 'no rule allows anything: no process can even start under this profile',
    })
  }
  return found
}

/**
 * The ABIs whose syscall tables apply: from `architectures` and `archMap`, else the machine's native ones;
 * none when the profile names an architecture we have no table for (then names are not checked).
 */
export function profileAbis(profile: SeccompProfile): Abi[] {
  const arches = [
    ...(profile.architectures ?? []),
    ...(profile.archMap ?? []).flatMap((m) => [m.architecture, ...(m.subArchitectures ?? [])]),
  ]
  if (arches.length === 0) {
    const native = nativeAbi()
    return native ? companionAbis(native) : []
  }
  const abis = arches.map((a) => abiForScmpArch(a))
  // A name can only be called unknown when every architecture of the profile has a table here.
  if (abis.includes(undefined)) return []
  return [...new Set(abis as Abi[])]
}

/**
 * A condition on an argument the syscall does not have (`personality` takes one argument: `args[].index` 3 never
 * matches what the workload passed, it compares a leftover register). Argument counts come from the kernel's
 * syscall trace events (syscalls/arguments.generated.ts); a syscall the table does not know is not checked.
 */
export function argumentIndexWarnings(profile: SeccompProfile): Violation[] {
  const found: Violation[] = []
  ;(profile.syscalls ?? []).forEach((rule, ruleIndex) => {
    ;(rule.args ?? []).forEach((arg, argIndex) => {
      for (const name of new Set(rule.names)) {
        const count = argumentCount(name)
        if (count === undefined || arg.index < count) continue
        found.push({
          severity: 'warning',
          code: 'lint.argument-index',
          pointer: `/syscalls/${ruleIndex}/args/${argIndex}/index`,
          message: `"${name}" takes ${count === 0 ? 'no arguments' : count === 1 ? '1 argument (index 0)' : `${count} arguments (indexes 0..${count - 1})`}: a condition on index ${arg.index} compares a register the call does not use`,
        })
      }
    })
  })
  return found
}
