import {PROFILE_SCHEMA} from '../../profile/schema.js'
import {stringList} from './common.js'

/** `profiles merge --json` (also `--format json`) */
export const PROFILES_MERGE_OUTPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['profiles', 'format', 'output', 'check', 'superset', 'findings', 'resolved', 'merged'],
  properties: {
    profiles: {type: 'array', minItems: 2, items: {type: 'string'}},
    format: {enum: ['oci', 'spo']},
    output: {type: ['string', 'null']},
    check: {type: 'boolean'},
    superset: {type: ['boolean', 'null']},
    findings: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'subject', 'conditions', 'first', 'merged', 'from'],
        properties: {
          kind: {enum: ['default', 'syscall', 'architecture', 'flag']},
          subject: {type: 'string'},
          conditions: stringList,
          first: {type: ['string', 'null']},
          merged: {type: ['string', 'null']},
          from: {type: 'array', minItems: 1, items: {type: 'integer', minimum: 2}},
        },
      },
    },
    resolved: {
      oneOf: [
        {type: 'null'},
        {
          type: 'object',
          additionalProperties: false,
          required: ['arch', 'kernel', 'caps', 'profiles'],
          properties: {
            arch: {type: 'string', pattern: '^SCMP_ARCH_'},
            kernel: {type: 'string'},
            caps: stringList,
            profiles: {type: 'array', minItems: 1, items: {type: 'string'}},
          },
        },
      ],
    },
    merged: {...PROFILE_SCHEMA, $id: undefined},
  },
} as const
