import {randomBytes} from 'node:crypto'
import {release} from 'node:os'
import {Ajv, type ErrorObject} from 'ajv'
import {ABIS, nativeAbi, SCMP_ARCH_BY_ABI} from '../syscalls/index.js'
import type {SyscallSet} from '../syscalls/syscall-set.js'
import {quotaExceeded, type QuotaExceeded} from '../kernel/quotas.js'
import {profileNameProblem} from './names.js'

/**
 * One container run (or one `record` run) as stored: who ran (names), where (runtime, arch, kernel), when,
 * and which syscalls it made. Written once when the run ends; `profiles build` unions many of them per `name`.
 * The kernel recorder marks syscalls (a bit per syscall), it does not count calls: coverage is counted in
 * recordings that saw a syscall, not in calls.
 */
export interface Recording {
  version: 1
  /** Unique and file-safe: `[A-Za-z0-9][A-Za-z0-9._-]{0,99}`; the file is `<id>.json`. */
  id: string
  source: RecordingSource
  /** Profile name, e.g. "default/web/nginx". */
  name: string
  container: RecordingContainer
  /** 'runc' | 'crun' | 'podman' | 'cri-o' | 'record' | … */
  runtime: string
  /** SCMP_ARCH_* of the machine that recorded. */
  arch: string
  /** `uname -r` of the machine that recorded. */
  kernel: string
  /** ISO 8601 with time zone. */
  startedAt: string
  endedAt: string
  /** Sorted unique syscall names per ABI. */
  syscalls: SyscallSet['names']
  /** Numbers no table names. */
  unknown: SyscallSet['unknown']
  /** Syscalls the kernel could not store: non-zero means this recording is incomplete. */
  lost: number
  /** The kernel recorder was detached for a while during this run (its pins removed): incomplete. */
  interrupted?: true
  /** What the kernel refused because this run reached a quota (only when it did): incomplete. */
  quota?: QuotaExceeded
  command?: string[]
  exitCode?: number | null
  /** Argument values seen for the curated syscalls (x86_64 only); absent = none recorded (older recordings, --args off). */
  arguments?: Record<string, RecordedArguments>
}

/** The argument values one recording saw for one syscall (docs: /work/notes/args-model.md, issue 15). */
export interface RecordedArguments {
  /** The argument positions recorded, in order; `mask` (decimal u64) keeps only the bits that decide the risk. */
  positions: Array<{index: number; mask?: string}>
  /** Distinct tuples seen (one decimal u64 string per position, already masked), sorted, unique. */
  values: string[][]
  /** The kernel saw more distinct tuples than it keeps for this syscall: allow it by name, say so loudly. */
  overflow?: true
}

/** A recording that may lack syscalls the workload made (lost by the kernel, or the recorder interrupted). */
export const isIncomplete = (recording: Pick<Recording, 'lost' | 'interrupted' | 'quota'>): boolean =>
  recording.lost > 0 || recording.interrupted === true || quotaExceeded(recording.quota)

/** Who wrote it: the OCI hook's poststop (or gc finishing what a lost poststop left), `record`, or gc salvaging a target nobody finalised. */
export type RecordingSource = 'hook' | 'record' | 'gc'
export const RECORDING_SOURCES: readonly RecordingSource[] = ['hook', 'record', 'gc']

export interface RecordingContainer {
  id: string | null
  name: string
  pod: string | null
  namespace: string | null
  workload: string | null
}

export const RECORDING_VERSION = 1
/** A recording file larger than this is refused unread (real ones are a few KiB). */
export const MAX_RECORDING_BYTES = 1024 * 1024
export const RECORDING_ID = /^[A-Za-z0-9][A-Za-z0-9._-]{0,99}$/

const nullableString = (maxLength: number) => ({type: ['string', 'null'], maxLength}) as const
/** Zulu or offset ISO 8601 date-time, e.g. 2026-05-01T12:00:00.000Z; checked further with Date.parse. */
const isoTime = {
  type: 'string',
  pattern: '^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}(\\.[0-9]{1,9})?(Z|[+-][0-9]{2}:[0-9]{2})$',
} as const
/** Sorted and unique: checked in validateRecording (cheaper than uniqueItems on 10 000 recordings). */
const syscallNames = {
  type: 'array',
  maxItems: 2048,
  items: {type: 'string', pattern: '^_?[a-z0-9][a-z0-9_]{0,62}$'},
} as const

/** A u64 in plain decimal digits (up to 20; the range is checked in validateRecording). */
const u64Digits = {type: 'string', pattern: '^(0|[1-9][0-9]{0,19})$'} as const
/** `arguments`: bounded per syscall (64 names, 6 positions, 4096 tuples); the kernel side keeps far fewer. */
const RECORDED_ARGUMENTS_SCHEMA = {
  type: 'object',
  maxProperties: 64,
  propertyNames: {pattern: '^_?[a-z0-9][a-z0-9_]{0,62}$'},
  additionalProperties: {
    type: 'object',
    additionalProperties: false,
    required: ['positions', 'values'],
    properties: {
      positions: {
        type: 'array',
        minItems: 1,
        maxItems: 6,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['index'],
          properties: {index: {type: 'integer', minimum: 0, maximum: 5}, mask: u64Digits},
        },
      },
      values: {type: 'array', maxItems: 4096, items: {type: 'array', minItems: 1, maxItems: 6, items: u64Digits}},
      overflow: {const: true},
    },
  },
} as const

/** JSON Schema (draft-07, ajv) of a stored recording: unknown keys are errors, every list and string is bounded. */
export const RECORDING_SCHEMA = {
  $id: 'https://seccomp-recorder.invalid/schemas/recording.json',
  title: 'seccomp-recorder recording (one container run)',
  type: 'object',
  additionalProperties: false,
  required: [
    'version',
    'id',
    'source',
    'name',
    'container',
    'runtime',
    'arch',
    'kernel',
    'startedAt',
    'endedAt',
    'syscalls',
    'unknown',
    'lost',
  ],
  properties: {
    version: {const: RECORDING_VERSION},
    id: {type: 'string', pattern: RECORDING_ID.source},
    source: {enum: [...RECORDING_SOURCES]},
    name: {type: 'string', minLength: 1, maxLength: 512},
    container: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'name', 'pod', 'namespace', 'workload'],
      properties: {
        id: nullableString(256),
        name: {type: 'string', maxLength: 512},
        pod: nullableString(253),
        namespace: nullableString(253),
        workload: nullableString(253),
      },
    },
    runtime: {type: 'string', minLength: 1, maxLength: 64},
    arch: {type: 'string', pattern: '^SCMP_ARCH_[A-Z0-9_]{1,32}$'},
    kernel: {type: 'string', maxLength: 256},
    startedAt: isoTime,
    endedAt: isoTime,
    syscalls: {
      type: 'object',
      additionalProperties: false,
      properties: Object.fromEntries(ABIS.map((abi) => [abi, syscallNames])),
    },
    unknown: {
      type: 'array',
      maxItems: 4096,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['abi', 'nr'],
        properties: {abi: {enum: [...ABIS]}, nr: {type: 'integer', minimum: 0, maximum: 4_294_967_295}},
      },
    },
    lost: {type: 'integer', minimum: 0},
    interrupted: {const: true},
    quota: {
      type: 'object',
      additionalProperties: false,
      required: ['nested', 'words'],
      properties: {nested: {type: 'integer', minimum: 0}, words: {type: 'integer', minimum: 0}},
    },
    command: {type: 'array', maxItems: 4096, items: {type: 'string', maxLength: 65536}},
    exitCode: {type: ['integer', 'null'], minimum: 0, maximum: 255},
    arguments: RECORDED_ARGUMENTS_SCHEMA,
  },
} as const

let compiled: ReturnType<Ajv['compile']> | undefined
function validator(): ReturnType<Ajv['compile']> {
  compiled ??= new Ajv({allErrors: true, strict: true}).compile(RECORDING_SCHEMA)
  return compiled
}

export type RecordingCheck =
  {valid: true; recording: Recording; errors: []} | {valid: false; recording?: undefined; errors: string[]}

/** Checks a parsed document against RECORDING_SCHEMA plus what a schema cannot say (valid times, name rules). */
export function validateRecording(document: unknown): RecordingCheck {
  const validate = validator()
  if (!validate(document)) return {valid: false, errors: (validate.errors ?? []).map(describeError)}
  const recording = document as Recording
  const errors: string[] = []
  const nameProblem = profileNameProblem(recording.name)
  if (nameProblem) errors.push(`/name: ${nameProblem}`)
  for (const key of ['startedAt', 'endedAt'] as const)
    if (Number.isNaN(Date.parse(recording[key]))) errors.push(`/${key}: not a real date and time`)
  for (const [abi, names] of Object.entries(recording.syscalls)) {
    for (let i = 1; i < names.length; i++)
      if (names[i - 1]! >= names[i]!) errors.push(`/syscalls/${abi}: names must be sorted and unique`)
  }
  errors.push(...recordedArgumentsProblems(recording))
  return errors.length > 0 ? {valid: false, errors: [...new Set(errors)]} : {valid: true, recording, errors: []}
}

const U64_LIMIT = (1n << 64n) - 1n

/**
 * What the schema cannot say about `arguments`: values are u64 (≤ 2^64-1), every tuple has one value per position,
 * positions are distinct. The rest is made right when profiles are built (profile/argument-rules.ts): bits outside
 * a mask are masked off, tuples sorted and deduplicated, a syscall not seen natively allowed by name.
 */
export function recordedArgumentsProblems(recording: Pick<Recording, 'arguments'>): string[] {
  const errors: string[] = []
  for (const [name, args] of Object.entries(recording.arguments ?? {})) {
    const at = `/arguments/${name}`
    const indexes = args.positions.map((p) => p.index)
    if (new Set(indexes).size !== indexes.length) errors.push(`${at}/positions: an index is listed twice`)
    if (args.positions.some((p) => p.mask !== undefined && BigInt(p.mask) > U64_LIMIT))
      errors.push(`${at}/positions: a mask is larger than 2^64-1`)
    for (const [t, tuple] of args.values.entries()) {
      if (tuple.length !== args.positions.length)
        errors.push(`${at}/values/${t}: needs one value per position (${args.positions.length}), has ${tuple.length}`)
      else if (tuple.some((digits) => BigInt(digits) > U64_LIMIT)) errors.push(`${at}/values/${t}: larger than 2^64-1`)
    }
  }
  return errors
}

/** Tuples of decimal u64 strings in numeric order. */
export function compareTuples(a: readonly string[], b: readonly string[]): number {
  for (let i = 0; i < Math.max(a.length, b.length); i++) {
    if (a[i] === undefined || b[i] === undefined) return a[i] === undefined ? -1 : 1
    const x = BigInt(a[i]!)
    const y = BigInt(b[i]!)
    if (x !== y) return x < y ? -1 : 1
  }
  return 0
}

function describeError(error: ErrorObject): string {
  const at = error.instancePath === '' ? '/' : error.instancePath
  const params = error.params as Record<string, unknown>
  if (error.keyword === 'additionalProperties') return `${at}: unknown property "${String(params.additionalProperty)}"`
  if (error.keyword === 'required') return `${at}: missing property "${String(params.missingProperty)}"`
  if (error.keyword === 'const' || error.keyword === 'enum')
    return `${at}: must be ${JSON.stringify(params.allowedValue ?? params.allowedValues)}`
  return `${at}: ${error.message ?? error.keyword}`
}

/** A fresh recording id: UTC time of the end, container id prefix (if any), 12 random hex digits. Sorts by time. */
export function newRecordingId(endedAt: Date = new Date(), containerId: string | null = null): string {
  const stamp = endedAt
    .toISOString()
    .replace(/[-:]/g, '')
    .replace(/\.(\d{3})Z$/, '$1Z')
  const container = containerId ? `-${containerId.replace(/[^A-Za-z0-9]/g, '').slice(0, 12)}` : ''
  return `${stamp}${container}-${randomBytes(6).toString('hex')}`
}

/** SCMP_ARCH_* of this machine (the architecture of the kernel the recorder ran on). */
export function machineArch(): string {
  const abi = nativeAbi()
  return abi === undefined ? `SCMP_ARCH_${process.arch.toUpperCase()}` : SCMP_ARCH_BY_ABI[abi]
}

export interface NewRecording {
  /** A chosen id (default: a fresh one): writing the same run again then replaces it instead of adding one. */
  id?: string
  source: RecordingSource
  name: string
  container?: Partial<RecordingContainer>
  runtime: string
  set: SyscallSet
  lost?: number
  interrupted?: boolean
  quota?: QuotaExceeded
  startedAt: Date
  endedAt?: Date
  command?: string[]
  exitCode?: number | null
}

/**
 * A complete, valid Recording from what a recorder knows, filling in id, arch, kernel and the time it ended.
 * Names are sorted and deduplicated here. Throws if the result does not validate (a programming error).
 */
export function createRecording(input: NewRecording): Recording {
  const endedAt = input.endedAt ?? new Date()
  const names: SyscallSet['names'] = {}
  for (const [abi, list] of Object.entries(input.set.names) as Array<[keyof SyscallSet['names'], string[]]>) {
    if (list.length > 0) names[abi] = [...new Set(list)].sort()
  }
  const containerId = input.container?.id ?? null
  const recording: Recording = {
    version: 1,
    id: input.id ?? newRecordingId(endedAt, containerId),
    source: input.source,
    name: input.name,
    container: {
      id: containerId,
      name: input.container?.name ?? '',
      pod: input.container?.pod ?? null,
      namespace: input.container?.namespace ?? null,
      workload: input.container?.workload ?? null,
    },
    runtime: input.runtime,
    arch: machineArch(),
    kernel: release(),
    startedAt: input.startedAt.toISOString(),
    endedAt: endedAt.toISOString(),
    syscalls: names,
    unknown: [...input.set.unknown],
    lost: input.lost ?? 0,
  }
  if (input.interrupted === true) recording.interrupted = true
  if (quotaExceeded(input.quota)) recording.quota = {nested: input.quota!.nested, words: input.quota!.words}
  if (input.command !== undefined) recording.command = input.command
  if (input.exitCode !== undefined) recording.exitCode = input.exitCode
  const check = validateRecording(recording)
  if (!check.valid) throw new Error(`invalid recording: ${check.errors.join('; ')}`)
  return recording
}

/** The syscall set of a recording. */
export function recordingSyscallSet(recording: Recording): SyscallSet {
  return {names: recording.syscalls, unknown: recording.unknown}
}
