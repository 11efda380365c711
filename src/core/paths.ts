import {join} from 'node:path'
import {findPackageRoot} from './package-root.js'

/**
 * Every place on the machine seccomp-recorder reads or writes by default, in one table. Each is overridable (flags,
 * config, environment variables) for tests and packagers; the modules that use a place import its default from here.
 */

/**
 * The installed package: `bin/`, `bpf/`, `build/`, `profiles/`, found by walking up from this module (it runs from
 * dist/src/core/ or, bundled, from dist/cli/ and its subfolders).
 */
export const PACKAGE_ROOT = findPackageRoot(import.meta.url)

/** The kubelet's default `--root-dir`; Localhost profiles live in its `seccomp/` directory. */
export const DEFAULT_KUBELET_ROOT_DIR = '/var/lib/kubelet'
export const DEFAULT_SECCOMP_ROOT = join(DEFAULT_KUBELET_ROOT_DIR, 'seccomp')

export const DEFAULT_STORE_ROOT = '/var/lib/seccomp-recorder'
export const STORE_ENV = 'SECCOMP_RECORDER_STORE'

/** `$SECCOMP_RECORDER_STORE`, or /var/lib/seccomp-recorder. */
export function defaultStoreRoot(env: NodeJS.ProcessEnv = process.env): string {
  const configured = env[STORE_ENV]?.trim()
  return configured ? configured : DEFAULT_STORE_ROOT
}

/**
 * Name endings kept for the files beside a profile (`<name>.complain.json`, its complain-mode variant;
 * `<name>.coverage.json`, its coverage sidecar) in the store and the publish tree: a profile named
 * `shop/web.coverage` would be written over `shop/web`'s sidecar, so no profile name ends in one.
 */
export const RESERVED_NAME_SUFFIXES = ['.complain', '.coverage'] as const

/** Why a profile name ending in a reserved suffix (RESERVED_NAME_SUFFIXES) is refused, or null when it does not. */
export function reservedNameProblem(name: string): string | null {
  const suffix = RESERVED_NAME_SUFFIXES.find((s) => name.endsWith(s))
  if (suffix === undefined) return null
  return `name ${JSON.stringify(name)} ends in "${suffix}", kept for the file beside a profile (<name>${suffix}.json)`
}

/** The recordings store's three directories (see src/store/store.ts for what each holds). */
export function storeLayout(root: string): {recordingsDir: string; profilesDir: string; locksDir: string} {
  return {recordingsDir: join(root, 'recordings'), profilesDir: join(root, 'profiles'), locksDir: join(root, 'locks')}
}

/**
 * Where `install` puts things. Everything install creates is listed in its manifest, and `uninstall` removes
 * exactly that. Overridable for tests and packagers through environment variables.
 */
export interface InstallLayout {
  /** The hook executables: the native helper (prestart) and the poststop wrapper. */
  libexecDir: string
  /** install's manifest: what it created, with content hashes. */
  manifestPath: string
  configPath: string
  /** The base OCI runtime spec `install --containerd` writes for containerd's runtime handler (base_runtime_spec). */
  containerdBaseSpec: string
}

export const DEFAULT_HOOKS_DIR = '/usr/share/containers/oci/hooks.d'
/** containerd's config file (`install --containerd` edits or prints lines for it). */
export const DEFAULT_CONTAINERD_CONFIG = '/etc/containerd/config.toml'
export const OVERRIDE_HOOKS_DIR = '/etc/containers/oci/hooks.d'

export function installLayout(env: NodeJS.ProcessEnv = process.env): InstallLayout {
  const libexecDir = env.SECCOMP_RECORDER_LIBEXEC ?? '/usr/local/libexec/seccomp-recorder'
  return {
    libexecDir,
    manifestPath: env.SECCOMP_RECORDER_INSTALL_MANIFEST ?? '/var/lib/seccomp-recorder/install.json',
    configPath: env.SECCOMP_RECORDER_CONFIG ?? '/etc/seccomp-recorder/config.yaml',
    containerdBaseSpec: env.SECCOMP_RECORDER_CONTAINERD_SPEC ?? '/etc/seccomp-recorder/containerd-base-spec.json',
  }
}

export const helperInstallPath = (layout: InstallLayout) => join(layout.libexecDir, 'seccomp-recorder-helper')
export const poststopInstallPath = (layout: InstallLayout) => join(layout.libexecDir, 'poststop')
/** The finaliser wrapper the native poststop starts (bin/finaliser.js under the Node that ran install). */
export const finaliserInstallPath = (layout: InstallLayout) => join(layout.libexecDir, 'finaliser')

/** File names of our hooks.d configs (one per stage: each names a different executable). */
export const HOOK_FILES = {
  prestart: 'seccomp-recorder-prestart.json',
  poststop: 'seccomp-recorder-poststop.json',
} as const

/** Where the kernel recorder is pinned in bpffs (bpf/pins.c reads the same variable). */
export const recorderPinDir = (env: NodeJS.ProcessEnv = process.env) =>
  env.SECCOMP_RECORDER_BPFFS ?? '/sys/fs/bpf/seccomp-recorder'
