import type {SeccompArch, SeccompProfile} from '../profile/model.js'
import {syscallNames, syscallNumber, type Abi} from '../syscalls/index.js'
import {addFindings, diffHeader, headerFindings, type Findings, type HeaderDiff} from './header.js'
import {ProfileIndex, type SyscallVerdict} from '../profile/semantics.js'
import {allowsSubset} from './verdict.js'

/** A syscall the workload's profile allows that the runtime default does not (always) allow. */
export interface NeededSyscall {
  name: string
  /** What the runtime default does with it. */
  runtimeDefault: SyscallVerdict
  /** What the workload's profile allows. */
  profile: SyscallVerdict
}

export interface AttackSurface {
  /** Syscalls the runtime default allows, unconditionally or under conditions. */
  runtimeDefaultAllows: number
  /** Of those, the ones the profile allows too. */
  kept: number
  /** Of those, the ones the profile never allows: the attack surface it removes. */
  removed: number
  /** removed / runtimeDefaultAllows × 100, one decimal (0 when the runtime default allows nothing). */
  removedPercent: number
  removedNames: string[]
  keptNames: string[]
  /** The same per ABI of the architectures (names that exist on that ABI). */
  byAbi: Partial<Record<Abi, {runtimeDefaultAllows: number; removed: number; removedPercent: number}>>
}

export interface RuntimeDefaultDiff {
  /** The workload needs them; the runtime default denies them: it will fail under RuntimeDefault. */
  willFail: NeededSyscall[]
  /** The workload needs them; the runtime default allows them only under conditions its calls may not meet. */
  mayFail: NeededSyscall[]
  attackSurface: AttackSurface
  /** The runtime default's effective rule set in numbers, per ABI: names allowed unconditionally and conditionally. */
  runtimeDefaultCounts: Partial<Record<Abi, {allowed: number; conditional: number}>>
  /** From the runtime default (`from`) to the profile (`to`). */
  header: HeaderDiff
  /** Names the profile lists that are no syscall on the ABIs compared (runtimes skip them). */
  ignored: string[]
  /** ABIs compared; null when the architecture has no syscall table here (then every listed name counts). */
  abis: Abi[] | null
  findings: Findings
}

/**
 * How a workload's profile relates to the runtime's default profile, both flat (resolved for the same target):
 * (1) what the workload needs that RuntimeDefault denies or allows only conditionally, (2) what RuntimeDefault
 * allows that the workload never uses — the attack surface the profile removes — and (3) header differences.
 * The names compared are the syscalls of `abis` (all of them: a default-allow profile allows names it does not
 * list); with `abis` null, the names either profile lists.
 */
export function diffAgainstRuntimeDefault(
  profile: SeccompProfile,
  runtimeDefault: SeccompProfile,
  options: {abis: Abi[] | null; nativeArch: SeccompArch},
): RuntimeDefaultDiff {
  const workload = new ProfileIndex(profile)
  const rd = new ProfileIndex(runtimeDefault)
  const abis = options.abis
  const universe =
    abis === null
      ? new Set([...workload.names(), ...rd.names()])
      : new Set(abis.flatMap((abi) => [...syscallNames(abi)]))
  const ignored = abis === null ? [] : workload.names().filter((n) => !universe.has(n))

  const willFail: NeededSyscall[] = []
  const mayFail: NeededSyscall[] = []
  const removedNames: string[] = []
  const keptNames: string[] = []
  const verdicts = new Map<string, {w: SyscallVerdict; r: SyscallVerdict}>()
  for (const name of [...universe].sort()) {
    const w = workload.verdict(name)
    const r = rd.verdict(name)
    verdicts.set(name, {w, r})
    if (w.allowance !== 'denied') {
      if (r.allowance === 'denied') willFail.push({name, runtimeDefault: r, profile: w})
      else if (!allowsSubset(w, r)) mayFail.push({name, runtimeDefault: r, profile: w})
    }
    if (r.allowance !== 'denied') (w.allowance === 'denied' ? removedNames : keptNames).push(name)
  }

  const percent = (part: number, whole: number) => (whole === 0 ? 0 : Math.round((part / whole) * 1000) / 10)
  const byAbi: AttackSurface['byAbi'] = {}
  const runtimeDefaultCounts: RuntimeDefaultDiff['runtimeDefaultCounts'] = {}
  for (const abi of abis ?? []) {
    const onAbi = (n: string) => syscallNumber(abi, n) !== undefined
    const allows = [...keptNames, ...removedNames].filter(onAbi).length
    const removed = removedNames.filter(onAbi).length
    byAbi[abi] = {runtimeDefaultAllows: allows, removed, removedPercent: percent(removed, allows)}
    let allowed = 0
    let conditional = 0
    for (const name of syscallNames(abi)) {
      const r = verdicts.get(name)!.r
      if (r.allowance === 'allowed') allowed++
      else if (r.allowance === 'conditional') conditional++
    }
    runtimeDefaultCounts[abi] = {allowed, conditional}
  }

  const all = keptNames.length + removedNames.length
  const header = diffHeader(runtimeDefault, profile, options.nativeArch)
  const findings = addFindings(headerFindings(header), {
    added: willFail.length + mayFail.length,
    removed: removedNames.length,
    changed: 0,
  })
  return {
    willFail,
    mayFail,
    attackSurface: {
      runtimeDefaultAllows: all,
      kept: keptNames.length,
      removed: removedNames.length,
      removedPercent: percent(removedNames.length, all),
      removedNames,
      keptNames,
      byAbi,
    },
    runtimeDefaultCounts,
    header,
    ignored,
    abis,
    findings,
  }
}
