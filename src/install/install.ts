import {createHash} from 'node:crypto'
import {mkdir, readFile, realpath, rm, rmdir, stat} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {writeFileAtomic} from '../fs/atomic-write.js'
import {BoundedReadError, readBoundedText, readBoundedTextIfExists} from '../fs/bounded-read.js'
import {defaultConfigText, loadConfig} from '../config/config.js'
import {
  addOciConfigHooks,
  hookCommands,
  hooksDConfigs,
  removeOciConfigHooks,
  type HookCommands,
} from '../oci/hooks-config.js'
import {parseStrictJson} from '../json/strict-json.js'
import {detachIfIdle, helperStatus, repairRecorder, type RecorderRepair} from '../kernel/native-helper.js'
import {
  addToContainerdConfig,
  baseSpecsNamed,
  containerdDefaultSpec,
  configLinesToAdd,
  defaultHandler,
  parseContainerdConfig,
  readContainerdConfig,
  removeFromContainerdConfig,
  writeContainerdConfig,
  type ContainerdInstall,
} from './containerd.js'
import {baseRuntimeSpec, renderSpec} from '../oci/base-spec.js'
import {
  HOOK_FILES,
  finaliserInstallPath,
  helperInstallPath,
  poststopInstallPath,
  recorderPinDir,
  type InstallLayout,
} from '../core/paths.js'
import {PACKAGE_ROOT} from '../core/paths.js'

/**
 * install / uninstall. install is idempotent and lists everything it creates (with a content hash) in a manifest;
 * its targets are the hooks.d directories and config.json files it was given. uninstall removes, for the targets it
 * names, exactly those files — unless they were changed since — and our entries in runc/crun configs.
 */
export interface InstallManifest {
  version: 1
  installedAt: string
  files: Array<{
    path: string
    sha256: string
    kind: 'helper' | 'poststop' | 'finaliser' | 'hooks.d' | 'config' | 'containerd-spec'
  }>
  ociConfigs: string[]
  /** containerd configs install was given (`--containerd`), with what it wrote into each (absent before issue 14). */
  containerd?: ContainerdInstall[]
  commands: HookCommands
}

/** What `install --containerd` did for one containerd config. */
export interface ContainerdInstallResult {
  config: string
  handler: string
  baseSpec: string
  /** The lines the handler's table needs (printed; written too with --write-containerd-config). */
  configLines: string
  /** Whether the config holds our lines now (written by this or an earlier install). */
  configWritten: boolean
  /** The config was changed by this run. */
  configChanged: boolean
}

export interface InstallResult {
  helper: string
  poststop: string
  hooksDirs: string[]
  hookFiles: string[]
  ociConfigs: string[]
  containerd: ContainerdInstallResult | null
  config: {path: string; created: boolean}
  manifest: string
  /** The pinned recorder as install found it, put right (pins removed by hand, an attach cut short). */
  recorder: RecorderRepair
}

/** The install manifest and runc/crun config.json files are a few KiB; larger ones are refused unread. */
const MAX_INSTALL_JSON_BYTES = 16 * 1024 * 1024

export const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')

export async function writeOwned(path: string, content: string | Buffer, mode: number): Promise<string> {
  await mkdir(dirname(path), {recursive: true, mode: 0o755})
  await replaceFile(path, content, mode)
  return sha256(content)
}

/**
 * Replaces `path` by the atomic-write protocol (src/fs/atomic-write.ts), the way install always has: a symlink
 * is written through to its target, and an existing file keeps its owner (when we are root) and, unless `mode`
 * is given, its permission bits; the mode is exact (not subject to the umask).
 */
export async function replaceFile(path: string, content: string | Buffer, mode?: number): Promise<void> {
  const target = await realpath(path).catch(() => path)
  const existing = await stat(target).catch(() => undefined)
  const keepOwner = existing !== undefined && process.getuid?.() === 0 && (existing.uid !== 0 || existing.gid !== 0)
  await writeFileAtomic(target, content, {
    mode: mode ?? (existing ? existing.mode & 0o7777 : 0o644),
    exactMode: true,
    owner: keepOwner ? {uid: existing.uid, gid: existing.gid} : undefined,
  })
}

export async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  )
}

export async function readManifest(layout: InstallLayout): Promise<InstallManifest | undefined> {
  let text: string | undefined
  try {
    text = readBoundedTextIfExists(layout.manifestPath, {maxBytes: MAX_INSTALL_JSON_BYTES})
  } catch (error) {
    throw new UserError(
      `install manifest ${layout.manifestPath} is damaged: ${error instanceof BoundedReadError ? error.reason : (error as Error).message}`,
      {exit: EXIT.RUNTIME, code: 'manifest-damaged'},
    )
  }
  if (text === undefined) return undefined
  const parsed = parseStrictJson(text)
  if (!parsed.ok)
    throw new UserError(`install manifest ${layout.manifestPath} is damaged: ${parsed.errors[0]?.message}`, {
      exit: EXIT.RUNTIME,
      code: 'manifest-damaged',
    })
  return parsed.value as InstallManifest
}

/**
 * The wrapper the poststop stage runs: this package's CLI under the Node that ran install. Runtimes run hooks
 * with an empty environment, so the config and the installed helper are named here.
 */
export function poststopScript(options: {
  config: string
  helper: string
  node?: string
  cli?: string
  /** The finaliser's wrapper instead (bin/finaliser.js). */
  finaliser?: boolean
}): string {
  // bin/hook-poststop.js: the lean hook entry (no oclif start-up); bin/finaliser.js: the finaliser.
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`
  const node = options.node ?? process.execPath
  const entry = options.cli ?? join(PACKAGE_ROOT, 'bin', options.finaliser ? 'finaliser.js' : 'hook-poststop.js')
  return [
    '#!/bin/sh',
    options.finaliser
      ? '# seccomp-recorder finaliser, written by `seccomp-recorder install`: writes the outputs the native poststop journaled.'
      : "# seccomp-recorder poststop hook, written by `seccomp-recorder install`: finalises the container's recording.",
    `SECCOMP_RECORDER_CONFIG=${quote(options.config)} SECCOMP_RECORDER_HELPER=${quote(options.helper)} exec ${quote(node)} ${quote(entry)} "$@"`,
    '',
  ].join('\n')
}

/** `install --containerd`: which config, which handler (default: the config's default_runtime_name), whether to edit it. */
export interface ContainerdTarget {
  config: string
  handler?: string
  write: boolean
}

export async function install(options: {
  layout: InstallLayout
  builtHelper: string
  hooksDirs: string[]
  ociConfigs: string[]
  containerd?: ContainerdTarget
}): Promise<InstallResult> {
  const {layout} = options
  const config = await loadConfig(layout.configPath)
  const previous = await readManifest(layout)
  const files = new Map((previous?.files ?? []).map((f) => [f.path, f]))

  const helper = helperInstallPath(layout)
  const poststop = poststopInstallPath(layout)
  const finaliser = finaliserInstallPath(layout)
  const commands = hookCommands({
    helper,
    poststop,
    finaliser,
    spool: config.spool,
    outputRoots: config.outputRoots,
    onError: config.onError,
  })
  const containerdInstalls = new Map((previous?.containerd ?? []).map((c) => [c.config, c]))
  // Everything containerd needs is checked (config, ctr) before anything is written.
  const containerdPlan = options.containerd
    ? await planContainerd({target: options.containerd, layout, commands, previous: containerdInstalls})
    : undefined

  files.set(helper, {
    path: helper,
    kind: 'helper',
    sha256: await writeOwned(helper, await readFile(options.builtHelper), 0o755),
  })
  files.set(poststop, {
    path: poststop,
    kind: 'poststop',
    sha256: await writeOwned(poststop, poststopScript({config: layout.configPath, helper}), 0o755),
  })
  files.set(finaliser, {
    path: finaliser,
    kind: 'finaliser',
    sha256: await writeOwned(finaliser, poststopScript({config: layout.configPath, helper, finaliser: true}), 0o755),
  })

  let configCreated = false
  if (!(await exists(layout.configPath))) {
    files.set(layout.configPath, {
      path: layout.configPath,
      kind: 'config',
      sha256: await writeOwned(layout.configPath, defaultConfigText(), 0o644),
    })
    configCreated = true
  }

  const hooksD = hooksDConfigs(commands)
  const hookFiles: string[] = []
  for (const dir of options.hooksDirs.map((d) => resolve(d))) {
    for (const stage of ['prestart', 'poststop'] as const) {
      const path = join(dir, HOOK_FILES[stage])
      files.set(path, {
        path,
        kind: 'hooks.d',
        sha256: await writeOwned(path, `${JSON.stringify(hooksD[stage], null, 2)}\n`, 0o644),
      })
      hookFiles.push(path)
    }
  }

  const ociConfigs = new Set(previous?.ociConfigs ?? [])
  for (const path of options.ociConfigs.map((p) => resolve(p))) {
    const current = await readOciConfig(path)
    await replaceFile(path, `${JSON.stringify(addOciConfigHooks(current, commands), null, 2)}\n`)
    ociConfigs.add(path)
  }

  let containerd: ContainerdInstallResult | null = null
  if (containerdPlan) {
    files.set(layout.containerdBaseSpec, await applyContainerd(containerdPlan))
    containerdInstalls.set(containerdPlan.install.config, containerdPlan.install)
    containerd = containerdPlan.result
  }

  const manifest: InstallManifest = {
    version: 1,
    installedAt: new Date().toISOString(),
    files: [...files.values()],
    ociConfigs: [...ociConfigs],
    containerd: [...containerdInstalls.values()],
    commands,
  }
  await writeOwned(layout.manifestPath, `${JSON.stringify(manifest, null, 2)}\n`, 0o644)
  // A recorder broken mid-way (pins removed, a helper killed while attaching) is put right now, not at the next container.
  const recorder = await repairRecorder(helper)
  return {
    helper,
    poststop,
    hooksDirs: options.hooksDirs.map((d) => resolve(d)),
    hookFiles,
    ociConfigs: [...ociConfigs],
    containerd,
    config: {path: layout.configPath, created: configCreated},
    manifest: layout.manifestPath,
    recorder,
  }
}

/** What install --containerd will write: the base spec, and the config's new text when it is to be edited. */
interface ContainerdPlan {
  spec: {path: string; text: string}
  config?: {path: string; text: string; like: {mode: number; uid: number; gid: number}}
  install: ContainerdInstall
  result: ContainerdInstallResult
}

/**
 * The base spec (containerd's default spec from `ctr oci spec`, as the CRI uses it, plus our hooks) and, when
 * asked, the config with our lines: all read and checked, nothing written yet.
 */
async function planContainerd(options: {
  target: ContainerdTarget
  layout: InstallLayout
  commands: HookCommands
  previous: Map<string, ContainerdInstall>
}): Promise<ContainerdPlan> {
  const {target, layout} = options
  const config = resolve(target.config)
  const baseSpec = layout.containerdBaseSpec
  const read = target.write
    ? await readContainerdConfig(config, {forWrite: true})
    : await readContainerdConfig(config, {forWrite: false}).catch((error: unknown) =>
        error instanceof BoundedReadError && error.problem === 'missing' ? undefined : Promise.reject(error),
      )
  const handler = target.handler ?? (read ? defaultHandler(parseContainerdConfig(read.text, config)) : 'runc')
  const settings = {handler, baseSpec}
  const previous = options.previous.get(config)
  const edit =
    read && target.write ? addToContainerdConfig(read.text, settings, config, previous?.edit ?? undefined) : undefined
  const spec = baseRuntimeSpec(await containerdDefaultSpec(), options.commands)
  const configChanged = edit !== undefined && edit.text !== read!.text
  const install: ContainerdInstall = {config, handler, baseSpec, edit: edit?.edit ?? previous?.edit ?? null}
  return {
    spec: {path: baseSpec, text: renderSpec(spec)},
    config: configChanged ? {path: config, text: edit.text, like: read!} : undefined,
    install,
    result: {
      config,
      handler,
      baseSpec,
      configLines: configLinesToAdd(settings),
      configWritten: install.edit !== null,
      configChanged,
    },
  }
}

/** Writes the base spec, then the config (containerd never names a spec that is not there yet). */
async function applyContainerd(plan: ContainerdPlan): Promise<InstallManifest['files'][number]> {
  const sha = await writeOwned(plan.spec.path, plan.spec.text, 0o644)
  if (plan.config) await writeContainerdConfig(plan.config.path, plan.config.text, plan.config.like)
  return {path: plan.spec.path, kind: 'containerd-spec', sha256: sha}
}

export async function readOciConfig(path: string): Promise<Record<string, unknown>> {
  let text: string
  try {
    text = readBoundedText(path, {maxBytes: MAX_INSTALL_JSON_BYTES})
  } catch (error) {
    throw new UserError(
      `cannot read OCI config ${path}: ${error instanceof BoundedReadError ? error.reason : (error as Error).message}`,
      {exit: EXIT.USAGE, code: 'oci-config-unreadable'},
    )
  }
  const parsed = parseStrictJson(text)
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    throw new UserError(`${path} is not an OCI config.json`, {exit: EXIT.USAGE, code: 'oci-config-invalid'})
  }
  return parsed.value as Record<string, unknown>
}
