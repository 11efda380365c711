/** JSON Schema of the config file (validated by config-validator.generated.js, generated from it at build time). */
const absolutePath = {type: 'string', minLength: 2, maxLength: 4096, pattern: '^/[^\\u0000-\\u001f]*$'} as const
export const CONFIG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  properties: {
    outputRoots: {type: 'array', items: absolutePath, maxItems: 64},
    store: absolutePath,
    onError: {enum: ['fail', 'warn']},
    runtimeTail: {enum: ['both', 'own']},
    runtimeThreads: {type: 'boolean'},
    spool: absolutePath,
    profileArguments: {enum: ['on', 'off']},
  },
} as const
