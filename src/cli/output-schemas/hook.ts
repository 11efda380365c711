import {GC_OUTPUT} from './gc.js'
import {stringList} from './common.js'

/** `install --json` */
export const INSTALL_OUTPUT = {
  type: 'object',
  additionalProperties: false,
  required: [
    'helper',
    'poststop',
    'hooksDirs',
    'hookFiles',
    'ociConfigs',
    'containerd',
    'config',
    'manifest',
    'recorder',
  ],
  properties: {
    helper: {type: 'string'},
    poststop: {type: 'string'},
    hooksDirs: stringList,
    hookFiles: stringList,
    ociConfigs: stringList,
    /** install --containerd: the base spec, the handler and the config lines (null without --containerd). */
    containerd: {
      type: ['object', 'null'],
      additionalProperties: false,
      required: ['config', 'handler', 'baseSpec', 'configLines', 'configWritten', 'configChanged'],
      properties: {
        config: {type: 'string'},
        handler: {type: 'string'},
        baseSpec: {type: 'string'},
        configLines: {type: 'string'},
        configWritten: {type: 'boolean'},
        configChanged: {type: 'boolean'},
      },
    },
    config: {
      type: 'object',
      additionalProperties: false,
      required: ['path', 'created'],
      properties: {path: {type: 'string'}, created: {type: 'boolean'}},
    },
    manifest: {type: 'string'},
    recorder: {
      type: 'object',
      additionalProperties: false,
      required: ['attached', 'repinned', 'reattached', 'cleaned'],
      properties: {
        attached: {type: 'boolean'},
        repinned: {type: 'boolean'},
        reattached: {type: 'boolean'},
        cleaned: {type: 'boolean'},
      },
    },
  },
} as const

/** `uninstall --json` */
export const UNINSTALL_OUTPUT = {
  type: 'object',
  additionalProperties: false,
  required: [
    'removed',
    'kept',
    'ociConfigs',
    'containerdConfigs',
    'notInstalled',
    'remaining',
    'detached',
    'activeRecordings',
    'wasInstalled',
  ],
  properties: {
    removed: stringList,
    kept: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['path', 'why'],
        properties: {path: {type: 'string'}, why: {type: 'string'}},
      },
    },
    ociConfigs: stringList,
    /** containerd configs our lines were taken out of. */
    containerdConfigs: stringList,
    notInstalled: stringList,
    remaining: stringList,
    detached: {type: 'boolean'},
    activeRecordings: {type: 'integer', minimum: 0},
    wasInstalled: {type: 'boolean'},
  },
} as const

/** `status --json` */
export const STATUS_OUTPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['ok', 'checks', 'installed', 'hookFiles', 'recorder', 'spool', 'containerd'],
  properties: {
    ok: {type: 'boolean'},
    checks: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['name', 'level', 'ok', 'detail'],
        properties: {
          name: {type: 'string'},
          /** error: cannot record (exit 4); warning: records, not everywhere; info: nothing to fix; ok. */
          level: {enum: ['ok', 'info', 'warning', 'error']},
          /** level ok or info */
          ok: {type: 'boolean'},
          detail: {type: 'string'},
          /** what to do; on every check that is not ok */
          fix: {type: 'string'},
        },
      },
    },
    installed: {type: 'boolean'},
    hookFiles: stringList,
    recorder: {
      type: ['object', 'null'],
      required: ['attached', 'targets'],
      properties: {
        attached: {type: 'boolean'},
        targets: {type: 'array'},
        prog_ids: {type: 'array', items: {type: 'integer'}},
      },
    },
    spool: stringList,
    containerd: {
      type: 'object',
      additionalProperties: false,
      required: ['version', 'configs'],
      properties: {
        version: {type: ['string', 'null']},
        configs: {
          type: 'array',
          items: {
            type: 'object',
            additionalProperties: false,
            required: ['config', 'handler', 'baseSpec', 'specPresent', 'specCurrent', 'linesPresent'],
            properties: {
              config: {type: 'string'},
              handler: {type: 'string'},
              baseSpec: {type: 'string'},
              specPresent: {type: 'boolean'},
              specCurrent: {type: 'boolean'},
              linesPresent: {type: 'boolean'},
            },
          },
        },
      },
    },
    /** `status --repair`: what the repair (gc) did, before the checks above were made. */
    repair: GC_OUTPUT,
  },
} as const

/** What bin/hook-poststop.js prints on stdout (the runtime ignores it; tests and logs read it). */
export const HOOK_POSTSTOP_OUTPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['id', 'recorded', 'outputs'],
  properties: {
    id: {type: 'string'},
    recorded: {type: 'boolean'},
    skipped: {type: 'string'},
    syscalls: {type: 'integer', minimum: 0},
    /** Curated syscalls whose argument values overflowed the kernel's bound: allowed by name. */
    argumentsOverflow: {type: 'array', items: {type: 'string'}},
    outputs: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'path'],
        properties: {kind: {enum: ['trace-syscall', 'store']}, path: {type: 'string'}, name: {type: 'string'}},
      },
    },
    warnings: {type: 'array', items: {type: 'string'}},
  },
} as const
