import {ARGUMENT_BOUNDS} from '../syscalls/arguments.js'
import {ARGUMENT_POSITIONS_SCHEMA, U64_STRING_SCHEMA} from './recording-schema.js'

/** Bounds of a sidecar's provenance (docs/REFERENCE.md, "Provenance"): runs per syscall or tuple, runs in all, text. */
export const PROVENANCE_REFS = 5
export const PROVENANCE_RUNS = 256
export const PROVENANCE_TEXT = 256

const count = {type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER} as const
const text = (maxLength: number) => ({type: ['string', 'null'], maxLength}) as const
const refs = {
  type: 'array',
  maxItems: PROVENANCE_REFS,
  items: {type: 'integer', minimum: 0, maximum: PROVENANCE_RUNS - 1},
} as const
const PROVENANCE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['runs', 'syscalls'],
  properties: {
    runs: {
      type: 'array',
      maxItems: PROVENANCE_RUNS,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['recording', 'name', 'source', 'runtime', 'startedAt', 'endedAt'],
        properties: {
          recording: {type: 'string', maxLength: 100},
          name: {type: 'string', maxLength: 512},
          source: {type: 'string', maxLength: 16},
          runtime: {type: 'string', maxLength: 64},
          startedAt: {type: 'string', maxLength: 40},
          endedAt: {type: 'string', maxLength: 40},
          container: text(512),
          pod: text(253),
          namespace: text(253),
          command: text(PROVENANCE_TEXT),
          label: text(128),
        },
      },
    },
    syscalls: {type: 'object', propertyNames: {pattern: '^[a-z0-9_]+$'}, additionalProperties: refs},
    arguments: {
      type: 'object',
      propertyNames: {pattern: '^[a-z0-9_]+$'},
      additionalProperties: {
        type: 'object',
        maxProperties: 1024,
        propertyNames: {pattern: '^[0-9]{1,20}(,[0-9]{1,20}){0,5}$'},
        additionalProperties: refs,
      },
    },
    cut: {type: 'array', maxItems: 4096, items: {type: 'string', pattern: '^[a-z0-9_]+$'}},
  },
} as const

/** `arguments` of the sidecar: bounded like the profile's rules (argument-rules.ts). */
const ARGUMENT_COVERAGE_SCHEMA = {
  type: 'object',
  maxProperties: ARGUMENT_BOUNDS.syscalls,
  propertyNames: {pattern: '^[a-z0-9_]+$'},
  additionalProperties: {
    type: 'object',
    additionalProperties: false,
    required: ['positions', 'values'],
    properties: {
      positions: ARGUMENT_POSITIONS_SCHEMA,
      values: {
        type: 'array',
        maxItems: 4096,
        items: {
          type: 'object',
          additionalProperties: false,
          required: ['value', 'recordings'],
          properties: {value: {type: 'array', minItems: 1, maxItems: 6, items: U64_STRING_SCHEMA}, recordings: count},
        },
      },
    },
  },
} as const

/** JSON Schema of the sidecar (also describes `coverage` in `profiles build --json`). */
export const COVERAGE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['recordings', 'syscalls'],
  properties: {
    recordings: count,
    syscalls: {type: 'object', propertyNames: {pattern: '^[a-z0-9_]+$'}, additionalProperties: count},
    arguments: ARGUMENT_COVERAGE_SCHEMA,
    provenance: PROVENANCE_SCHEMA,
  },
} as const
