import {join} from 'node:path'

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
}

export const DEFAULT_HOOKS_DIR = '/usr/share/containers/oci/hooks.d'
export const OVERRIDE_HOOKS_DIR = '/etc/containers/oci/hooks.d'

export function installLayout(env: NodeJS.ProcessEnv = process.env): InstallLayout {
  const libexecDir = env.SECCOMP_RECORDER_LIBEXEC ?? '/usr/local/libexec/seccomp-recorder'
  return {
    libexecDir,
    manifestPath: env.SECCOMP_RECORDER_INSTALL_MANIFEST ?? '/var/lib/seccomp-recorder/install.json',
    configPath: env.SECCOMP_RECORDER_CONFIG ?? '/etc/seccomp-recorder/config.yaml',
  }
}

export const helperInstallPath = (layout: InstallLayout) => join(layout.libexecDir, 'seccomp-recorder-helper')
export const poststopInstallPath = (layout: InstallLayout) => join(layout.libexecDir, 'poststop')

/** File names of our hooks.d configs (one per stage: each names a different executable). */
export const HOOK_FILES = {prestart: 'seccomp-recorder-prestart.json', poststop: 'seccomp-recorder-poststop.json'} as const

/** Where the kernel recorder is pinned in bpffs (bpf/recorder.c reads the same variable). */
export const recorderPinDir = (env: NodeJS.ProcessEnv = process.env) => env.SECCOMP_RECORDER_BPFFS ?? '/sys/fs/bpf/seccomp-recorder'
