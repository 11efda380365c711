import {addOciConfigHooks, removeOciConfigHooks, type HookCommands} from './hooks-config.js'

/**
 * The base OCI runtime spec for containerd's CRI runtime handlers (`base_runtime_spec`): containerd builds every
 * container's spec of that handler from a copy of it, so hooks in it reach every CRI container (the pod sandbox
 * is built without it). The hook entries are the ones a runc/crun config.json gets (src/oci/hooks-config.ts).
 */
export type OciSpec = Record<string, unknown> & {process?: Record<string, unknown>; linux?: Record<string, unknown>}

export class BaseSpecError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'BaseSpecError'
  }
}

/** The OCI spec `ctr oci spec` prints must at least look like one (an object with ociVersion, process, linux). */
export function checkDefaultSpec(value: unknown): OciSpec {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new BaseSpecError('not a JSON object')
  const spec = value as Record<string, unknown>
  if (typeof spec.ociVersion !== 'string') throw new BaseSpecError('no "ociVersion"')
  for (const key of ['process', 'linux'] as const) {
    const part = spec[key]
    if (typeof part !== 'object' || part === null || Array.isArray(part)) throw new BaseSpecError(`no "${key}" object`)
  }
  return spec as OciSpec
}

/**
 * containerd's default spec as the CRI uses it when a handler has no base spec: without one, the CRI clears the
 * default rlimits (RLIMIT_NOFILE 1024), AppArmor profile and seccomp filter (`WithoutDefaultSecuritySettings`,
 * pkg/cri/server/container_create_linux.go); with one it keeps what the file says. Clearing them here keeps every
 * container's spec as it was before install, except for our hooks.
 */
export function withoutDefaultSecuritySettings(spec: OciSpec): OciSpec {
  const {rlimits: _rlimits, apparmorProfile: _apparmor, ...process} = spec.process ?? {}
  const {seccomp: _seccomp, ...linux} = spec.linux ?? {}
  return {...spec, process, linux}
}

/** The base spec install writes: containerd's default (as the CRI uses it) with our prestart and poststop hooks. */
export function baseRuntimeSpec(defaultSpec: OciSpec, commands: HookCommands): OciSpec {
  return addOciConfigHooks(withoutDefaultSecuritySettings(defaultSpec), commands) as OciSpec
}

/** The spec without our hooks (what `status` compares with to say whether a base spec is ours and current). */
export function withoutOurHooks(spec: OciSpec, commands: HookCommands): OciSpec {
  return removeOciConfigHooks(spec, commands) as OciSpec
}

export const renderSpec = (spec: OciSpec): string => `${JSON.stringify(spec, null, 2)}\n`
