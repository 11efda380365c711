import {PROFILE_SCHEMA} from '../../profile/schema.js'
import {stringList, violation} from './common.js'

/** `profiles show --json` */
export const PROFILES_SHOW_OUTPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['path', 'summary', 'normalised', 'warnings'],
  properties: {
    path: {type: 'string'},
    normalised: {...PROFILE_SCHEMA, $id: undefined},
    warnings: {type: 'array', items: violation},
    summary: {
      type: 'object',
      additionalProperties: false,
      required: [
        'format',
        'defaultAction',
        'defaultErrnoRet',
        'architectures',
        'flags',
        'rules',
        'allowed',
        'denied',
        'conditional',
        'namesByAction',
      ],
      properties: {
        format: {enum: ['oci', 'docker']},
        defaultAction: {type: 'string'},
        defaultErrnoRet: {type: ['integer', 'null']},
        architectures: stringList,
        flags: stringList,
        rules: {type: 'integer', minimum: 0},
        allowed: stringList,
        denied: stringList,
        conditional: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['names', 'action', 'conditions'],
            properties: {names: stringList, action: {type: 'string'}, conditions: stringList},
          },
        },
        namesByAction: {type: 'object', additionalProperties: {type: 'integer', minimum: 0}},
        allowedValues: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['name', 'values'],
            properties: {name: {type: 'string'}, values: stringList},
          },
        },
      },
    },
  },
} as const
