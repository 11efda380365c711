import {argumentCount, NAMESPACE_MASK} from '../syscalls/arg-names.js'
import type {RecordedArguments} from '../syscalls/arguments.js'
import type {SyscallSet} from '../syscalls/syscall-set.js'
import type {SeccompArg, SeccompRule} from './model.js'

/**
 * Argument-aware rules (issue 15): from the argument values recordings saw for the curated syscalls (socket,
 * clone, unshare, setns, personality, prctl, ioctl) to one conditional ALLOW rule per value seen, the syscall
 * otherwise denied by the profile's default. Whatever cannot be restricted safely is allowed by name and said so
 * (ByName): a value set that overflowed in the kernel, a syscall some recording saw without values, one seen on
 * another ABI (the kernel side records x86_64 values only), positions that differ between recordings or that
 * the syscall does not have, more values than a filter can hold.
 */

/** One syscall's values as a recording (or a kernel target) holds them: decimal u64 strings, masked per position. */
export type ArgumentValues = Readonly<RecordedArguments>

/** The ABI whose argument values the kernel records. */
export const ARGUMENTS_ABI = 'x86_64'
/** More values than this for one syscall are allowed by name: each is a rule, and a filter has at most 4096 instructions. */
export const MAX_VALUES_PER_SYSCALL = 64
/** More values than this in all are too many: the syscalls with the most values are allowed by name until it fits. */
export const MAX_VALUES_PER_PROFILE = 256
/** clone3 takes its flags from memory: ENOSYS makes the C library fall back to clone, whose flags seccomp can check. */
export const ENOSYS = 38

export type ByNameReason =
  'overflow' | 'too-many-values' | 'not-in-every-recording' | 'other-abi' | 'positions-differ' | 'bad-position'

export const BY_NAME_REASONS: Record<ByNameReason, string> = {
  overflow: 'the kernel saw more distinct values than it keeps',
  'too-many-values': `more than ${MAX_VALUES_PER_SYSCALL} distinct values (or the profile's ${MAX_VALUES_PER_PROFILE} in all)`,
  'not-in-every-recording': 'some recordings saw it without argument values (older recordings, or values off)',
  'other-abi': `seen on an ABI other than ${ARGUMENTS_ABI}, whose values are not recorded`,
  'positions-differ': 'the recordings recorded different argument positions for it',
  'bad-position': 'a recorded position is not an argument of this syscall',
}

export interface Position {
  index: number
  /** null: the whole value. */
  mask: bigint | null
}

/** A syscall allowed only with the values seen. */
export interface RestrictedSyscall {
  positions: Position[]
  /** Distinct tuples in numeric order, one value per position (masked). */
  tuples: bigint[][]
  /** How many recordings saw each tuple (same order). */
  recordings: number[]
  /** Recordings whose kernel side overflowed for it (then it is not restricted). */
  overflowed: number
}

export interface ByName {
  name: string
  reason: ByNameReason
  /** Recordings whose values overflowed (reason overflow). */
  recordings: number
}

export interface ArgumentPlan {
  restricted: Map<string, RestrictedSyscall>
  byName: ByName[]
}

interface Pending {
  positionsKey: string
  positions: Position[]
  tuples: Map<string, {tuple: bigint[]; recordings: number}>
  overflowed: number
  reason: ByNameReason | null
}

/** Unions the argument values of recordings (add one at a time), then says what to restrict (plan). */
export class ArgumentUnion {
  private readonly pending = new Map<string, Pending>()
  /** Names seen without values (any recording), and seen on another ABI. */
  private readonly withoutValues = new Set<string>()
  private readonly otherAbi = new Set<string>()

  add(syscalls: SyscallSet['names'], args: Readonly<Record<string, ArgumentValues>> | undefined): void {
    const native = new Set(syscalls[ARGUMENTS_ABI] ?? [])
    for (const [abi, names] of Object.entries(syscalls))
      if (abi !== ARGUMENTS_ABI) for (const name of names ?? []) this.otherAbi.add(name)
    for (const name of native) if (!args || !Object.hasOwn(args, name)) this.withoutValues.add(name)
    for (const [name, values] of Object.entries(args ?? {})) {
      if (native.has(name)) this.addValues(name, values)
    }
  }

  private addValues(name: string, values: ArgumentValues): void {
    const positions = values.positions.map((p) => ({
      index: p.index,
      mask: p.mask === undefined ? null : BigInt(p.mask),
    }))
    const positionsKey = positions.map((p) => `${p.index}&${p.mask ?? ''}`).join(',')
    let entry = this.pending.get(name)
    if (!entry) {
      entry = {positionsKey, positions, tuples: new Map(), overflowed: 0, reason: null}
      this.pending.set(name, entry)
    }
    if (entry.positionsKey !== positionsKey) entry.reason ??= 'positions-differ'
    if (!positionsFit(name, positions)) entry.reason ??= 'bad-position'
    if (values.overflow) entry.overflowed += 1
    const seen = new Set<string>()
    for (const raw of values.values) {
      if (raw.length !== positions.length) continue // refused by the recording schema; never half a rule
      const tuple = raw.map((digits, i) => masked(BigInt(digits), positions[i]!.mask))
      const key = tuple.join(',')
      if (seen.has(key)) continue
      seen.add(key)
      const counted = entry.tuples.get(key) ?? {tuple, recordings: 0}
      counted.recordings += 1
      entry.tuples.set(key, counted)
    }
  }

  plan(): ArgumentPlan {
    const restricted = new Map<string, RestrictedSyscall>()
    const byName: ByName[] = []
    for (const [name, entry] of [...this.pending].sort(([a], [b]) => (a < b ? -1 : 1))) {
      const reason =
        entry.reason ??
        (this.otherAbi.has(name)
          ? 'other-abi'
          : this.withoutValues.has(name)
            ? 'not-in-every-recording'
            : entry.overflowed > 0
              ? 'overflow'
              : entry.tuples.size > MAX_VALUES_PER_SYSCALL
                ? 'too-many-values'
                : null)
      if (reason !== null || entry.tuples.size === 0) {
        byName.push({name, reason: reason ?? 'not-in-every-recording', recordings: entry.overflowed})
        continue
      }
      const sorted = [...entry.tuples.values()].sort((a, b) => compareTuples(a.tuple, b.tuple))
      restricted.set(name, {
        positions: entry.positions,
        tuples: sorted.map((t) => t.tuple),
        recordings: sorted.map((t) => t.recordings),
        overflowed: entry.overflowed,
      })
    }
    fitProfile(restricted, byName)
    return {restricted, byName: byName.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))}
  }
}

/** The plan for one kernel target (an `of:` profile written by the poststop): a union of one. */
export function argumentPlanOf(
  syscalls: SyscallSet['names'],
  args: Readonly<Record<string, ArgumentValues>> | undefined,
): ArgumentPlan {
  const union = new ArgumentUnion()
  union.add(syscalls, args)
  return union.plan()
}

/** Positions within the syscall's arguments (when the table knows how many it has), each index once. */
function positionsFit(name: string, positions: Position[]): boolean {
  const count = argumentCount(name) ?? 6
  return (
    positions.length > 0 &&
    positions.every((p) => Number.isInteger(p.index) && p.index >= 0 && p.index < count && p.mask !== 0n) &&
    new Set(positions.map((p) => p.index)).size === positions.length
  )
}

/** Keeps the profile's rules within MAX_VALUES_PER_PROFILE: the syscalls with the most values go by name first. */
function fitProfile(restricted: Map<string, RestrictedSyscall>, byName: ByName[]): void {
  let total = [...restricted.values()].reduce((n, r) => n + r.tuples.length, 0)
  while (total > MAX_VALUES_PER_PROFILE) {
    const [name, largest] = [...restricted].sort(
      ([a, x], [b, y]) => y.tuples.length - x.tuples.length || (a < b ? -1 : 1),
    )[0]!
    restricted.delete(name)
    byName.push({name, reason: 'too-many-values', recordings: 0})
    total -= largest.tuples.length
  }
}

const masked = (value: bigint, mask: bigint | null) => (mask === null ? value : value & mask)

function compareTuples(a: bigint[], b: bigint[]): number {
  for (let i = 0; i < Math.min(a.length, b.length); i++) if (a[i] !== b[i]) return a[i]! < b[i]! ? -1 : 1
  return a.length - b.length
}

/** One rule per tuple: `==` for a whole value, masked `==` (value = mask, valueTwo = the value) for flag bits. */
export function argumentRulesFor(name: string, restricted: RestrictedSyscall): SeccompRule[] {
  return restricted.tuples.map((tuple) => ({
    names: [name],
    action: 'SCMP_ACT_ALLOW',
    args: restricted.positions.map((p, i): SeccompArg => {
      const value = tuple[i]!
      return p.mask === null
        ? {index: p.index, value, op: 'SCMP_CMP_EQ'}
        : {index: p.index, value: p.mask, valueTwo: value, op: 'SCMP_CMP_MASKED_EQ'}
    }),
  }))
}

/**
 * With clone restricted by its namespace flags, clone3 (flags in memory, out of seccomp's reach) would be a way
 * around it: it gets ENOSYS, as in Docker's default for containers without CAP_SYS_ADMIN, and the C library falls
 * back to clone. What used clone3 without namespace flags (threads, posix_spawn) then goes through clone, so clone
 * also allows no namespace flags when the recording saw clone3.
 */
export function withClone3Fallback(
  restricted: Map<string, RestrictedSyscall>,
  clone3Seen: boolean,
): {restricted: Map<string, RestrictedSyscall>; clone3Rule: SeccompRule | null} {
  const clone = restricted.get('clone')
  if (!clone) return {restricted, clone3Rule: null}
  const clone3Rule: SeccompRule = {names: ['clone3'], action: 'SCMP_ACT_ERRNO', errnoRet: ENOSYS}
  const namespaceOnly = clone.positions.length === 1 && clone.positions[0]!.index === 0
  if (!clone3Seen || !namespaceOnly || clone.tuples.some((t) => t[0] === 0n)) return {restricted, clone3Rule}
  const mask = clone.positions[0]!.mask
  if (mask === null || (mask & NAMESPACE_MASK) !== mask) return {restricted, clone3Rule}
  const copy = new Map(restricted)
  copy.set('clone', {...clone, tuples: [[0n], ...clone.tuples], recordings: [0, ...clone.recordings]})
  return {restricted: copy, clone3Rule}
}
