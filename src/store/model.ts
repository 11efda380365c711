import {randomBytes} from 'node:crypto'
import {release} from 'node:os'
import type {ErrorObject} from 'ajv'
import {nativeAbi, SCMP_ARCH_BY_ABI} from '../syscalls/index.js'
import type {SyscallSet} from '../syscalls/syscall-set.js'
import {quotaExceeded, type QuotaExceeded} from '../kernel/quotas.js'
import {LABEL_PATTERN, MAX_LABEL, profileNameProblem} from './names.js'
import {RECORDING_ID, RECORDING_SOURCES, RECORDING_VERSION, type RecordingSource} from './recording-schema.js'
import {validateRecordingSchema} from './recording-validator.generated.js'

export {
  RECORDING_ID,
  RECORDING_SCHEMA,
  RECORDING_SOURCES,
  RECORDING_VERSION,
  type RecordingSource,
} from './recording-schema.js'
import {recordedArgumentsProblem, type ArgumentsBySyscall} from '../syscalls/arguments.js'

export type {RecordedArguments} from '../syscalls/arguments.js'

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
  /**
   * Argument values seen for the curated syscalls (x86_64 only); absent = none recorded (older recordings,
   * --args off). Every syscall here is in `syscalls.x86_64`; `overflow` says the kernel saw more distinct values
   * than it keeps (the syscall is then allowed by name).
   */
  arguments?: ArgumentsBySyscall
  command?: string[]
  exitCode?: number | null
  /** A free label of the run (`record --label`, annotation `seccomp-recorder.io/label`): provenance for reviewers. */
  label?: string
  /**
   * A check run (complain mode, `seccomp-recorder.io/check`): the container ran under the complain variant of the
   * profile `name`; `drift` compares it with that name's enforcing profile. It does not contribute to `profiles
   * build` until `drift --accept` sets `acceptedAt` (then it counts like any other run of the name).
   */
  check?: CheckRun
}

export interface CheckRun {
  /** ISO 8601: when `drift --accept` folded this run into the profile; null while it is pending. */
  acceptedAt: string | null
}

/** A check run nobody accepted yet: `drift` reports it, `profiles build` leaves it out. */
export const isPendingCheckRun = (recording: Pick<Recording, 'check'>): boolean =>
  recording.check !== undefined && recording.check.acceptedAt === null

/** Whether `profiles build` unions this recording: every ordinary run and every accepted check run. */
export const contributesToProfile = (recording: Pick<Recording, 'check'>): boolean => !isPendingCheckRun(recording)

/** A recording that may lack syscalls the workload made (lost by the kernel, or the recorder interrupted). */
export const isIncomplete = (recording: Pick<Recording, 'lost' | 'interrupted' | 'quota'>): boolean =>
  recording.lost > 0 || recording.interrupted === true || quotaExceeded(recording.quota)

export interface RecordingContainer {
  id: string | null
  name: string
  pod: string | null
  namespace: string | null
  workload: string | null
}

/** A recording file larger than this is refused unread (real ones are a few KiB). */
export const MAX_RECORDING_BYTES = 1024 * 1024

export type RecordingCheck =
  {valid: true; recording: Recording; errors: []} | {valid: false; recording?: undefined; errors: string[]}

/** Checks a parsed document against RECORDING_SCHEMA plus what a schema cannot say (valid times, name rules). */
export function validateRecording(document: unknown): RecordingCheck {
  if (!validateRecordingSchema(document))
    return {valid: false, errors: (validateRecordingSchema.errors ?? []).map(describeError)}
  const recording = document as Recording
  const errors: string[] = []
  const nameProblem = profileNameProblem(recording.name)
  if (nameProblem) errors.push(`/name: ${nameProblem}`)
  for (const key of ['startedAt', 'endedAt'] as const)
    if (Number.isNaN(Date.parse(recording[key]))) errors.push(`/${key}: not a real date and time`)
  const acceptedAt = recording.check?.acceptedAt
  if (typeof acceptedAt === 'string' && Number.isNaN(Date.parse(acceptedAt)))
    errors.push('/check/acceptedAt: not a real date and time')
  for (const [abi, names] of Object.entries(recording.syscalls)) {
    for (let i = 1; i < names.length; i++)
      if (names[i - 1]! >= names[i]!) errors.push(`/syscalls/${abi}: names must be sorted and unique`)
  }
  errors.push(...argumentsErrors(recording))
  return errors.length > 0 ? {valid: false, errors: [...new Set(errors)]} : {valid: true, recording, errors: []}
}

/** What the schema cannot say about `arguments`: each syscall was made (x86_64), each tuple fits the model. */
function argumentsErrors(recording: Recording): string[] {
  const errors: string[] = []
  const native = new Set(recording.syscalls.x86_64 ?? [])
  for (const [name, recorded] of Object.entries(recording.arguments ?? {})) {
    if (!native.has(name)) errors.push(`/arguments/${name}: not in /syscalls/x86_64`)
    const problem = recordedArgumentsProblem(recorded, `/arguments/${name}`)
    if (problem) errors.push(problem)
  }
  return errors
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
  /** The kernel's argument values (KernelTarget.args); kept for syscalls made on x86_64 only. */
  arguments?: ArgumentsBySyscall
  startedAt: Date
  endedAt?: Date
  command?: string[]
  exitCode?: number | null
  label?: string
  /** A check run (complain mode) against the profile `name`, pending until `drift --accept`. */
  check?: boolean
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
  const args = nativeArguments(input.arguments, names.x86_64 ?? [])
  if (args !== undefined) recording.arguments = args
  if (input.command !== undefined) recording.command = input.command
  if (input.exitCode !== undefined) recording.exitCode = input.exitCode
  if (input.label !== undefined) recording.label = input.label
  if (input.check === true) recording.check = {acceptedAt: null}
  const check = validateRecording(recording)
  if (!check.valid) throw new Error(`invalid recording: ${check.errors.join('; ')}`)
  return recording
}

/** The arguments of syscalls made on x86_64, by name (the others cannot be checked by a native profile). */
function nativeArguments(args: ArgumentsBySyscall | undefined, native: string[]): ArgumentsBySyscall | undefined {
  const made = new Set(native)
  const kept = Object.keys(args ?? {})
    .filter((name) => made.has(name))
    .sort()
  return kept.length === 0 ? undefined : Object.fromEntries(kept.map((name) => [name, args![name]!]))
}

/** The syscall set of a recording. */
export function recordingSyscallSet(recording: Recording): SyscallSet {
  return {names: recording.syscalls, unknown: recording.unknown}
}
