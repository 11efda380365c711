import {CHECK_ANNOTATION, RECORD_ANNOTATION, TRACE_SYSCALL_ANNOTATION} from './annotations.js'

/**
 * The hook configurations we write: hooks.d JSON (schema 1.0.0, read by CRI-O and podman; see oci-hooks(5)) and
 * the `hooks` entries of a runc/crun config.json. Regexes are Go RE2 and unanchored, so they are anchored here.
 */
export interface HookCommand {
  path: string
  args: string[]
  timeout?: number
}

export interface HooksDConfig {
  version: '1.0.0'
  hook: HookCommand
  when: {annotations: Record<string, string>}
  stages: Array<'prestart' | 'poststop'>
}

const escapeRe2 = (text: string) => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

/**
 * Containers that carry either annotation run the hook. One key pattern with an alternation: podman requires
 * every key pattern of `when.annotations` to match some annotation, so two patterns would mean "both".
 */
export const WHEN_RECORDING_ASKED: HooksDConfig['when'] = {
  annotations: {
    [`^(${escapeRe2(TRACE_SYSCALL_ANNOTATION)}|${escapeRe2(RECORD_ANNOTATION)}|${escapeRe2(CHECK_ANNOTATION)})$`]: '.*',
  },
}

export interface HookCommands {
  prestart: HookCommand
  poststop: HookCommand
}

/**
 * The two hook commands, both the native helper: the runtime waits for them, and never for Node. The poststop
 * (`hook-poststop`) journals the container's syscalls and takes its kernel target, then starts `finaliser` (Node,
 * off the runtime's path: it writes the outputs) unless one runs; `poststop`, the Node poststop of earlier
 * versions, is its `--fallback` for the rare container it leaves to TypeScript (an earlier run of the same id still
 * owes outputs) and stays installed, so a config.json or base spec written by an earlier install keeps working.
 * The prestart gets the config values it decides on as arguments (spool, output roots, onError): it refuses what the
 * poststop would refuse before the container starts. They are fixed at install, so a config change takes effect
 * with the next install.
 */
export function hookCommands(options: {
  helper: string
  poststop: string
  finaliser: string
  spool: string
  outputRoots: readonly string[]
  onError: 'fail' | 'warn'
}): HookCommands {
  const roots = options.outputRoots.flatMap((root) => ['--output-root', root])
  return {
    prestart: {
      path: options.helper,
      args: [
        'seccomp-recorder-helper',
        'hook-prestart',
        '--spool',
        options.spool,
        ...roots,
        '--on-error',
        options.onError,
      ],
      timeout: 10,
    },
    poststop: {
      path: options.helper,
      args: [
        'seccomp-recorder-helper',
        'hook-poststop',
        '--spool',
        options.spool,
        '--finaliser',
        options.finaliser,
        '--fallback',
        options.poststop,
      ],
      timeout: 60,
    },
  }
}

/** hooks.d configs for the two hooks; `when` (default: a recording asked for) narrows them, e.g. to one run. */
export function hooksDConfigs(
  commands: HookCommands,
  when: HooksDConfig['when'] = WHEN_RECORDING_ASKED,
): {prestart: HooksDConfig; poststop: HooksDConfig} {
  return {
    prestart: {version: '1.0.0', hook: commands.prestart, when, stages: ['prestart']},
    poststop: {version: '1.0.0', hook: commands.poststop, when, stages: ['poststop']},
  }
}

/** Matches exactly the containers whose annotation `key` has the value `value` (both taken literally). */
export function whenAnnotationIs(key: string, value: string): HooksDConfig['when'] {
  return {annotations: {[`^${escapeRe2(key)}$`]: `^${escapeRe2(value)}$`}}
}

type OciConfig = {hooks?: Record<string, Array<{path: string; args?: string[]; timeout?: number}>>} & Record<
  string,
  unknown
>

/** Our entries: the helper's, and the Node poststop's (the poststop of earlier installs, now the fallback). */
const isOurs = (hook: {path: string}, commands: HookCommands) =>
  hook.path === commands.prestart.path ||
  hook.path === commands.poststop.path ||
  hook.path === fallbackOf(commands.poststop)

const fallbackOf = (poststop: HookCommand) => {
  const at = poststop.args.indexOf('--fallback')
  return at >= 0 ? poststop.args[at + 1] : undefined
}

/** Adds our prestart and poststop hooks to a runc/crun config.json (idempotent: an existing entry of ours is replaced). */
export function addOciConfigHooks(config: OciConfig, commands: HookCommands): OciConfig {
  const hooks = {...(config.hooks ?? {})}
  for (const stage of ['prestart', 'poststop'] as const) {
    hooks[stage] = [...(hooks[stage] ?? []).filter((h) => !isOurs(h, commands)), commands[stage]]
  }
  return {...config, hooks}
}

/** Removes exactly our entries from a config.json; stages left empty are dropped. */
export function removeOciConfigHooks(config: OciConfig, commands: HookCommands): OciConfig {
  if (config.hooks === undefined) return config
  const hooks: NonNullable<OciConfig['hooks']> = {}
  for (const [stage, list] of Object.entries(config.hooks)) {
    const kept = list.filter((h) => !isOurs(h, commands))
    if (kept.length > 0) hooks[stage] = kept
  }
  const {hooks: _dropped, ...rest} = config
  return Object.keys(hooks).length > 0 ? {...rest, hooks} : rest
}
