import {stringList, violation} from './common.js'

const sha256 = {type: 'string', pattern: '^[0-9a-f]{64}$'} as const
const absolutePath = {type: 'string', pattern: '^/'} as const
/** A localhostProfile: relative, `/`-separated safe segments, ending in .json. */
const localhostProfile = {
  type: 'string',
  pattern: '^[A-Za-z0-9_-][A-Za-z0-9._-]*(/[A-Za-z0-9_-][A-Za-z0-9._-]*)*\\.json$',
} as const

/** `publish --json` (both into a directory and with --kubernetes) */
export const PUBLISH_OUTPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['mode', 'root', 'prefix', 'dryRun', 'profiles', 'skipped', 'cleaned', 'kubernetes'],
  properties: {
    mode: {enum: ['directory', 'kubernetes']},
    root: absolutePath,
    prefix: {type: 'string'},
    dryRun: {type: 'boolean'},
    profiles: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: [
          'source',
          'name',
          'localhostProfile',
          'path',
          'sha256',
          'bytes',
          'action',
          'backup',
          'tracked',
          'createdDirs',
          'configMapKey',
          'securityContext',
          'warnings',
        ],
        properties: {
          source: {type: 'string'},
          name: {type: 'string', minLength: 1},
          localhostProfile,
          path: absolutePath,
          sha256,
          bytes: {type: 'integer', minimum: 1},
          action: {enum: ['create', 'update', 'replace', 'unchanged', 'configmap']},
          backup: {type: ['string', 'null']},
          tracked: {type: 'boolean'},
          createdDirs: stringList,
          configMapKey: {type: ['string', 'null'], pattern: '^[-._a-zA-Z0-9]{1,253}$'},
          securityContext: {
            type: 'object',
            additionalProperties: false,
            required: ['seccompProfile'],
            properties: {
              seccompProfile: {
                type: 'object',
                additionalProperties: false,
                required: ['type', 'localhostProfile'],
                properties: {type: {const: 'Localhost'}, localhostProfile},
              },
            },
          },
          warnings: {type: 'array', items: violation},
        },
      },
    },
    skipped: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'reason'],
        properties: {path: {type: 'string'}, reason: {type: 'string'}},
      },
    },
    cleaned: stringList,
    kubernetes: {
      oneOf: [
        {type: 'null'},
        {
          type: 'object',
          additionalProperties: false,
          required: ['namespace', 'configMap', 'daemonSet', 'image', 'hostPath', 'output', 'yaml'],
          properties: {
            namespace: {type: 'string'},
            configMap: {type: 'string'},
            daemonSet: {type: 'string'},
            image: {type: 'string'},
            hostPath: absolutePath,
            output: {type: ['string', 'null']},
            yaml: {type: 'string', minLength: 1},
          },
        },
      ],
    },
  },
} as const

/** `published list --json` */
export const PUBLISHED_LIST_OUTPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['root', 'manifest', 'profiles'],
  properties: {
    root: absolutePath,
    manifest: absolutePath,
    profiles: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['localhostProfile', 'path', 'status', 'sha256', 'bytes', 'publishedAt', 'source'],
        properties: {
          localhostProfile,
          path: absolutePath,
          status: {enum: ['ok', 'modified', 'missing']},
          sha256,
          bytes: {type: 'integer', minimum: 0},
          publishedAt: {type: 'string'},
          source: {type: 'string'},
        },
      },
    },
  },
} as const

/** `unpublish --json` */
export const UNPUBLISH_OUTPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['root', 'dryRun', 'profiles'],
  properties: {
    root: absolutePath,
    dryRun: {type: 'boolean'},
    profiles: {
      type: 'array',
      minItems: 1,
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['localhostProfile', 'path', 'action', 'removedDirs'],
        properties: {
          localhostProfile,
          path: absolutePath,
          action: {enum: ['removed', 'forgotten', 'already-gone']},
          removedDirs: stringList,
        },
      },
    },
  },
} as const
