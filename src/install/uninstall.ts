import {readFile, rm, rmdir} from 'node:fs/promises'
import {dirname, join, resolve} from 'node:path'
import {removeOciConfigHooks} from '../oci/hooks-config.js'
import {detachIfIdle, helperStatus} from '../kernel/native-helper.js'
import {
  baseSpecsNamed,
  parseContainerdConfig,
  readContainerdConfig,
  removeFromContainerdConfig,
  writeContainerdConfig,
  type ContainerdInstall,
} from './containerd.js'
import {helperInstallPath, recorderPinDir, type InstallLayout} from '../core/paths.js'
import {exists, readManifest, readOciConfig, replaceFile, sha256, writeOwned, type InstallManifest} from './install.js'

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
