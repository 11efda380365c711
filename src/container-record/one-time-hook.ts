import {randomBytes} from 'node:crypto'
import {mkdir, mkdtemp, rm, writeFile} from 'node:fs/promises'
import {join} from 'node:path'
import {loadConfig, type RecorderConfig} from '../config/config.js'
import {HOOK_FILES} from '../core/paths.js'
import {
  addOciConfigHooks,
  hookCommands,
  hooksDConfigs,
  whenAnnotationIs,
  type HookCommands,
} from '../oci/hooks-config.js'
import {LABEL_ANNOTATION, RECORD_ANNOTATION} from '../oci/annotations.js'
import {poststopScript} from '../install/install.js'
import {withContainerLock, finaliseNote} from '../spool/finalise.js'
import {listSpool} from '../spool/layout.js'

/**
 * The hook of one `record --podman` / `record --bundle` run: a private directory (root only) holding a hooks.d
 * directory whose two configs match only containers carrying this run's one-time annotation value, the poststop
 * wrapper, a config of its own (a private spool and output root; the store is the caller's) — nothing of the
 * machine's installation is used or changed. `remove()` finalises what a poststop left (a runtime killed before
 * its poststop) and deletes the directory.
 */

/** The annotation whose one-time value ties a container to the run's hooks. */
export const RUN_ANNOTATION = 'seccomp-recorder.io/run'

/** Where the private directories go: root-only, per boot. */
export const ONE_TIME_HOOK_PARENT = '/run/seccomp-recorder'

export interface OneTimeHook {
  dir: string
  hooksDir: string
  configPath: string
  config: RecorderConfig
  commands: HookCommands
  /** The annotations a container of this run carries (the one-time value, the store name, the label). */
  annotations: Record<string, string>
  /** Finalises notes a poststop did not (the runtime must have exited), then removes the directory. */
  remove: () => Promise<{finalised: number}>
}

export async function createOneTimeHook(options: {
  helper: string
  store: string
  name: string
  label?: string
  /** The machine's config: runtimeTail and runtimeThreads are taken from it. */
  base: RecorderConfig
  parent?: string
}): Promise<OneTimeHook> {
  const parent = options.parent ?? ONE_TIME_HOOK_PARENT
  await mkdir(parent, {recursive: true, mode: 0o700})
  const dir = await mkdtemp(join(parent, 'run-'))
  try {
    const hooksDir = join(dir, 'hooks.d')
    const spool = join(dir, 'spool')
    const output = join(dir, 'output')
    const configPath = join(dir, 'config.yaml')
    const poststop = join(dir, 'poststop')
    const finaliser = join(dir, 'finaliser')
    for (const d of [hooksDir, spool, output]) await mkdir(d, {mode: 0o700})
    const settings: RecorderConfig = {
      outputRoots: [output],
      store: options.store,
      onError: 'fail',
      runtimeTail: options.base.runtimeTail,
      runtimeThreads: options.base.runtimeThreads,
      spool,
    }
    // JSON is YAML: the hook's loader reads it, and refuses it as it would refuse the machine's.
    await writeFile(configPath, `${JSON.stringify(settings, null, 2)}\n`, {mode: 0o600})
    const config = await loadConfig(configPath)
    await writeFile(poststop, poststopScript({config: configPath, helper: options.helper}), {mode: 0o700})
    await writeFile(finaliser, poststopScript({config: configPath, helper: options.helper, finaliser: true}), {
      mode: 0o700,
    })
    const commands = hookCommands({
      helper: options.helper,
      poststop,
      finaliser,
      spool,
      outputRoots: [output],
      onError: 'fail',
    })
    const value = randomBytes(16).toString('hex')
    const configs = hooksDConfigs(commands, whenAnnotationIs(RUN_ANNOTATION, value))
    for (const stage of ['prestart', 'poststop'] as const)
      await writeFile(join(hooksDir, HOOK_FILES[stage]), `${JSON.stringify(configs[stage], null, 2)}\n`, {mode: 0o600})
    const annotations: Record<string, string> = {[RUN_ANNOTATION]: value, [RECORD_ANNOTATION]: options.name}
    if (options.label !== undefined) annotations[LABEL_ANNOTATION] = options.label
    return {
      dir,
      hooksDir,
      configPath,
      config,
      commands,
      annotations,
      remove: async () => {
        const finalised = await finaliseLeftNotes(config, options.helper)
        await rm(dir, {recursive: true, force: true})
        return {finalised}
      },
    }
  } catch (error) {
    await rm(dir, {recursive: true, force: true})
    throw error
  }
}

/**
 * Notes whose poststop never ran (the runtime was killed, or failed after the prestart): finalised here as
 * `gc` would, so their recordings reach the store and their kernel targets are removed. Failures are left to the
 * caller's report: the kernel target stays for `gc` to salvage as an orphan.
 */
async function finaliseLeftNotes(config: RecorderConfig, helper: string): Promise<number> {
  let finalised = 0
  for (const entry of await listSpool(config.spool)) {
    if (entry.kind !== 'note') continue
    await withContainerLock(config.spool, entry.id, () => finaliseNote({id: entry.id, config, helper})).then(
      () => (finalised += 1),
      () => undefined,
    )
  }
  return finalised
}

/** A copy of a bundle's config.json for one run: our hooks and annotations added, the root made absolute. */
export function bundleConfigForRun(
  config: Record<string, unknown>,
  bundleDir: string,
  hook: Pick<OneTimeHook, 'commands' | 'annotations'>,
): Record<string, unknown> {
  const withHooks = addOciConfigHooks(config, hook.commands)
  const root = (config.root ?? {}) as {path?: unknown}
  const rootPath = typeof root.path === 'string' ? root.path : 'rootfs'
  const annotations = {...((config.annotations as Record<string, string> | undefined) ?? {}), ...hook.annotations}
  return {
    ...withHooks,
    root: {...root, path: rootPath.startsWith('/') ? rootPath : join(bundleDir, rootPath)},
    annotations,
  }
}
