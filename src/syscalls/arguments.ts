/**
 * Argument values seen for the curated syscalls (issue 15; the model is docs/ARCHITECTURE.md, "Argument values"):
 * the kernel recorder keeps, per recording, the distinct values of the arguments that decide a syscall's risk
 * (socket's family and type, clone's namespace flags, …), native x86_64 ABI only. The helper prints them as `args`
 * of a target; recordings keep them as `arguments`. Values are u64, so they travel as decimal strings.
 */

/** One syscall's recorded argument values. */
export interface RecordedArguments {
  /**
   * The argument positions recorded, in order. `mask` (decimal u64 string) keeps only the bits that decide the
   * risk (flag bits: clone's namespace flags, socket's type without SOCK_NONBLOCK|SOCK_CLOEXEC); absent = the
   * whole value.
   */
  positions: Array<{index: number; mask?: string}>
  /** Distinct tuples seen (one decimal u64 string per position, already masked), sorted, unique. */
  values: string[][]
  /** The kernel saw more distinct tuples than it keeps for this syscall: allow it by name, say so loudly. */
  overflow?: true
}

/** Recorded arguments per syscall name (x86_64 names). */
export type ArgumentsBySyscall = Record<string, RecordedArguments>

/** Bounds of what is accepted from a helper, journal, orphan file or recording (the kernel keeps far less). */
export const ARGUMENT_BOUNDS = {syscalls: 64, positions: 6, values: 1024} as const

const U64_DIGITS = /^(0|[1-9][0-9]{0,19})$/
const U64_MAX = (1n << 64n) - 1n
const SYSCALL_NAME = /^_?[a-z0-9][a-z0-9_]{0,62}$/

export const isU64String = (value: unknown): value is string =>
  typeof value === 'string' && U64_DIGITS.test(value) && BigInt(value) <= U64_MAX

/** Numeric order of two tuples, position by position (the order `values` is kept in). */
export function compareTuples(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] === undefined || b[i] === undefined) return a[i] === undefined ? -1 : 1
    const x = BigInt(a[i]!)
    const y = BigInt(b[i]!)
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

/** What is wrong with one syscall's recorded arguments (undefined: nothing). `at` prefixes the messages. */
export function recordedArgumentsProblem(value: unknown, at: string): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `${at}: must be an object`
  const {positions, values, overflow, ...rest} = value as Partial<RecordedArguments> & Record<string, unknown>
  const extra = Object.keys(rest)[0]
  if (extra !== undefined) return `${at}: unknown property "${extra}"`
  if (overflow !== undefined && overflow !== true) return `${at}/overflow: must be true or absent`
  if (!Array.isArray(positions) || positions.length < 1 || positions.length > ARGUMENT_BOUNDS.positions)
    return `${at}/positions: must list 1 to ${ARGUMENT_BOUNDS.positions} positions`
  const masks: Array<bigint | undefined> = []
  for (const [i, p] of positions.entries()) {
    const problem = positionProblem(p, positions[i - 1], `${at}/positions/${i}`)
    if (problem) return problem
    masks.push(p.mask === undefined ? undefined : BigInt(p.mask))
  }
  if (!Array.isArray(values) || values.length > ARGUMENT_BOUNDS.values)
    return `${at}/values: must be a list of at most ${ARGUMENT_BOUNDS.values} tuples`
  for (const [i, tuple] of values.entries()) {
    if (!Array.isArray(tuple) || tuple.length !== positions.length)
      return `${at}/values/${i}: must hold one value per position (${positions.length})`
    for (const [j, v] of tuple.entries()) {
      if (!isU64String(v)) return `${at}/values/${i}/${j}: must be a decimal u64 string`
      const mask = masks[j]
      if (mask !== undefined && (BigInt(v) & mask) !== BigInt(v))
        return `${at}/values/${i}/${j}: has bits outside its position's mask`
    }
    if (i > 0 && compareTuples(values[i - 1]!, tuple) >= 0) return `${at}/values: must be sorted and unique`
  }
  return undefined
}

function positionProblem(p: unknown, previous: unknown, at: string): string | undefined {
  if (p === null || typeof p !== 'object' || Array.isArray(p)) return `${at}: must be an object`
  const {index, mask, ...rest} = p as {index?: unknown; mask?: unknown}
  const extra = Object.keys(rest)[0]
  if (extra !== undefined) return `${at}: unknown property "${extra}"`
  if (!Number.isInteger(index) || (index as number) < 0 || (index as number) > 5)
    return `${at}/index: must be an argument index 0..5`
  if (mask !== undefined && !isU64String(mask)) return `${at}/mask: must be a decimal u64 string`
  if (previous !== undefined && (previous as {index: number}).index >= (index as number))
    return `${at}/index: positions must be in increasing order`
  return undefined
}

/** What is wrong with a whole `args`/`arguments` object (undefined: nothing). */
export function argumentsProblem(value: unknown, at: string): string | undefined {
  if (value === null || typeof value !== 'object' || Array.isArray(value)) return `${at}: must be an object`
  const entries = Object.entries(value)
  if (entries.length > ARGUMENT_BOUNDS.syscalls)
    return `${at}: at most ${ARGUMENT_BOUNDS.syscalls} syscalls have argument values`
  for (const [name, recorded] of entries) {
    if (!SYSCALL_NAME.test(name)) return `${at}: "${name.slice(0, 64)}" is not a syscall name`
    const problem = recordedArgumentsProblem(recorded, `${at}/${name}`)
    if (problem) return problem
  }
  return undefined
}

const samePositions = (a: RecordedArguments['positions'], b: RecordedArguments['positions']) =>
  a.length === b.length && a.every((p, i) => p.index === b[i]!.index && p.mask === b[i]!.mask)

/** The union of one syscall's values (sorted, unique); overflow is sticky. Positions that disagree: overflow. */
export function unionRecordedArguments(a: RecordedArguments, b: RecordedArguments): RecordedArguments {
  if (!samePositions(a.positions, b.positions)) return {...a, overflow: true}
  const byKey = new Map<string, string[]>()
  for (const tuple of [...a.values, ...b.values]) byKey.set(tuple.join(','), tuple)
  const union: RecordedArguments = {
    positions: a.positions,
    values: [...byKey.values()].sort(compareTuples),
  }
  if (a.overflow || b.overflow) union.overflow = true
  return union
}

/** The union of two `args` objects (either may be absent; absent when both are). */
export function unionArguments(
  a: ArgumentsBySyscall | undefined,
  b: ArgumentsBySyscall | undefined,
): ArgumentsBySyscall | undefined {
  if (a === undefined || b === undefined) return a ?? b
  const union: ArgumentsBySyscall = {...a}
  for (const [name, recorded] of Object.entries(b))
    union[name] = Object.hasOwn(union, name) ? unionRecordedArguments(union[name]!, recorded) : recorded
  return union
}

/** Whether b holds a tuple (or an overflow) that a lacks. */
export function argumentsAdd(a: ArgumentsBySyscall | undefined, b: ArgumentsBySyscall | undefined): boolean {
  return Object.entries(b ?? {}).some(([name, recorded]) => {
    const known = a !== undefined && Object.hasOwn(a, name) ? a[name] : undefined
    if (known === undefined) return true
    if (recorded.overflow && !known.overflow) return true
    const keys = new Set(known.values.map((t) => t.join(',')))
    return recorded.values.some((t) => !keys.has(t.join(',')))
  })
}

/** The syscalls whose values overflowed the kernel's bound, sorted. */
export const overflowedSyscalls = (args: ArgumentsBySyscall | undefined): string[] =>
  Object.entries(args ?? {})
    .filter(([, recorded]) => recorded.overflow === true)
    .map(([name]) => name)
    .sort()
