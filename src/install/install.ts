import {createHash} from 'node:crypto'
import {mkdir, readFile, rm, rmdir, stat} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import writeFileAtomic from 'write-file-atomic'
import {UserError} from '../cli/errors.js'
import {EXIT} from '../cli/exit-codes.js'
import {BoundedReadError, readBoundedText, readBoundedTextIfExists} from '../fs/bounded-read.js'
import {defaultConfigText, loadConfig} from '../config/config.js'
import {addOciConfigHooks, hookCommands, hooksDConfigs, removeOciConfigHooks, type HookCommands} from '../oci/hooks-config.js'
import {parseStrictJson} from '../json/strict-json.js'
import {detachAll, helperStatus, PACKAGE_ROOT, repairRecorder, type RecorderRepair} from '../recorder/native-helper.js'
import {HOOK_FILES, helperInstallPath, poststopInstallPath, type InstallLayout} from './layout.js'

/**
 * install / uninstall. install is idempotent and lists everything it creates (with a content hash) in a manifest;
 * uninstall removes exactly those files — unless they were changed since — and our entries in runc/crun configs.
 */
export interface InstallManifest {
  version: 1
  installedAt: string
  files: Array<{path: string; sha256: string; kind: 'helper' | 'poststop' | 'hooks.d' | 'config'}>
  ociConfigs: string[]
  commands: HookCommands
}

export interface InstallResult {
  helper: string
  poststop: string
  hooksDirs: string[]
  hookFiles: string[]
  ociConfigs: string[]
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
  await writeFileAtomic(path, content, {mode, fsync: true})
  return sha256(content)
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
    throw new UserError(`install manifest ${layout.manifestPath} is damaged: ${error instanceof BoundedReadError ? error.reason : (error as Error).message}`, {exit: EXIT.RUNTIME, code: 'manifest-damaged'})
  }
  if (text === undefined) return undefined
  const parsed = parseStrictJson(text)
  if (!parsed.ok) throw new UserError(`install manifest ${layout.manifestPath} is damaged: ${parsed.errors[0]?.message}`, {exit: EXIT.RUNTIME, code: 'manifest-damaged'})
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

export async function install(options: {layout: InstallLayout; builtHelper: string; hooksDirs: string[]; ociConfigs: string[]}): Promise<InstallResult> {
  const {layout} = options
  const config = await loadConfig(layout.configPath)
  const previous = await readManifest(layout)
  const files = new Map((previous?.files ?? []).map((f) => [f.path, f]))

  const helper = helperInstallPath(layout)
  files.set(helper, {path: helper, kind: 'helper', sha256: await writeOwned(helper, await readFile(options.builtHelper), 0o755)})
  const poststop = poststopInstallPath(layout)
  files.set(poststop, {path: poststop, kind: 'poststop', sha256: await writeOwned(poststop, poststopScript({config: layout.configPath, helper}), 0o755)})

  let configCreated = false
  if (!(await exists(layout.configPath))) {
    files.set(layout.configPath, {path: layout.configPath, kind: 'config', sha256: await writeOwned(layout.configPath, defaultConfigText(), 0o644)})
    configCreated = true
  }

  const commands = hookCommands({helper, poststop, spool: config.spool, onError: config.onError})
  const hooksD = hooksDConfigs(commands)
  const hookFiles: string[] = []
  for (const dir of options.hooksDirs.map((d) => resolve(d))) {
    for (const stage of ['prestart', 'poststop'] as const) {
      const path = join(dir, HOOK_FILES[stage])
      files.set(path, {path, kind: 'hooks.d', sha256: await writeOwned(path, `${JSON.stringify(hooksD[stage], null, 2)}\n`, 0o644)})
      hookFiles.push(path)
    }
  }

  const ociConfigs = new Set(previous?.ociConfigs ?? [])
  for (const path of options.ociConfigs.map((p) => resolve(p))) {
    const current = await readOciConfig(path)
    await writeFileAtomic(path, `${JSON.stringify(addOciConfigHooks(current, commands), null, 2)}\n`, {fsync: true})
    ociConfigs.add(path)
  }

  const manifest: InstallManifest = {version: 1, installedAt: new Date().toISOString(), files: [...files.values()], ociConfigs: [...ociConfigs], commands}
  await writeOwned(layout.manifestPath, `${JSON.stringify(manifest, null, 2)}\n`, 0o644)
  // A recorder broken mid-way (pins removed, a helper killed while attaching) is put right now, not at the next container.
  const recorder = await repairRecorder(helper)
  return {helper, poststop, hooksDirs: options.hooksDirs.map((d) => resolve(d)), hookFiles, ociConfigs: [...ociConfigs], config: {path: layout.configPath, created: configCreated}, manifest: layout.manifestPath, recorder}
}

async function readOciConfig(path: string): Promise<Record<string, unknown>> {
  let text: string
  try {
    text = readBoundedText(path, {maxBytes: MAX_INSTALL_JSON_BYTES})
  } catch (error) {
    throw new UserError(`cannot read OCI config ${path}: ${error instanceof BoundedReadError ? error.reason : (error as Error).message}`, {exit: EXIT.USAGE, code: 'oci-config-unreadable'})
  }
  const parsed = parseStrictJson(text)
  if (!parsed.ok || typeof parsed.value !== 'object' || parsed.value === null || Array.isArray(parsed.value)) {
    throw new UserError(`${path} is not an OCI config.json`, {exit: EXIT.USAGE, code: 'oci-config-invalid'})
  }
  return parsed.value as Record<string, unknown>
}

export interface UninstallResult {
  removed: string[]
  kept: Array<{path: string; why: string}>
  ociConfigs: string[]
  detached: boolean
  activeRecordingsStopped: number
  wasInstalled: boolean
}

export async function uninstall(options: {layout: InstallLayout}): Promise<UninstallResult> {
  const {layout} = options
  const manifest = await readManifest(layout)
  const result: UninstallResult = {removed: [], kept: [], ociConfigs: [], detached: false, activeRecordingsStopped: 0, wasInstalled: manifest !== undefined}
  if (manifest === undefined) return result

  // Stop recording first: nothing of ours may stay attached to the kernel once we are gone.
  const helper = helperInstallPath(layout)
  if (await exists(helper)) {
    const status = await helperStatus(helper).catch(() => undefined)
    result.activeRecordingsStopped = status?.targets.filter((t) => t.state !== 'nested').length ?? 0
    if (status?.attached) result.detached = (await detachAll(helper)).detached
  }

  for (const path of manifest.ociConfigs) {
    if (!(await exists(path))) continue
    const current = await readOciConfig(path)
    await writeFileAtomic(path, `${JSON.stringify(removeOciConfigHooks(current, manifest.commands), null, 2)}\n`, {fsync: true})
    result.ociConfigs.push(path)
  }

  for (const file of manifest.files) {
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
  await rmdir(layout.libexecDir).catch(() => undefined)
  await rm(layout.manifestPath, {force: true})
  result.removed.push(layout.manifestPath)
  return result
}
