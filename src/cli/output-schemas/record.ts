import {PROFILE_SCHEMA} from '../../profile/schema.js'
import {stringList} from './common.js'
import {RECORDED_ARGUMENTS_SCHEMA, RECORDING_QUOTA_SCHEMA} from '../../store/recording-schema.js'

const namesByAbi = {
  type: 'object',
  additionalProperties: false,
  properties: {x86_64: stringList, x86: stringList, x32: stringList, aarch64: stringList, arm: stringList},
} as const
const command = {type: 'array', minItems: 1, items: {type: 'string'}} as const
const exit = {
  exitCode: {type: 'integer', minimum: 0, maximum: 255},
  signal: {type: ['string', 'null']},
  durationMs: {type: 'number', minimum: 0},
} as const

/** `record --json -- CMD` */
const RECORD_COMMAND_OUTPUT = {
  type: 'object',
  additionalProperties: false,
  required: [
    'command',
    'exitCode',
    'signal',
    'durationMs',
    'syscalls',
    'unknown',
    'lost',
    'quota',
    'output',
    'profile',
  ],
  properties: {
    command,
    ...exit,
    syscalls: namesByAbi,
    unknown: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['abi', 'nr'],
        properties: {abi: {type: 'string'}, nr: {type: 'integer', minimum: 0}},
      },
    },
    lost: {type: 'integer', minimum: 0},
    quota: RECORDING_QUOTA_SCHEMA,
    arguments: RECORDED_ARGUMENTS_SCHEMA,
    output: {type: ['string', 'null']},
    profile: {...PROFILE_SCHEMA, $id: undefined},
  },
} as const

/** `run --json` */
export const RUN_OUTPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['command', 'profile', 'exitCode', 'signal', 'durationMs', 'denied'],
  properties: {
    command,
    profile: {type: 'string'},
    ...exit,
    denied: {
      type: ['array', 'null'],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['pid', 'comm', 'abi', 'nr'],
        properties: {
          pid: {type: 'integer'},
          comm: {type: 'string'},
          abi: {type: 'string'},
          nr: {type: 'integer'},
          name: {type: 'string'},
        },
      },
    },
  },
} as const

const nullableString = {type: ['string', 'null']} as const

/** `record --podman|--bundle --json` (src/container-record/record-container.ts) */
const RECORD_CONTAINER_OUTPUT = {
  type: 'object',
  additionalProperties: false,
  required: [
    'mode',
    'runtime',
    'name',
    'label',
    'containerId',
    'exitCode',
    'signal',
    'durationMs',
    'recording',
    'profile',
    'finalisedAtCleanup',
  ],
  properties: {
    mode: {enum: ['podman', 'bundle']},
    runtime: nullableString,
    name: nullableString,
    label: nullableString,
    containerId: nullableString,
    ...exit,
    recording: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'syscalls', 'incomplete'],
      properties: {id: {type: 'string'}, syscalls: {type: 'integer', minimum: 0}, incomplete: {type: 'boolean'}},
    },
    profile: {
      type: 'object',
      additionalProperties: false,
      required: ['recordings', 'syscalls', 'output', 'coverage', 'store'],
      properties: {
        recordings: {type: 'integer', minimum: 1},
        syscalls: {type: 'integer', minimum: 0},
        output: nullableString,
        coverage: nullableString,
        store: nullableString,
      },
    },
    finalisedAtCleanup: {type: 'integer', minimum: 0},
  },
} as const

/** `record --json`: a command's run, or a container's (--podman, --bundle). */
export const RECORD_OUTPUT = {oneOf: [RECORD_COMMAND_OUTPUT, RECORD_CONTAINER_OUTPUT]} as const
