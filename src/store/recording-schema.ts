import {ABIS} from '../syscalls/index.js'
import {LABEL_PATTERN, MAX_LABEL} from './names.js'
import {ARGUMENT_BOUNDS} from '../syscalls/arguments.js'

/** Who wrote it: the OCI hook's poststop (or gc finishing what a lost poststop left), `record`, or gc salvaging a target nobody finalised. */
export type RecordingSource = 'hook' | 'record' | 'gc'
export const RECORDING_SOURCES: readonly RecordingSource[] = ['hook', 'record', 'gc']

export const RECORDING_VERSION = 1
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

/** A u64 in plain decimal digits (the range is checked where a schema cannot: validateRecording). */
export const U64_STRING_SCHEMA = {type: 'string', pattern: '^(0|[1-9][0-9]{0,19})$', maxLength: 20} as const
/** The argument positions a syscall's values were recorded at (recordings, coverage sidecars, drift findings). */
export const ARGUMENT_POSITIONS_SCHEMA = {
  type: 'array',
  minItems: 1,
  maxItems: ARGUMENT_BOUNDS.positions,
  items: {
    type: 'object',
    additionalProperties: false,
    required: ['index'],
    properties: {index: {type: 'integer', minimum: 0, maximum: 5}, mask: U64_STRING_SCHEMA},
  },
} as const
/** `quota`: what the kernel refused because the run reached a quota (nested namespaces, syscall words). */
export const RECORDING_QUOTA_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['nested', 'words'],
  properties: {nested: {type: 'integer', minimum: 0}, words: {type: 'integer', minimum: 0}},
} as const
/** `arguments`: bounded; what a schema cannot say (u64 range, masks, order, names in syscalls.x86_64) is checked in validateRecording. */
export const RECORDED_ARGUMENTS_SCHEMA = {
  type: 'object',
  maxProperties: ARGUMENT_BOUNDS.syscalls,
  propertyNames: {pattern: '^_?[a-z0-9][a-z0-9_]{0,62}$'},
  additionalProperties: {
    type: 'object',
    additionalProperties: false,
    required: ['positions', 'values'],
    properties: {
      positions: ARGUMENT_POSITIONS_SCHEMA,
      values: {
        type: 'array',
        maxItems: ARGUMENT_BOUNDS.values,
        items: {type: 'array', minItems: 1, maxItems: ARGUMENT_BOUNDS.positions, items: U64_STRING_SCHEMA},
      },
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
    quota: RECORDING_QUOTA_SCHEMA,
    arguments: RECORDED_ARGUMENTS_SCHEMA,
    command: {type: 'array', maxItems: 4096, items: {type: 'string', maxLength: 65536}},
    exitCode: {type: ['integer', 'null'], minimum: 0, maximum: 255},
    check: {
      type: 'object',
      additionalProperties: false,
      required: ['acceptedAt'],
      properties: {acceptedAt: {anyOf: [isoTime, {type: 'null'}]}},
    },
    label: {type: 'string', minLength: 1, maxLength: MAX_LABEL, pattern: LABEL_PATTERN.source},
  },
} as const
