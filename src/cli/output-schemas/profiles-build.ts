import {COVERAGE_SCHEMA} from '../../store/coverage.js'
import {PROFILE_SCHEMA} from '../../profile/schema.js'
import {stringList} from './common.js'
import {BUILD_ARGUMENTS_SCHEMA} from '../formatters/profiles-build-arguments.js'

/** A file that is not a valid recording (skipped). Shared by `profiles build` and `profiles list`. */
export const invalidRecordingFile = {
  type: 'object',
  additionalProperties: false,
  required: ['path', 'reason'],
  properties: {path: {type: 'string'}, reason: {type: 'string'}},
} as const

const nullableTime = {type: ['string', 'null']} as const
const nullablePath = {type: ['string', 'null']} as const

/** `profiles build --json` (also `--format json`) */
export const PROFILES_BUILD_OUTPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['store', 'format', 'mode', 'dryRun', 'base', 'profiles', 'invalid'],
  properties: {
    store: {type: 'string'},
    format: {enum: ['oci', 'spo']},
    mode: {enum: ['enforce', 'complain']},
    dryRun: {type: 'boolean'},
    base: nullablePath,
    profiles: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: [
          'name',
          'recordings',
          'syscalls',
          'incomplete',
          'unknown',
          'fromBase',
          'firstStartedAt',
          'lastEndedAt',
          'runtimes',
          'arches',
          'coverage',
          'profile',
          'written',
          'checkRuns',
        ],
        properties: {
          name: {type: 'string', minLength: 1},
          recordings: {type: 'integer', minimum: 1},
          syscalls: {type: 'integer', minimum: 0},
          incomplete: {type: 'integer', minimum: 0},
          unknown: {
            type: 'array',
            items: {
              type: 'object',
              additionalProperties: false,
              required: ['abi', 'nr', 'recordings'],
              properties: {
                abi: {type: 'string'},
                nr: {type: 'integer', minimum: 0},
                recordings: {type: 'integer', minimum: 1},
              },
            },
          },
          fromBase: stringList,
          firstStartedAt: nullableTime,
          lastEndedAt: nullableTime,
          runtimes: stringList,
          arches: stringList,
          coverage: COVERAGE_SCHEMA,
          profile: {...PROFILE_SCHEMA, $id: undefined},
          written: {
            type: 'object',
            additionalProperties: false,
            required: ['profile', 'coverage', 'spo'],
            properties: {profile: nullablePath, coverage: nullablePath, spo: nullablePath, complain: {type: 'string'}},
          },
          checkRuns: {type: 'integer', minimum: 0},
          arguments: BUILD_ARGUMENTS_SCHEMA,
        },
      },
    },
    invalid: {type: 'array', items: invalidRecordingFile},
  },
} as const
