import {parse as parseYaml} from 'yaml'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {BoundedReadError, readBoundedText} from '../fs/bounded-read.js'
import {DEFAULT_HOOKS_DIR, DEFAULT_SECCOMP_ROOT, installLayout, OVERRIDE_HOOKS_DIR, storeLayout} from '../core/paths.js'
import {normalisedPath, pathsOverlap, resolvedPath} from './path-overlap.js'
import {validateConfig} from './config-validator.generated.js'

/**
 * The machine-wide configuration the hook obeys (it runs as root on input that pods control):
 * where annotation-driven outputs may be written, where recordings are stored, and what happens on failure.
 * File: /etc/seccomp-recorder/config.yaml ($SECCOMP_RECORDER_CONFIG overrides); defaults when absent.
 */
export interface RecorderConfig {
  /**
   * Directories that `io.containers.trace-syscall` of:/if: paths must lie in. None may be `/`, hold another, or
   * overlap the store's data, the spool, the kubelet seccomp root or the hook's own files (refused at load).
   */
  outputRoots: string[]
  /**
   * Recordings store (see src/store/store.ts). Its data is `<store>/recordings`, `<store>/profiles` and
   * `<store>/locks`: other directories below it (the default output root) are not the store's.
   */
  store: string
  /** Recording asked for but cannot start: fail the container start (default) or warn and run it unrecorded. */
  onError: 'fail' | 'warn'
  /** Add what both runc and crun need after seccomp is applied (default), or only the recording runtime's. */
  runtimeTail: 'both' | 'own'
  /**
   * Also add what runc does when it starts a thread after the filter (clone, mmap, sigaltstack, …): rare when the
   * machine is quiet, a few percent of containers under heavy load. Off by default: it adds about 5 syscalls.
   */
  runtimeThreads: boolean
  /** Where the prestart hook leaves a note per registered container for the poststop stage. */
  spool: string
  /**
   * `of:` profiles the poststop writes: allow socket, clone, unshare, setns, personality, prctl and ioctl only with
   * the argument values recorded (on, the default when absent), or by name only (off). `profiles build --args` decides for builds.
   */
  profileArguments?: 'on' | 'off'
}

export const DEFAULT_CONFIG_PATH = '/etc/seccomp-recorder/config.yaml'

export const DEFAULT_CONFIG: Readonly<RecorderConfig> = Object.freeze({
  outputRoots: ['/var/lib/seccomp-recorder/output'],
  store: '/var/lib/seccomp-recorder',
  onError: 'fail',
  runtimeTail: 'both',
  runtimeThreads: false,
  spool: '/run/seccomp-recorder/spool',
  profileArguments: 'on',
})

export function configPath(env: NodeJS.ProcessEnv = process.env): string {
  return env.SECCOMP_RECORDER_CONFIG ?? DEFAULT_CONFIG_PATH
}

/** A config file is a few lines; larger ones are refused unread. */
const MAX_CONFIG_BYTES = 1024 * 1024

/** Loads the config file if it exists (defaults otherwise). A broken file is an error, never silently ignored. */
export async function loadConfig(path = configPath()): Promise<RecorderConfig> {
  let text: string
  try {
    text = readBoundedText(path, {maxBytes: MAX_CONFIG_BYTES})
  } catch (error) {
    if (error instanceof BoundedReadError && error.problem === 'missing')
      return {...DEFAULT_CONFIG, outputRoots: [...DEFAULT_CONFIG.outputRoots]}
    throw new UserError(
      `cannot read config ${path}: ${error instanceof BoundedReadError ? error.reason : (error as Error).message}`,
      {exit: EXIT.REFUSED, code: 'config-unreadable'},
    )
  }
  let document: unknown
  try {
    document = parseYaml(text, {uniqueKeys: true, maxAliasCount: 0}) ?? {}
  } catch (error) {
    throw new UserError(`config ${path} is not valid YAML: ${(error as Error).message.split('\n')[0]}`, {
      exit: EXIT.REFUSED,
      code: 'config-invalid',
    })
  }
  if (!validateConfig(document)) {
    const problems = (validateConfig.errors ?? [])
      .map((e) => `${e.instancePath || '(document)'} ${e.message}`)
      .join('; ')
    throw new UserError(`config ${path} is invalid: ${problems}`, {
      exit: EXIT.REFUSED,
      code: 'config-invalid',
      suggestions: [
        'Keys: outputRoots, store, onError (fail|warn), runtimeTail (both|own), runtimeThreads (true|false), spool, profileArguments (on|off).',
      ],
    })
  }
  const merged = {...DEFAULT_CONFIG, ...(document as Partial<RecorderConfig>)}
  const config = {...merged, outputRoots: merged.outputRoots.map(normalisedPath)}
  await refuseOverlappingOutputRoots(config, path)
  return config
}

/**
 * What a pod's of: path must never reach, with what it is: the store's data, the spool, the kubelet seccomp root,
 * this config file and the hook's installation (its executables run as root; a stray JSON in a hooks.d directory
 * breaks every container start).
 */
function protectedPlaces(config: RecorderConfig, path: string): Array<{what: string; path: string}> {
  const store = storeLayout(config.store)
  const layout = installLayout()
  return [
    {what: "the store's recordings", path: store.recordingsDir},
    {what: "the store's profiles", path: store.profilesDir},
    {what: "the store's locks", path: store.locksDir},
    {what: 'the spool', path: config.spool},
    {what: 'the kubelet seccomp root', path: DEFAULT_SECCOMP_ROOT},
    {what: 'the config file', path},
    {what: 'the hook executables', path: layout.libexecDir},
    {what: 'the install manifest', path: layout.manifestPath},
    {what: 'the hooks.d directory', path: DEFAULT_HOOKS_DIR},
    {what: 'the hooks.d directory', path: OVERRIDE_HOOKS_DIR},
  ]
}

/** Refuses (exit 3) an output root that is `/`, holds or equals another one, or overlaps a protected place. */
async function refuseOverlappingOutputRoots(config: RecorderConfig, path: string): Promise<void> {
  const refuse = (why: string) =>
    new UserError(`config ${path}: ${why}`, {
      exit: EXIT.REFUSED,
      code: 'config-overlap',
      suggestions: [
        "Give outputRoots directories of their own, e.g. /var/lib/seccomp-recorder/output, apart from the store's recordings/profiles/locks, the spool and the kubelet seccomp root.",
      ],
    })
  const shown = async (p: string) => {
    const resolved = await resolvedPath(p)
    return resolved === normalisedPath(p) ? p : `${p} (${resolved})`
  }
  for (const [i, root] of config.outputRoots.entries()) {
    if (root === '/') throw refuse('the output root / would let a pod write anywhere')
    for (const other of config.outputRoots.slice(0, i)) {
      if (await pathsOverlap(root, other))
        throw refuse(`output roots ${await shown(other)} and ${await shown(root)} overlap: list each directory once`)
    }
    for (const place of protectedPlaces(config, path)) {
      if (await pathsOverlap(root, place.path))
        throw refuse(`output root ${await shown(root)} overlaps ${place.what} ${await shown(place.path)}`)
    }
  }
}

/** The config file install writes when there is none: the defaults, commented. */
export function defaultConfigText(): string {
  return `# seccomp-recorder: configuration of the OCI hook (runs as root on input that pods control).
# Directories that the io.containers.trace-syscall annotation (of:/if: paths) may write into and read from.
# None may be /, hold another, or overlap the store's recordings/, profiles/ or locks/, the spool, the kubelet
# seccomp root (/var/lib/kubelet/seccomp), this file or the hook's own installation: such a config is refused.
outputRoots:
${DEFAULT_CONFIG.outputRoots.map((r) => `  - ${r}`).join('\n')}
# Recordings store: recordings per container run (<store>/recordings), profiles aggregated per container name
# (<store>/profiles) and their locks (<store>/locks); other directories below it, like the output root, are not its.
store: ${DEFAULT_CONFIG.store}
# Recording requested but it cannot start: fail the container start (fail) or warn and run unrecorded (warn).
onError: ${DEFAULT_CONFIG.onError}
# Profiles include what both runc and crun do after seccomp is applied (both), or the recording runtime's only (own).
runtimeTail: ${DEFAULT_CONFIG.runtimeTail}
# Also allow what runc does when it starts a thread after applying seccomp, which happens to a few percent of
# containers on a heavily loaded machine (true), or leave it out, as it is rare when the machine is quiet (false).
runtimeThreads: ${DEFAULT_CONFIG.runtimeThreads}
# Where the prestart hook leaves a note per recorded container for the poststop stage.
spool: ${DEFAULT_CONFIG.spool}
# of: profiles allow socket, clone, unshare, setns, personality, prctl and ioctl only with the argument values the
# container used (on), or by name only (off).
profileArguments: ${DEFAULT_CONFIG.profileArguments}
`
}
