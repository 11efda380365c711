const count = {type: 'integer', minimum: 0, maximum: Number.MAX_SAFE_INTEGER} as const

/** JSON Schema of the sidecar (also describes `coverage` in `profiles build --json`). */
export const COVERAGE_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['recordings', 'syscalls'],
  properties: {
    recordings: count,
    syscalls: {type: 'object', propertyNames: {pattern: '^[a-z0-9_]+$'}, additionalProperties: count},
  },
} as const
