import {PROFILE_SCHEMA} from '../profile/schema.js'

/**
 * JSON Schemas of what each command prints with `--json`, keyed by command id. The output is part of the
 * interface scripts rely on: test/cli/json-output.test.ts runs every command and checks its output here.
 */

const violation = {
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
  },
} as const

const stringList = {type: 'array', items: {type: 'string'}} as const

/** What oclif prints for a failed command under --json. */
export const ERROR_OUTPUT_SCHEMA = {
  type: 'object',
  required: ['error'],
  properties: {
    error: {
      type: 'object',
      required: ['message'],
      properties: {message: {type: 'string'}, code: {type: 'string'}, suggestions: stringList, oclif: {type: 'object', properties: {exit: {type: 'integer'}}}},
    },
  },
} as const

export const OUTPUT_SCHEMAS: Record<string, object> = {
  validate: {
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
  },
  'profiles show': {
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
        required: ['format', 'defaultAction', 'defaultErrnoRet', 'architectures', 'flags', 'rules', 'allowed', 'denied', 'conditional', 'namesByAction'],
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
            items: {type: 'object', additionalProperties: false, required: ['names', 'action', 'conditions'], properties: {names: stringList, action: {type: 'string'}, conditions: stringList}},
          },
          namesByAction: {type: 'object', additionalProperties: {type: 'integer', minimum: 0}},
        },
      },
    },
  },
}
