/** Pieces shared by the --json output schemas. */

export const violation = {
  type: 'object',
  additionalProperties: false,
  required: ['severity', 'code', 'pointer', 'message'],
  properties: {
    severity: {enum: ['error', 'warning']},
    code: {type: 'string'},
    pointer: {type: 'string'},
    message: {type: 'string'},
    line: {type: 'integer', minimum: 1},
    column: {type: 'integer', minimum: 1},
    /** Only on the entry that stands for the violations of this code left out (at most 20 per code are listed). */
    more: {type: 'integer', minimum: 1},
  },
} as const

export const stringList = {type: 'array', items: {type: 'string'}} as const

/** What oclif prints for a failed command under --json. */
export const ERROR_OUTPUT_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['message'],
      properties: {
        message: {type: 'string'},
        code: {type: 'string'},
        suggestions: stringList,
        oclif: {type: 'object', properties: {exit: {type: 'integer'}}},
      },
    },
  },
} as const
