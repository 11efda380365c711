import {loadProfile} from '../profile/load.js'
import type {ProfileFormat, SeccompArch, SeccompProfile} from '../profile/model.js'
import {formatProfileJson, normaliseProfile} from '../profile/normalise.js'
import {abisOf, archDisplayName, sortArches} from '../runtime-default/arch.js'
import {capabilitySet, CONTAINERS_COMMON_DEFAULT_CAPS} from '../runtime-default/capabilities.js'
import {loadRuntimeDefault, parseRuntimeDefaultSpec} from '../runtime-default/load.js'
import {resolveProfile} from '../runtime-default/resolve.js'
import {loadCoverage, type LoadedCoverage} from '../store/coverage.js'
import {diffProfiles, type ProfileDiff} from './profile-diff.js'
import {diffAgainstRuntimeDefault, type RuntimeDefaultDiff} from './runtime-default-diff.js'
import {unifiedDiff} from './unified.js'

/**
 * `diff` from files to findings: loads the profiles and their coverage sidecars, resolves docker/moby-format
 * ones (and the runtime default) for the target, and diffs them. What the command prints is the caller's.
 */

/** A profile file as the diff saw it. */
export interface DiffInput {
  path: string
  format: ProfileFormat
  /** A docker/moby-format file resolved for the target before comparing. */
  resolved: boolean
  coverage: {path: string; recordings: number} | null
}

/** The target docker/moby-format profiles were resolved for. */
export interface ResolutionTarget {
  arch: SeccompArch
  kernel: string
  caps: string[]
  /** `default` (the runtime's defaults) or `custom` (--caps/--cap-add/--cap-drop). */
  capsSource: 'default' | 'custom'
  capsDescription: string
}

/** The runtime default a profile was compared with, as resolved for the target. */
export type ResolvedRuntimeDefault = ResolutionTarget & {
  name: string
  source: string
  description: string
  architectures: string[]
  counts: RuntimeDefaultDiff['runtimeDefaultCounts']
}

export interface DiffOptions {
  arch: SeccompArch
  kernel: string
  /** --caps / --cap-add / --cap-drop, applied to the runtime's default capabilities. */
  capOptions: {caps?: string[]; add?: string[]; drop?: string[]}
  /** Any of the capability options was given. */
  customCaps: boolean
  /** Also make a unified diff of the normalised JSON. */
  unified: boolean
}

export interface RuntimeDefaultDiffRun {
  diff: RuntimeDefaultDiff
  profile: DiffInput
  runtimeDefault: ResolvedRuntimeDefault
  coverage: LoadedCoverage | null
  unified: string | null
  notes: string[]
}

export interface ProfilesDiffRun {
  diff: ProfileDiff
  a: DiffInput
  b: DiffInput
  coverage: {a: LoadedCoverage | null; b: LoadedCoverage | null}
  /** Set when a docker/moby-format input was resolved. */
  resolvedFor: ResolutionTarget | null
  unified: string | null
  notes: string[]
}

/** `diff PROFILE --against runtime-default[:…]`: the profile against the runtime default named by `against`. */
export async function runRuntimeDefaultDiff(
  path: string,
  against: string,
  o: DiffOptions,
): Promise<RuntimeDefaultDiffRun> {
  const name = parseRuntimeDefaultSpec(against)
  const rd = await loadRuntimeDefault(name)
  const caps = capabilitySet(rd.defaultCaps, o.capOptions)
  const target: ResolutionTarget = {
    arch: o.arch,
    kernel: o.kernel,
    caps,
    capsSource: o.customCaps ? 'custom' : 'default',
    capsDescription: rd.capsDescription,
  }
  const resolvedRd = normaliseProfile(resolveProfile(rd.profile, {arch: o.arch, caps, kernel: o.kernel}))
  const notes: string[] = []
  const {input, profile, coverage} = await readInput(path, target, notes)
  if (input.resolved) notes.push(`${path} is docker/moby format: resolved for the same target before comparing`)
  const diff = diffAgainstRuntimeDefault(profile, resolvedRd, {
    abis: abisOf(resolvedRd.architectures?.length ? resolvedRd.architectures : [o.arch]),
    nativeArch: o.arch,
  })
  if (diff.abis === null)
    notes.push(
      `no syscall table for ${archDisplayName(o.arch)} here: every name either profile lists is compared, and attack-surface counts are over those names`,
    )
  return {
    diff,
    profile: input,
    runtimeDefault: {
      ...target,
      name,
      source: rd.source,
      description: rd.description,
      architectures: sortArches(resolvedRd.architectures ?? []),
      counts: diff.runtimeDefaultCounts,
    },
    coverage,
    unified: o.unified
      ? await unifiedDiff(`RuntimeDefault (${name})`, path, formatProfileJson(resolvedRd), formatProfileJson(profile))
      : null,
    notes,
  }
}

/** `diff A B`: two profiles, docker/moby-format ones resolved for the target (podman/CRI-O's default capabilities). */
export async function runProfilesDiff(pathA: string, pathB: string, o: DiffOptions): Promise<ProfilesDiffRun> {
  const caps = capabilitySet(CONTAINERS_COMMON_DEFAULT_CAPS, o.capOptions)
  const target: ResolutionTarget = {
    arch: o.arch,
    kernel: o.kernel,
    caps,
    capsSource: o.customCaps ? 'custom' : 'default',
    capsDescription: 'podman/CRI-O containers.conf defaults',
  }
  const notes: string[] = []
  const a = await readInput(pathA, target, notes)
  const b = await readInput(pathB, target, notes)
  return {
    diff: diffProfiles(a.profile, b.profile, {nativeArch: o.arch}),
    a: a.input,
    b: b.input,
    coverage: {a: a.coverage, b: b.coverage},
    resolvedFor: a.input.resolved || b.input.resolved ? target : null,
    unified: o.unified
      ? await unifiedDiff(pathA, pathB, formatProfileJson(a.profile), formatProfileJson(b.profile))
      : null,
    notes,
  }
}

/** Loads a profile file, resolves it for the target when it is docker/moby format, normalises it, finds its coverage sidecar. */
async function readInput(
  path: string,
  target: ResolutionTarget,
  notes: string[],
): Promise<{input: DiffInput; profile: SeccompProfile; coverage: LoadedCoverage | null}> {
  const {profile, format} = await loadProfile(path)
  const resolved = format === 'docker'
  const flat = resolved
    ? resolveProfile(profile, {arch: target.arch, caps: target.caps, kernel: target.kernel})
    : profile
  const {coverage, warning} = loadCoverage(path)
  if (warning) notes.push(warning)
  return {
    input: {path, format, resolved, coverage: coverage && {path: coverage.path, recordings: coverage.recordings}},
    profile: normaliseProfile(flat),
    coverage,
  }
}
