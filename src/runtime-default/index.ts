/**
 * Runtime-default profiles and the resolver that turns a docker/moby-format profile into the flat OCI rule
 * set a container gets. `run --profile runtime-default` and `diff --against runtime-default` build on this:
 *
 *   const rd = await loadRuntimeDefault('host')
 *   const flat = resolveProfile(rd.profile, {arch: nativeArch(), caps: rd.defaultCaps, kernel: runningKernel()})
 *
 * or in one step with resolveRuntimeDefault('host').
 */
import type {SeccompArch, SeccompProfile} from '../profile/model.js'
import {nativeArch} from './arch.js'
import {capabilitySet} from './capabilities.js'
import {runningKernel} from './kernel.js'
import {loadRuntimeDefault, type RuntimeDefault, type RuntimeDefaultName, type RuntimeDefaultOptions} from './load.js'
import {resolveProfile} from './resolve.js'

export {abisOf, archDisplayName, nativeArch, parseArch, seccompArchName} from './arch.js'
export {
  capabilitySet,
  CONTAINERS_COMMON_DEFAULT_CAPS,
  DOCKER_DEFAULT_CAPS,
  LINUX_CAPABILITIES,
  parseCapabilities,
} from './capabilities.js'
export {containerdFromMoby, CONTAINERD_DIFFERENCES} from './containerd.js'
export {kernelAtLeast, parseKernelVersion, runningKernel, type KernelVersion} from './kernel.js'
export {
  BUNDLED_DIR,
  findHostProfile,
  HOST_PROFILE_PATHS,
  loadRuntimeDefault,
  parseRuntimeDefaultSpec,
  RUNTIME_DEFAULT_NAMES,
  type RuntimeDefault,
  type RuntimeDefaultName,
  type RuntimeDefaultOptions,
} from './load.js'
export {explainResolution, resolveProfile, type ResolveOptions, type RuleDecision} from './resolve.js'

export interface ResolvedRuntimeDefault extends RuntimeDefault {
  /** The flat OCI profile for the target. */
  resolved: SeccompProfile
  arch: SeccompArch
  caps: string[]
  kernel: string
}

/**
 * Loads and resolves a runtime default for a target (defaults: this machine's architecture and kernel, the
 * runtime's default capabilities; `caps` replaces them, `capAdd`/`capDrop` adjust them).
 */
export async function resolveRuntimeDefault(
  name: RuntimeDefaultName,
  options: RuntimeDefaultOptions & {
    arch?: SeccompArch
    caps?: readonly string[]
    capAdd?: readonly string[]
    capDrop?: readonly string[]
    kernel?: string
  } = {},
): Promise<ResolvedRuntimeDefault> {
  const rd = await loadRuntimeDefault(name, options)
  const arch = options.arch ?? nativeArch()
  const caps = capabilitySet(rd.defaultCaps, {caps: options.caps, add: options.capAdd, drop: options.capDrop})
  const kernel = options.kernel ?? runningKernel()
  return {...rd, resolved: resolveProfile(rd.profile, {arch, caps, kernel}), arch, caps, kernel}
}
