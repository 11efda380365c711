/** One thing gc did (or, with --dry-run, would do). */
const action = {
  type: 'object',
  additionalProperties: false,
  required: ['action', 'subject', 'mntns', 'nsId', 'reason', 'done', 'outputs'],
  properties: {
    action: {enum: ['finalise', 'salvage', 'discard', 'release', 'clean']},
    subject: {type: 'string'},
    mntns: {type: ['integer', 'null'], minimum: 0},
    nsId: {type: ['integer', 'null'], minimum: 0},
    reason: {type: 'string'},
    done: {type: 'boolean'},
    syscalls: {type: 'integer', minimum: 0},
    outputs: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['kind', 'path'],
        properties: {kind: {enum: ['trace-syscall', 'store']}, path: {type: 'string'}, name: {type: 'string'}},
      },
    },
    error: {type: 'string'},
  },
} as const

/** `gc --json` (and the `repair` part of `status --repair --json`) */
export const GC_OUTPUT = {
  type: 'object',
  additionalProperties: false,
  required: ['dryRun', 'spool', 'store', 'actions', 'kept', 'detached', 'failed'],
  properties: {
    dryRun: {type: 'boolean'},
    spool: {type: 'string'},
    store: {type: 'string'},
    actions: {type: 'array', items: action},
    kept: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['subject', 'mntns', 'nsId', 'reason'],
        properties: {
          subject: {type: 'string'},
          mntns: {type: ['integer', 'null'], minimum: 0},
          nsId: {type: ['integer', 'null'], minimum: 0},
          reason: {type: 'string'},
        },
      },
    },
    detached: {type: 'boolean'},
    failed: {type: 'integer', minimum: 0},
  },
} as const
