export const MANIFEST_FORMAT = 'seccomp-recorder.published/v1'

const sha256Pattern = '^[0-9a-f]{64}$'
const publication = {
  type: 'object',
  additionalProperties: false,
  required: ['sha256', 'bytes', 'publishedAt', 'source'],
  properties: {
    sha256: {type: 'string', pattern: sha256Pattern},
    bytes: {type: 'integer', minimum: 0},
    publishedAt: {type: 'string'},
    source: {type: 'string'},
  },
} as const

export const MANIFEST_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['format', 'profiles'],
  properties: {
    format: {const: MANIFEST_FORMAT},
    profiles: {
      type: 'object',
      additionalProperties: {
        type: 'object',
        additionalProperties: false,
        required: ['current'],
        properties: {current: {oneOf: [{type: 'null'}, publication]}, intent: publication},
      },
    },
  },
} as const
