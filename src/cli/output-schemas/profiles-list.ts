import {stringList} from './common.js'
import {RECORDING_SOURCES} from '../../store/model.js'
import {invalidRecordingFile} from './profiles-build.js'

/** `profiles list --json` */
export const PROFILES_LIST_OUTPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['store', 'profiles', 'invalid'],
  properties: {
    store: {type: 'string'},
    profiles: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: [
          'name',
          'recordings',
          'incomplete',
          'namespaces',
          'workloads',
          'containers',
          'runtimes',
          'sources',
          'firstStartedAt',
          'lastEndedAt',
          'built',
        ],
        properties: {
          name: {type: 'string', minLength: 1},
          recordings: {type: 'integer', minimum: 1},
          incomplete: {type: 'integer', minimum: 0},
          namespaces: stringList,
          workloads: stringList,
          containers: stringList,
          runtimes: stringList,
          sources: {type: 'array', items: {enum: [...RECORDING_SOURCES]}},
          firstStartedAt: {type: 'string'},
          lastEndedAt: {type: 'string'},
          built: {
            type: ['object', 'null'],
            additionalProperties: false,
            required: ['path', 'coveragePath', 'builtAt', 'recordings', 'upToDate'],
            properties: {
              path: {type: 'string'},
              coveragePath: {type: 'string'},
              builtAt: {type: 'string'},
              recordings: {type: ['integer', 'null'], minimum: 0},
              upToDate: {type: 'boolean'},
            },
          },
        },
      },
    },
    invalid: {type: 'array', items: invalidRecordingFile},
  },
} as const
