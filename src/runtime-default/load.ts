import {existsSync} from 'node:fs'
import {join, sep} from 'node:path'
import {EXIT} from '../core/exit-codes.js'
import {PACKAGE_ROOT} from '../core/paths.js'
import {UserError} from '../core/errors.js'
import {loadProfile} from '../profile/load.js'
import type {SeccompProfile} from '../profile/model.js'
import {CONTAINERS_COMMON_DEFAULT_CAPS, DOCKER_DEFAULT_CAPS} from './capabilities.js'
import {containerdFromMoby, CONTAINERD_DIFFERENCES} from './containerd.js'

export const RUNTIME_DEFAULT_NAMES = ['host', 'containers-common', 'moby', 'containerd'] as const
export type RuntimeDefaultName = (typeof RUNTIME_DEFAULT_NAMES)[number]

/**
 * Where podman and CRI-O (containers/common `SeccompOverridePath`, `SeccompDefaultPath`) read the default
 * profile: the /etc file overrides the one the package installs.
 */
export const HOST_PROFILE_PATHS: readonly string[] = Object.freeze([
  '/etc/containers/seccomp.json',
  '/usr/share/containers/seccomp.json',
])

/** The bundled copies (profiles/runtime-default/, see its README for upstream commits and licence). */
export const BUNDLED_DIR = join(PACKAGE_ROOT, 'profiles', 'runtime-default') + sep
const BUNDLED = {
  'containers-common': 'containers-common-seccomp.json',
  moby: 'moby-default.json',
} as const

/** A runtime's default profile before resolution (docker/moby format) and what resolving it needs. */
export interface RuntimeDefault {
  name: RuntimeDefaultName
  /** The file the rules come from. */
  source: string
  /** One line for people: which runtime, which file, what was derived. */
  description: string
  profile: SeccompProfile
  /** The bounding set the runtime gives a container unless told otherwise. */
  defaultCaps: readonly string[]
  /** Which runtime's default capabilities those are. */
  capsDescription: string
}

export interface RuntimeDefaultOptions {
  /** Host profile candidates in order of preference (default HOST_PROFILE_PATHS). */
  hostPaths?: readonly string[]
}

/** The host's containers-common profile path, or undefined when none of the candidates exists. */
export function findHostProfile(paths: readonly string[] = HOST_PROFILE_PATHS): string | undefined {
  return paths.find((p) => existsSync(p))
}

/**
 * `runtime-default`, `runtime-default:host|containers-common|moby|containerd` → the name. Plain
 * `runtime-default` is the host's own profile when there is one, else the bundled containers-common one.
 */
export function parseRuntimeDefaultSpec(spec: string, options: RuntimeDefaultOptions = {}): RuntimeDefaultName {
  const match = /^runtime-?default(?::(.*))?$/i.exec(spec.trim())
  const variant = match?.[1]
  if (match && variant === undefined)
    return findHostProfile(options.hostPaths) === undefined ? 'containers-common' : 'host'
  if (match && (RUNTIME_DEFAULT_NAMES as readonly string[]).includes(variant!.toLowerCase()))
    return variant!.toLowerCase() as RuntimeDefaultName
  throw new UserError(`--against "${spec}" is not a runtime default`, {
    exit: EXIT.USAGE,
    code: 'bad-against',
    suggestions: [
      `use runtime-default or runtime-default:${RUNTIME_DEFAULT_NAMES.join('|')}`,
      'to compare two profile files, give both: diff OLD.json NEW.json',
    ],
  })
}

/**
 * Loads a runtime's default profile, unresolved:
 *  - `host`: /etc/containers/seccomp.json, else /usr/share/containers/seccomp.json (what podman and CRI-O on
 *    this machine use); a UserError when neither exists;
 *  - `containers-common`: the bundled upstream containers-common profile (CRI-O, podman);
 *  - `moby`: the bundled moby profile (Docker);
 *  - `containerd`: containerd's built-in default, derived from moby's with its documented differences.
 * Pair with resolveProfile(profile, {arch, caps, kernel}) for the flat rule set a container gets.
 */
export async function loadRuntimeDefault(
  name: RuntimeDefaultName,
  options: RuntimeDefaultOptions = {},
): Promise<RuntimeDefault> {
  const containersCommonCaps = 'podman/CRI-O containers.conf defaults'
  const dockerCaps = name === 'containerd' ? 'containerd defaults' : 'Docker defaults'
  switch (name) {
    case 'host': {
      const source = findHostProfile(options.hostPaths)
      if (source === undefined) {
        throw new UserError(
          `no host runtime-default profile: none of ${(options.hostPaths ?? HOST_PROFILE_PATHS).join(', ')} exists`,
          {
            exit: EXIT.USAGE,
            code: 'no-host-profile',
            suggestions: [
              'install containers-common (podman or CRI-O), or use the bundled copy: --against runtime-default:containers-common',
            ],
          },
        )
      }
      const {profile} = await loadProfile(source)
      return {
        name,
        source,
        description: `the host's containers-common profile ${source}`,
        profile,
        defaultCaps: CONTAINERS_COMMON_DEFAULT_CAPS,
        capsDescription: containersCommonCaps,
      }
    }
    case 'containers-common': {
      const source = `${BUNDLED_DIR}${BUNDLED['containers-common']}`
      const {profile} = await loadProfile(source)
      return {
        name,
        source,
        description: 'containers-common (CRI-O, podman), bundled copy',
        profile,
        defaultCaps: CONTAINERS_COMMON_DEFAULT_CAPS,
        capsDescription: containersCommonCaps,
      }
    }
    case 'moby': {
      const source = `${BUNDLED_DIR}${BUNDLED.moby}`
      const {profile} = await loadProfile(source)
      return {
        name,
        source,
        description: 'moby (Docker), bundled copy',
        profile,
        defaultCaps: DOCKER_DEFAULT_CAPS,
        capsDescription: dockerCaps,
      }
    }
    case 'containerd': {
      const source = `${BUNDLED_DIR}${BUNDLED.moby}`
      const {profile} = await loadProfile(source)
      return {
        name,
        source,
        description: `containerd's built-in default, derived from the bundled moby profile (${CONTAINERD_DIFFERENCES})`,
        profile: containerdFromMoby(profile),
        defaultCaps: DOCKER_DEFAULT_CAPS,
        capsDescription: dockerCaps,
      }
    }
  }
}
