import type {SeccompProfile} from '../profile/model.js'
import {allowsCall, syscallVerdict, type KnownArguments} from '../profile/semantics.js'
import type {Recording} from '../store/model.js'
import type {RecordedArguments} from '../syscalls/arguments.js'

/**
 * What a check run (complain mode) did that the enforcing profile would deny: every syscall it made, and — where
 * the profile allows a syscall only for some argument values and the run recorded its values (issue 15's
 * `arguments`) — every value tuple. What "would deny" means is src/profile/semantics.ts's, nothing of its own.
 */

export interface DriftFinding {
  syscall: string
  /** For an argument-level finding: the positions and the one tuple the profile denies. */
  arguments?: {positions: RecordedArguments['positions']; values: string[]}
}

/** The findings of one check run against the enforcing profile, sorted by syscall (then values). */
export function checkRunFindings(profile: SeccompProfile, recording: Recording): DriftFinding[] {
  const recorded = recordedArguments(recording)
  const names = [...new Set(Object.values(recording.syscalls).flat())].sort()
  const findings: DriftFinding[] = []
  for (const syscall of names) {
    const verdict = syscallVerdict(profile, syscall).allowance
    if (verdict === 'allowed') continue
    const args = recorded[syscall]
    if (verdict === 'denied' || args === undefined || args.overflow === true || args.values.length === 0) {
      // Denied outright, or allowed for some values only and which values were used is not known: it may be denied.
      findings.push({syscall})
      continue
    }
    for (const tuple of args.values) {
      if (!allowsCall(profile, syscall, knownArguments(args.positions, tuple)))
        findings.push({syscall, arguments: {positions: args.positions, values: tuple}})
    }
  }
  return findings
}

/** A finding's identity: the same syscall (and values) from several runs is one finding with several runs. */
export function findingKey(finding: DriftFinding): string {
  const a = finding.arguments
  return a === undefined
    ? finding.syscall
    : `${finding.syscall}(${a.positions.map((p, i) => `${p.index}=${a.values[i]}`).join(',')})`
}

/** The finding in words: `socket(arg0 == 16, arg1 & 0xfff7f7ff == 3)` or just the name. */
export function describeFinding(finding: DriftFinding): string {
  const a = finding.arguments
  if (a === undefined) return finding.syscall
  const parts = a.positions.map((p, i) => {
    const value = `0x${BigInt(a.values[i] ?? '0').toString(16)}`
    return p.mask === undefined
      ? `arg${p.index} == ${value}`
      : `arg${p.index} & 0x${BigInt(p.mask).toString(16)} == ${value}`
  })
  return `${finding.syscall}(${parts.join(', ')})`
}

function knownArguments(positions: RecordedArguments['positions'], tuple: string[]): KnownArguments {
  const known = new Map<number, {value: bigint; mask?: bigint}>()
  positions.forEach((p, i) => {
    const value = parseU64(tuple[i])
    if (value === undefined) return
    const mask = p.mask === undefined ? undefined : parseU64(p.mask)
    if (p.mask !== undefined && mask === undefined) return
    known.set(p.index, mask === undefined ? {value} : {value, mask})
  })
  return known
}

function parseU64(text: string | undefined): bigint | undefined {
  if (text === undefined || !/^[0-9]{1,20}$/.test(text)) return undefined
  const value = BigInt(text)
  return value < 1n << 64n ? value : undefined
}

/**
 * The recording's argument values, when it has any (recordings of issue 15 carry `arguments`; older ones do
 * not). Read defensively (a recording handed in by a caller need not have passed the store's checks): whatever is not in the documented shape counts as not recorded.
 */
function recordedArguments(recording: Recording): Record<string, RecordedArguments> {
  const raw = (recording as {arguments?: unknown}).arguments
  if (raw === null || typeof raw !== 'object') return {}
  const out: Record<string, RecordedArguments> = {}
  for (const [name, value] of Object.entries(raw as Record<string, unknown>)) {
    const v = value as Partial<RecordedArguments> | null
    if (v === null || typeof v !== 'object' || !Array.isArray(v.positions) || !Array.isArray(v.values)) continue
    const positionsOk = v.positions.every((p) => p !== null && typeof p === 'object' && Number.isInteger(p.index))
    const valuesOk = v.values.every((t) => Array.isArray(t) && t.length === v.positions!.length)
    if (!positionsOk || !valuesOk) continue
    out[name] = {positions: v.positions, values: v.values, ...(v.overflow === true ? {overflow: true as const} : {})}
  }
  return out
}
