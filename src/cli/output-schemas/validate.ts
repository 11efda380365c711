import {violation} from './common.js'

/** `validate --json` */
export const VALIDATE_OUTPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['valid', 'strict', 'profiles'],
  properties: {
    valid: {type: 'boolean'},
    strict: {type: 'boolean'},
    profiles: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'valid', 'readable', 'format', 'errors', 'warnings'],
        properties: {
          path: {type: 'string'},
          valid: {type: 'boolean'},
          readable: {type: 'boolean'},
          format: {enum: ['oci', 'docker', null]},
          errors: {type: 'array', items: violation},
          warnings: {type: 'array', items: violation},
        },
      },
    },
  },
} as const
