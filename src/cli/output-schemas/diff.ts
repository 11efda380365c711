import {stringList} from './common.js'
import {PROVENANCE_RUN_OUTPUT} from './profiles-why.js'

/** Pieces of `diff --json`; see src/cli/formatters/diff-report.ts for the types they describe. */
const count = {type: 'integer', minimum: 0} as const
const errno = {type: ['integer', 'null'], minimum: 0} as const
const action = {type: 'string', pattern: '^SCMP_ACT_[A-Z_]+$'} as const
const strict = <P extends Record<string, unknown>>(properties: P) =>
  ({type: 'object', additionalProperties: false, required: Object.keys(properties), properties}) as const

/** Like strict, but the keys listed are optional. */
const strictExcept = <P extends Record<string, unknown>>(optional: string[], properties: P) =>
  ({
    type: 'object',
    additionalProperties: false,
    required: Object.keys(properties).filter((k) => !optional.includes(k)),
    properties,
  }) as const

const findings = strict({added: count, removed: count, changed: count})

const arg = {
  type: 'object',
  additionalProperties: false,
  required: ['index', 'value', 'op'],
  properties: {
    index: {type: 'integer', minimum: 0, maximum: 5},
    value: count,
    valueTwo: count,
    op: {type: 'string', pattern: '^SCMP_CMP_[A-Z_]+$'},
  },
} as const

const verdict = strict({
  allowance: {enum: ['allowed', 'conditional', 'denied']},
  base: strict({action, errnoRet: errno, fromDefault: {type: 'boolean'}}),
  conditional: {
    type: 'array',
    items: strict({action, errnoRet: errno, args: {type: 'array', minItems: 1, items: arg}, conditions: stringList}),
  },
  conflicting: {type: 'boolean'},
  values: {anyOf: [{type: 'null'}, stringList]},
  text: {type: 'string'},
})

const input = strict({
  path: {type: 'string'},
  format: {enum: ['oci', 'docker']},
  resolved: {type: 'boolean'},
  coverage: {anyOf: [{type: 'null'}, strict({path: {type: 'string'}, recordings: count})]},
})

const target = {
  arch: {type: 'string', pattern: '^SCMP_ARCH_'},
  kernel: {type: 'string'},
  caps: {type: 'array', items: {type: 'string', pattern: '^CAP_[A-Z_]+$'}},
  capsSource: {enum: ['default', 'custom']},
  capsDescription: {type: 'string'},
} as const

const differences = strict({
  defaultAction: {anyOf: [{type: 'null'}, strict({from: action, to: action, fromErrnoRet: errno, toErrnoRet: errno})]},
  defaultAllowance: {enum: ['widens', 'narrows', null]},
  architectures: strict({from: stringList, to: stringList, added: stringList, removed: stringList}),
  flags: strict({added: stringList, removed: stringList}),
})

const abiName = {enum: ['x86_64', 'x86', 'x32', 'aarch64', 'arm']} as const
const perAbi = <T extends object>(item: T) =>
  ({type: 'object', propertyNames: abiName, additionalProperties: item}) as const

const needed = strict({
  name: {type: 'string'},
  runtimeDefault: verdict,
  profile: verdict,
  seen: {type: ['integer', 'null'], minimum: 0},
})

const change = strictExcept(['values'], {
  name: {type: 'string'},
  kind: {enum: ['added', 'removed', 'changed']},
  from: verdict,
  to: verdict,
  widens: {type: 'boolean'},
  narrows: {type: 'boolean'},
  values: {
    type: 'object',
    additionalProperties: false,
    required: ['added', 'removed'],
    properties: {added: stringList, removed: stringList},
  },
  seen: strict({a: {type: ['integer', 'null'], minimum: 0}, b: {type: ['integer', 'null'], minimum: 0}}),
})

const common = {
  failOn: {enum: ['added', 'removed', 'any', 'none']},
  failed: {type: 'boolean'},
  findings,
  differences,
  unified: {type: ['string', 'null']},
  notes: stringList,
} as const

/** `diff PROFILE --against runtime-default[:…] --json` */
export const DIFF_RUNTIME_DEFAULT_OUTPUT = strict({
  mode: {const: 'runtime-default'},
  profile: input,
  runtimeDefault: strict({
    name: {enum: ['host', 'containers-common', 'moby', 'containerd']},
    source: {type: 'string'},
    description: {type: 'string'},
    ...target,
    architectures: stringList,
    counts: perAbi(strict({allowed: count, conditional: count})),
  }),
  abis: {anyOf: [{type: 'null'}, {type: 'array', items: abiName}]},
  ...common,
  willFail: {type: 'array', items: needed},
  mayFail: {type: 'array', items: needed},
  attackSurface: strict({
    runtimeDefaultAllows: count,
    kept: count,
    removed: count,
    removedPercent: {type: 'number', minimum: 0, maximum: 100},
    removedNames: stringList,
    keptNames: stringList,
    byAbi: perAbi(
      strict({runtimeDefaultAllows: count, removed: count, removedPercent: {type: 'number', minimum: 0, maximum: 100}}),
    ),
  }),
  ignored: stringList,
})

/** `diff A B --json` (without `why`, which `--why` adds) */
const PROFILES_DIFF_SHAPE = strict({
  mode: {const: 'profiles'},
  a: input,
  b: input,
  resolvedFor: {anyOf: [{type: 'null'}, strict(target)]},
  ...common,
  syscalls: strict({
    added: {type: 'array', items: change},
    removed: {type: 'array', items: change},
    changed: {type: 'array', items: change},
  }),
})

/** `diff A B --json [--why]`: with --why, the runs (from B's sidecar) that brought each syscall B allows more. */
export const DIFF_PROFILES_OUTPUT = {
  ...PROFILES_DIFF_SHAPE,
  properties: {
    ...PROFILES_DIFF_SHAPE.properties,
    why: {type: 'object', additionalProperties: {type: 'array', items: PROVENANCE_RUN_OUTPUT}},
  },
} as const

/** `diff --json`: one of the two shapes, told apart by `mode`. */
export const DIFF_OUTPUT = {oneOf: [DIFF_RUNTIME_DEFAULT_OUTPUT, DIFF_PROFILES_OUTPUT]} as const
