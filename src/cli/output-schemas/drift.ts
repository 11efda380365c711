import {ARGUMENT_POSITIONS_SCHEMA} from '../../store/recording-schema.js'
import {invalidRecordingFile} from './profiles-build.js'
import {stringList} from './common.js'

const nullableString = {type: ['string', 'null']} as const

const driftRun = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'startedAt', 'endedAt', 'runtime', 'source', 'container', 'command'],
  properties: {
    id: {type: 'string'},
    startedAt: {type: 'string'},
    endedAt: {type: 'string'},
    runtime: {type: 'string'},
    source: {enum: ['hook', 'record', 'gc']},
    container: {
      type: 'object',
      additionalProperties: false,
      required: ['id', 'name', 'pod', 'namespace'],
      properties: {id: nullableString, name: {type: 'string'}, pod: nullableString, namespace: nullableString},
    },
    command: {anyOf: [stringList, {type: 'null'}]},
  },
} as const

/** `drift --json` */
export const DRIFT_OUTPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['store', 'names', 'findings', 'invalid', 'accepted'],
  properties: {
    store: {type: 'string'},
    findings: {type: 'integer', minimum: 0},
    names: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'profile', 'checkRuns', 'findings'],
        properties: {
          name: {type: 'string', minLength: 1},
          profile: {type: 'string'},
          checkRuns: {type: 'integer', minimum: 0},
          findings: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['syscall', 'description', 'runs'],
              properties: {
                syscall: {type: 'string'},
                description: {type: 'string'},
                arguments: {
                  type: 'object',
                  additionalProperties: false,
                  required: ['positions', 'values'],
                  properties: {
                    positions: ARGUMENT_POSITIONS_SCHEMA,
                    values: stringList,
                  },
                },
                runs: {type: 'array', minItems: 1, items: driftRun},
              },
            },
          },
        },
      },
    },
    accepted: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'runs', 'profile', 'complain'],
        properties: {
          name: {type: 'string'},
          runs: {type: 'integer', minimum: 0},
          profile: {type: 'string'},
          complain: nullableString,
        },
      },
    },
    invalid: {type: 'array', items: invalidRecordingFile},
  },
} as const
