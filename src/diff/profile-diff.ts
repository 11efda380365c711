import type {SeccompArch, SeccompProfile} from '../profile/model.js'
import {addFindings, diffHeader, headerFindings, mirrorHeader, type Findings, type HeaderDiff} from './header.js'
import {ProfileIndex, verdictKey, type SyscallVerdict} from '../profile/semantics.js'
import {allowsSubset, valueChanges, type ValueChanges} from './verdict.js'

/** One syscall whose treatment differs between A (`from`) and B (`to`). */
export interface SyscallChange {
  name: string
  /** `added`: A allows no call of it, B some; `removed`: the reverse; `changed`: both allow some or both none, differently. */
  kind: 'added' | 'removed' | 'changed'
  from: SyscallVerdict
  to: SyscallVerdict
  /** B allows calls A does not (or this cannot be ruled out from the rules). */
  widens: boolean
  /** A allows calls B does not (or this cannot be ruled out). */
  narrows: boolean
  /** Both allow it only for listed argument values, but different ones: which B adds and drops (by name). */
  values?: ValueChanges
}

export interface ProfileDiff {
  header: HeaderDiff
  syscalls: {added: SyscallChange[]; removed: SyscallChange[]; changed: SyscallChange[]}
  findings: Findings
}

/**
 * Compares two flat profiles (resolve docker-format ones first) syscall by syscall. Every name either
 * profile lists is compared by its effective verdict (its rules, else the default action); names whose rules
 * are the same in both are left out, so a default-action change is reported once in the header rather than
 * for every name. Pure and symmetric: diffProfiles(b, a) equals mirrorProfileDiff(diffProfiles(a, b)).
 */
export function diffProfiles(a: SeccompProfile, b: SeccompProfile, options: {nativeArch: SeccompArch}): ProfileDiff {
  const ia = new ProfileIndex(a)
  const ib = new ProfileIndex(b)
  const names = [...new Set([...ia.names(), ...ib.names()])].sort()
  const added: SyscallChange[] = []
  const removed: SyscallChange[] = []
  const changed: SyscallChange[] = []
  for (const name of names) {
    if (ia.rulesKey(name) === ib.rulesKey(name)) continue
    const from = ia.verdict(name)
    const to = ib.verdict(name)
    if (verdictKey(from) === verdictKey(to)) continue
    const change: SyscallChange = {
      name,
      kind: 'changed',
      from,
      to,
      widens: !allowsSubset(to, from),
      narrows: !allowsSubset(from, to),
    }
    const values = valueChanges(name, from, to)
    if (values !== null) change.values = values
    if (from.allowance === 'denied' && to.allowance !== 'denied') added.push({...change, kind: 'added'})
    else if (from.allowance !== 'denied' && to.allowance === 'denied') removed.push({...change, kind: 'removed'})
    else changed.push(change)
  }
  const header = diffHeader(a, b, options.nativeArch)
  const syscallFindings: Findings = {
    added: added.length + changed.filter((c) => c.widens).length,
    removed: removed.length + changed.filter((c) => c.narrows).length,
    changed: changed.length,
  }
  return {header, syscalls: {added, removed, changed}, findings: addFindings(headerFindings(header), syscallFindings)}
}

/** The diff the other way round: what diffProfiles(b, a) returns. */
export function mirrorProfileDiff(d: ProfileDiff): ProfileDiff {
  const flip = (c: SyscallChange): SyscallChange => ({
    name: c.name,
    kind: c.kind === 'added' ? 'removed' : c.kind === 'removed' ? 'added' : 'changed',
    from: c.to,
    to: c.from,
    widens: c.narrows,
    narrows: c.widens,
    ...(c.values ? {values: {added: c.values.removed, removed: c.values.added}} : {}),
  })
  return {
    header: mirrorHeader(d.header),
    syscalls: {
      added: d.syscalls.removed.map(flip),
      removed: d.syscalls.added.map(flip),
      changed: d.syscalls.changed.map(flip),
    },
    findings: {added: d.findings.removed, removed: d.findings.added, changed: d.findings.changed},
  }
}

export function isEmptyDiff(d: ProfileDiff): boolean {
  return d.findings.added + d.findings.removed + d.findings.changed === 0
}

/** The syscalls B allows more than A: added, and changed ones that widen (for `diff --why`). */
export function widenedNames(diff: ProfileDiff): string[] {
  return [...diff.syscalls.added, ...diff.syscalls.changed.filter((c) => c.widens)].map((c) => c.name)
}
