/** `profiles why --json` (src/aggregate/why.ts, WhyAnswer) and the runs `diff --why` adds. */
const nullableString = {type: ['string', 'null']} as const
const nullableCount = {type: ['integer', 'null'], minimum: 0} as const

export const PROVENANCE_RUN_OUTPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['recording', 'name', 'source', 'runtime', 'startedAt', 'endedAt'],
  properties: {
    recording: {type: 'string'},
    name: {type: 'string'},
    source: {type: 'string'},
    runtime: {type: 'string'},
    startedAt: {type: 'string'},
    endedAt: {type: 'string'},
    container: nullableString,
    pod: nullableString,
    namespace: nullableString,
    command: nullableString,
    label: nullableString,
  },
} as const

const runs = {type: 'array', items: PROVENANCE_RUN_OUTPUT} as const

export const PROFILES_WHY_OUTPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['profile', 'path', 'syscall', 'allowed', 'recordings', 'seenBy', 'runs', 'cut', 'arguments', 'note'],
  properties: {
    profile: {type: 'string'},
    path: {type: 'string'},
    syscall: {type: 'string'},
    allowed: {type: 'boolean'},
    recordings: nullableCount,
    seenBy: nullableCount,
    runs,
    cut: {type: 'boolean'},
    arguments: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['values', 'runs'],
        properties: {values: {type: 'string'}, runs},
      },
    },
    note: nullableString,
  },
} as const
