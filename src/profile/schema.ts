import {MAX_SYSCALL_ARGS, SECCOMP_ACTIONS, SECCOMP_ARCHES, SECCOMP_FLAGS, SECCOMP_OPERATORS} from './model.js'

/**
 * JSON Schema (draft-07, checked by ajv) for seccomp profiles, written from the OCI runtime-spec
 * (`schema/config-linux.json`, `defs-linux.json`) and the docker/moby and containers-common extensions.
 * Unknown keys are errors: a misspelt key is ignored by runtimes, which turns a reviewed profile into another one.
 */

const uint32 = {type: 'integer', minimum: 0, maximum: 4_294_967_295} as const
/**
 * Comparison values are u64. JSON.parse cannot tell 2^64-1 from 2^64, so the upper bound and the plain-digits
 * form are checked on the literal text (readArgValues in arg-value.ts), which also keeps the exact value.
 */
const uint64 = {type: 'integer', minimum: 0} as const
const arch = {type: 'string', enum: [...SECCOMP_ARCHES]} as const
const errnoName = {type: 'string', pattern: '^E[A-Z0-9]+$'} as const
/** Go writes nil slices as null; runtimes read null as "none", so optional lists accept it. */
const listOrNull = <T extends object>(schema: T) => ({type: ['array', 'null'], ...schema}) as const

const ruleFilter = {
  type: 'object',
  additionalProperties: false,
  properties: {
    caps: listOrNull({items: {type: 'string', pattern: '^CAP_[A-Z_]+$'}}),
    arches: listOrNull({items: {type: 'string', minLength: 1}}),
    minKernel: {type: 'string', pattern: '^[0-9]+\\.[0-9]+(\\.[0-9]+)?$'},
  },
} as const

const arg = {
  type: 'object',
  additionalProperties: false,
  required: ['index', 'value', 'op'],
  properties: {
    index: {type: 'integer', minimum: 0, maximum: MAX_SYSCALL_ARGS - 1},
    value: uint64,
    valueTwo: uint64,
    op: {type: 'string', enum: [...SECCOMP_OPERATORS]},
  },
} as const

const rule = {
  type: 'object',
  additionalProperties: false,
  required: ['names', 'action'],
  properties: {
    names: {type: 'array', minItems: 1, items: {type: 'string', minLength: 1, pattern: '^[a-z0-9_]+$'}},
    action: {type: 'string', enum: [...SECCOMP_ACTIONS]},
    errnoRet: uint32,
    errno: errnoName,
    args: listOrNull({maxItems: MAX_SYSCALL_ARGS, items: arg}),
    comment: {type: 'string'},
    includes: ruleFilter,
    excludes: ruleFilter,
  },
} as const

export const PROFILE_SCHEMA = {
  $id: 'https://seccomp-recorder.invalid/schemas/profile.json',
  title: 'seccomp profile (OCI linux.seccomp with docker/moby and containers-common extensions)',
  type: 'object',
  additionalProperties: false,
  required: ['defaultAction'],
  properties: {
    defaultAction: {type: 'string', enum: [...SECCOMP_ACTIONS]},
    defaultErrnoRet: uint32,
    defaultErrno: errnoName,
    architectures: listOrNull({uniqueItems: true, items: arch}),
    archMap: {
      type: ['array', 'null'],
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['architecture', 'subArchitectures'],
        // moby writes null for "no sub-architectures" (a nil Go slice).
        properties: {architecture: arch, subArchitectures: listOrNull({uniqueItems: true, items: arch})},
      },
    },
    flags: listOrNull({uniqueItems: true, items: {type: 'string', enum: [...SECCOMP_FLAGS]}}),
    listenerPath: {type: 'string', minLength: 1},
    listenerMetadata: {type: 'string'},
    syscalls: listOrNull({items: rule}),
  },
} as const

/** Keys a flat OCI profile must not have: runtimes that load it flat ignore them silently. */
export const DOCKER_ONLY_TOP_LEVEL_KEYS = ['archMap', 'defaultErrno'] as const
export const DOCKER_ONLY_RULE_KEYS = ['includes', 'excludes', 'errno', 'comment'] as const
