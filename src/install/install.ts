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
import {HOOK_FILES, helperInstallPath, poststopInstallPath, recorderPinDir, type InstallLayout} from '../core/paths.js'
import {PACKAGE_ROOT} from '../core/paths.js'

/**
 * install / uninstall. install is idempotent and lists everything it creates (with a content hash) in a manifest;
 * its targets are the hooks.d directories and config.json files it was given. uninstall removes, for the targets it
 * names, exactly those files — unless they were changed since — and our entries in runc/crun configs.
 */
export interface InstallManifest {
  version: 1
  installedAt: string
  files: Array<{path: string; sha256: string; kind: 'helper' | 'poststop' | 'hooks.d' | 'config' | 'containerd-spec'}>
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

const sha256 = (data: string | Buffer) => createHash('sha256').update(data).digest('hex')

async function writeOwned(path: string, content: string | Buffer, mode: number): Promise<string> {
  await mkdir(dirname(path), {recursive: true, mode: 0o755})
  await replaceFile(path, content, mode)
  return sha256(content)
}

/**
 * Replaces `path` by the atomic-write protocol (src/fs/atomic-write.ts), the way install always has: a symlink
 * is written through to its target, and an existing file keeps its owner (when we are root) and, unless `mode`
 * is given, its permission bits; the mode is exact (not subject to the umask).
 */
async function replaceFile(path: string, content: string | Buffer, mode?: number): Promise<void> {
  const target = await realpath(path).catch(() => path)
  const existing = await stat(target).catch(() => undefined)
  const keepOwner = existing !== undefined && process.getuid?.() === 0 && (existing.uid !== 0 || existing.gid !== 0)
  await writeFileAtomic(target, content, {
    mode: mode ?? (existing ? existing.mode & 0o7777 : 0o644),
    exactMode: true,
    owner: keepOwner ? {uid: existing.uid, gid: existing.gid} : undefined,
  })
}

async function exists(path: string): Promise<boolean> {
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
export function poststopScript(options: {config: string; helper: string; node?: string; cli?: string}): string {
  // bin/hook-poststop.js: the lean hook entry (no oclif start-up).
  const quote = (s: string) => `'${s.replaceAll("'", "'\\''")}'`
  const node = options.node ?? process.execPath
  const entry = options.cli ?? join(PACKAGE_ROOT, 'bin', 'hook-poststop.js')
  return [
    '#!/bin/sh',
    "# seccomp-recorder poststop hook, written by `seccomp-recorder install`: finalises the container's recording.",
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
  const commands = hookCommands({
    helper,
    poststop,
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

async function readOciConfig(path: string): Promise<Record<string, unknown>> {
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

/** What uninstall removes: the install targets it names (install's own flags), or every target install lists. */
export type UninstallTargets = {hooksDirs: string[]; ociConfigs: string[]; containerdConfigs?: string[]} | 'all'

export interface UninstallResult {
  removed: string[]
  kept: Array<{path: string; why: string}>
  /** config.json files our hooks were removed from. */
  ociConfigs: string[]
  /** containerd configs our lines were removed from. */
  containerdConfigs: string[]
  /** Targets named that this install does not list (nothing done there). */
  notInstalled: string[]
  /** Targets still installed (hooks.d directories and config.json files): the shared parts stay for them. */
  remaining: string[]
  detached: boolean
  /** Recordings in progress when the last target went: the recorder stays attached for them (nothing is stopped). */
  activeRecordings: number
  wasInstalled: boolean
}

/** An install's targets: the hooks.d directories its files are in and the config.json files it added hooks to. */
export function installTargets(manifest: InstallManifest): {
  hooksDirs: string[]
  ociConfigs: string[]
  containerdConfigs: string[]
} {
  const hooksDirs = new Set(manifest.files.filter((f) => f.kind === 'hooks.d').map((f) => dirname(f.path)))
  return {
    hooksDirs: [...hooksDirs],
    ociConfigs: [...manifest.ociConfigs],
    containerdConfigs: (manifest.containerd ?? []).map((c) => c.config),
  }
}

/**
 * Removes what install created in the targets named, and nothing installed elsewhere. The shared parts (the hook
 * executables, the config file install wrote, the manifest) stay while another target still uses them and go with
 * the last one; the recorder is then detached if nothing records (a recording in progress may be another
 * install's or a `record`'s: it is never stopped, and the recorder detaches itself once the last one ends).
 */
export async function uninstall(options: {layout: InstallLayout; targets: UninstallTargets}): Promise<UninstallResult> {
  const {layout} = options
  const manifest = await readManifest(layout)
  const named =
    options.targets === 'all'
      ? undefined
      : {
          hooksDirs: options.targets.hooksDirs.map((d) => resolve(d)),
          ociConfigs: options.targets.ociConfigs.map((p) => resolve(p)),
          containerdConfigs: (options.targets.containerdConfigs ?? []).map((p) => resolve(p)),
        }
  const result: UninstallResult = {
    removed: [],
    kept: [],
    ociConfigs: [],
    containerdConfigs: [],
    notInstalled: [],
    remaining: [],
    detached: false,
    activeRecordings: 0,
    wasInstalled: manifest !== undefined,
  }
  if (manifest === undefined) {
    result.notInstalled =
      named === undefined ? [] : [...named.hooksDirs, ...named.ociConfigs, ...named.containerdConfigs]
    return result
  }
  const installed = installTargets(manifest)
  const chosen = named ?? installed
  result.notInstalled = [
    ...chosen.hooksDirs.filter((d) => !installed.hooksDirs.includes(d)),
    ...chosen.ociConfigs.filter((p) => !installed.ociConfigs.includes(p)),
    ...chosen.containerdConfigs.filter((p) => !installed.containerdConfigs.includes(p)),
  ]

  for (const path of chosen.ociConfigs.filter((p) => installed.ociConfigs.includes(p))) {
    if (await exists(path)) {
      const current = await readOciConfig(path)
      await replaceFile(path, `${JSON.stringify(removeOciConfigHooks(current, manifest.commands), null, 2)}\n`)
      result.ociConfigs.push(path)
    }
  }
  const containerdLeft = await uninstallContainerd(manifest.containerd ?? [], chosen.containerdConfigs, result)
  // The base spec goes with the last containerd config (one that still names it stays installed).
  const specUnused = containerdLeft.length === 0
  const removesTargetFile = (f: InstallManifest['files'][number]) =>
    (f.kind === 'hooks.d' && chosen.hooksDirs.includes(dirname(f.path))) || (f.kind === 'containerd-spec' && specUnused)
  await removeUnchanged(manifest.files.filter(removesTargetFile), result)

  const rest: InstallManifest = {
    ...manifest,
    files: manifest.files.filter((f) => !removesTargetFile(f)),
    ociConfigs: manifest.ociConfigs.filter((p) => !chosen.ociConfigs.includes(p)),
    containerd: containerdLeft,
  }
  const left = installTargets(rest)
  result.remaining = [...left.hooksDirs, ...left.ociConfigs, ...left.containerdConfigs]
  if (result.remaining.length > 0) {
    const changed =
      rest.files.length !== manifest.files.length ||
      rest.ociConfigs.length !== manifest.ociConfigs.length ||
      containerdLeft.length !== (manifest.containerd ?? []).length
    if (changed) await writeOwned(layout.manifestPath, `${JSON.stringify(rest, null, 2)}\n`, 0o644)
    const why = `still used by the install in ${result.remaining.join(', ')}`
    for (const file of rest.files.filter((f) => f.kind !== 'hooks.d')) result.kept.push({path: file.path, why})
    result.kept.push({path: layout.manifestPath, why})
    return result
  }

  // The last target is gone: the shared parts go too, and the recorder unless something records.
  await detachUnlessRecording(helperInstallPath(layout), result)
  await removeUnchanged(rest.files, result)
  await rmdir(layout.libexecDir).catch(() => undefined)
  await rm(layout.manifestPath, {force: true})
  result.removed.push(layout.manifestPath)
  return result
}

/**
 * Takes our block out of each chosen containerd config (a block changed by hand is left and reported). A config
 * that still names our base spec (lines added by hand, or changed) stays installed, with the spec and the hook
 * executables: containerd refuses to start without the spec, and runs the hooks it names. Returns the containerd
 * installs that stay.
 */
async function uninstallContainerd(
  installs: ContainerdInstall[],
  chosen: string[],
  result: UninstallResult,
): Promise<ContainerdInstall[]> {
  const left: ContainerdInstall[] = []
  for (const entry of installs) {
    if (!chosen.includes(entry.config)) {
      left.push(entry)
      continue
    }
    if (entry.edit !== null && (await exists(entry.config))) {
      const read = await readContainerdConfig(entry.config, {forWrite: true})
      const text = removeFromContainerdConfig(read.text, entry.edit)
      if (text === undefined)
        result.kept.push({path: entry.config, why: 'our lines in it were changed or removed by hand: not touched'})
      else {
        await writeContainerdConfig(entry.config, text, read)
        result.containerdConfigs.push(entry.config)
      }
    }
    if (await namesBaseSpec(entry)) {
      left.push({...entry, edit: null})
      result.kept.push({
        path: entry.baseSpec,
        why: `${entry.config} still names it as base_runtime_spec (containerd does not start without it, and runs the hooks it names): remove those lines, restart containerd, then run uninstall --containerd again`,
      })
    }
  }
  return left
}

/** Whether the containerd config names our base spec in any runtime handler. */
async function namesBaseSpec(entry: ContainerdInstall): Promise<boolean> {
  const read = await readContainerdConfig(entry.config, {forWrite: false}).catch(() => undefined)
  if (read === undefined) return false
  let doc: Record<string, unknown>
  try {
    doc = parseContainerdConfig(read.text, entry.config)
  } catch {
    return read.text.includes(entry.baseSpec)
  }
  return baseSpecsNamed(doc).includes(entry.baseSpec)
}

/** Removes the files that still hold what install wrote; a file changed since is the user's and is kept. */
async function removeUnchanged(files: InstallManifest['files'], result: UninstallResult): Promise<void> {
  for (const file of files) {
    let content: Buffer
    try {
      content = await readFile(file.path)
    } catch {
      continue // already gone
    }
    if (sha256(content) !== file.sha256) {
      result.kept.push({path: file.path, why: 'changed since install'})
      continue
    }
    await rm(file.path, {force: true})
    result.removed.push(file.path)
  }
}

/** Detaches the recorder when nothing records (checked under the helper's lock); else says what keeps it. */
async function detachUnlessRecording(helper: string, result: UninstallResult): Promise<void> {
  if (!(await exists(helper))) return
  const status = await helperStatus(helper).catch(() => undefined)
  if (!status?.attached) return
  result.detached = (await detachIfIdle(helper)).detached
  if (result.detached) return
  const after = await helperStatus(helper).catch(() => undefined)
  result.activeRecordings = after?.targets.filter((t) => t.state !== 'nested' && t.owner === t.mntns).length ?? 0
  result.kept.push({
    path: recorderPinDir(),
    why: `${result.activeRecordings} recording(s) in progress (other installs', a \`record\`'s, or containers started before this uninstall): not stopped; the recorder detaches itself once the last one ends, or run \`seccomp-recorder gc\``,
  })
}
