/** `wait --json` */
export const WAIT_OUTPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['done', 'waitedMs', 'pending'],
  properties: {
    done: {type: 'boolean'},
    waitedMs: {type: 'integer', minimum: 0},
    pending: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'subject', 'why'],
        properties: {kind: {enum: ['container', 'output']}, subject: {type: 'string'}, why: {type: 'string'}},
      },
    },
  },
} as const
