import type {SeccompProfile} from '../profile/model.js'
import {formatProfileJson, normaliseProfile} from '../profile/normalise.js'
import {formatSpoYaml, toSpoSeccompProfile} from './spo.js'

/**
 * The formats profiles are written in:
 * - `oci`: flat OCI `linux.seccomp` JSON, normalised — loads in CRI-O, containerd, podman, docker, runc, crun;
 * - `spo`: security-profiles-operator `SeccompProfile` v1beta1 YAML;
 * - `json`: not a profile format: the command's machine-readable summary (same as --json).
 */
export const OUTPUT_FORMATS = ['oci', 'spo', 'json'] as const
export type OutputFormat = (typeof OUTPUT_FORMATS)[number]
export type ProfileFileFormat = Exclude<OutputFormat, 'json'>

export interface RenderOptions {
  /** Profile name (SPO metadata). */
  name: string
  /** SPO annotations. */
  annotations?: Record<string, string>
  /** SPO leading comment. */
  comment?: string
}

/** The profile as file text in a format. Throws a UserError when SPO cannot express it. */
export function renderProfile(profile: SeccompProfile, format: ProfileFileFormat, options: RenderOptions): string {
  if (format === 'spo')
    return formatSpoYaml(
      toSpoSeccompProfile(profile, {name: options.name, annotations: options.annotations}),
      options.comment,
    )
  return formatProfileJson(normaliseProfile(profile))
}

export {formatSpoYaml, spoObjectMeta, spoProblems, toSpoSeccompProfile, SPO_API_VERSION, SPO_KIND} from './spo.js'
