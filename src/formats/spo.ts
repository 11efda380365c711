import {createHash} from 'node:crypto'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {formatYaml} from '../core/yaml.js'
import {profileFormat, SECCOMP_ARCHES, type SeccompArg, type SeccompProfile} from '../profile/model.js'
import {normaliseProfile} from '../profile/normalise.js'

/**
 * The security-profiles-operator's `SeccompProfile` custom resource (`security-profiles-operator.x-k8s.io/v1beta1`),
 * written from a flat OCI profile. The CRD's openAPIV3Schema is kept in fixtures/spo/ and the tests validate our
 * YAML against it. v1beta1 has no defaultErrnoRet (the operator leaves the runtime's default, EPERM), knows fewer
 * architectures than libseccomp and no docker extensions: profiles that need those are refused, not changed.
 */

export const SPO_API_VERSION = 'security-profiles-operator.x-k8s.io/v1beta1'
export const SPO_KIND = 'SeccompProfile'
/** Architectures the v1beta1 CRD accepts. */
export const SPO_ARCHES: readonly string[] = [
  'SCMP_ARCH_NATIVE',
  ...SECCOMP_ARCHES.filter(
    (a) => !['SCMP_ARCH_LOONGARCH64', 'SCMP_ARCH_M68K', 'SCMP_ARCH_SH', 'SCMP_ARCH_SHEB'].includes(a),
  ),
]
/** Annotation keys we set on the resource. */
export const SPO_ANNOTATION_NAME = 'seccomp-recorder/profile-name'
export const SPO_ANNOTATION_RECORDINGS = 'seccomp-recorder/recordings'

export interface SpoSyscall {
  names: string[]
  action: string
  errnoRet?: number
  args?: SeccompArg[]
}

export interface SpoSeccompProfile {
  apiVersion: typeof SPO_API_VERSION
  kind: typeof SPO_KIND
  metadata: {name: string; namespace?: string; annotations?: Record<string, string>}
  spec: {
    disabled: boolean
    defaultAction: string
    architectures?: string[]
    flags?: string[]
    listenerPath?: string
    listenerMetadata?: string
    syscalls?: SpoSyscall[]
  }
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/
const DNS_SUBDOMAIN = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/
const MAX_OBJECT_NAME = 253

/**
 * metadata.name and .namespace for a profile name, as DNS-1123 names, distinct for distinct profile names:
 * - `<namespace>/<workload>/<container>` → namespace `<namespace>`, name `<workload>.<container>` (the container
 *   name has no dot, so the split is unambiguous): `default/web/nginx` → `default`, `web.nginx`;
 * - any other name → its segments joined with `.`, no namespace: `tools/busybox` → `tools.busybox`;
 * - when a segment is not already a valid DNS-1123 name (upper case, `_`, too long…), the name is cleaned
 *   (lower-cased, other characters become `-`, cut to fit 253) and ends in `-` + 8 hex digits of the SHA-256
 *   of the profile name.
 */
export function spoObjectMeta(profileName: string): {name: string; namespace?: string} {
  const segments = profileName.split('/')
  const kubernetes = segments.length === 3 && DNS_LABEL.test(segments[0]!)
  const parts = kubernetes ? segments.slice(1) : segments
  const clean = kubernetes
    ? DNS_SUBDOMAIN.test(parts[0]!) && DNS_LABEL.test(parts[1]!)
    : parts.every((p) => DNS_LABEL.test(p))
  let name = parts.join('.')
  if (!clean || name.length > MAX_OBJECT_NAME) {
    const hash = createHash('sha256').update(profileName).digest('hex').slice(0, 8)
    const cleaned = name
      .toLowerCase()
      .replace(/[^a-z0-9.-]+/g, '-')
      .split('.')
      .map((label) => label.replace(/^-+|-+$/g, ''))
      .filter((label) => label !== '')
      .join('.')
    const prefix = cleaned.slice(0, MAX_OBJECT_NAME - 9).replace(/[^a-z0-9]+$/, '')
    name = prefix === '' ? hash : `${prefix}-${hash}`
  }
  return kubernetes ? {name, namespace: segments[0]!} : {name}
}

export interface SpoOptions {
  /** The profile name (for metadata and the annotation). */
  name: string
  /** Extra annotations (string values). */
  annotations?: Record<string, string>
}

/** Refused: the profile cannot be expressed as a v1beta1 SeccompProfile without changing what it does. */
export function spoProblems(profile: SeccompProfile): string[] {
  const problems: string[] = []
  if (profileFormat(profile) === 'docker')
    problems.push('it uses docker/moby extensions (archMap, includes/excludes): SPO takes flat profiles')
  const normal = normaliseProfile(profile)
  const errno = normal.defaultErrnoRet
  if (
    (normal.defaultAction === 'SCMP_ACT_ERRNO' || normal.defaultAction === 'SCMP_ACT_TRACE') &&
    errno !== undefined &&
    errno !== 1
  ) {
    problems.push(
      `defaultErrnoRet ${errno}: SeccompProfile v1beta1 has no defaultErrnoRet, the runtime would return EPERM (1) instead`,
    )
  }
  for (const arch of normal.architectures ?? [])
    if (!SPO_ARCHES.includes(arch)) problems.push(`architecture ${arch} is not in SeccompProfile v1beta1's list`)
  return problems
}

/** The resource for a flat profile. Throws a UserError (USAGE) listing spoProblems when there are any. */
export function toSpoSeccompProfile(profile: SeccompProfile, options: SpoOptions): SpoSeccompProfile {
  const problems = spoProblems(profile)
  if (problems.length > 0) {
    throw new UserError(
      `cannot write ${JSON.stringify(options.name)} as an SPO SeccompProfile:\n${problems.map((p) => `  ${p}`).join('\n')}`,
      {
        exit: EXIT.USAGE,
        code: 'spo-unrepresentable',
        suggestions: ['Use --format oci (flat OCI JSON) for this profile.'],
      },
    )
  }
  const normal = normaliseProfile(profile)
  const spec: SpoSeccompProfile['spec'] = {disabled: false, defaultAction: normal.defaultAction}
  if (normal.architectures?.length) spec.architectures = [...normal.architectures]
  if (normal.flags?.length) spec.flags = [...normal.flags]
  if (normal.listenerPath !== undefined) spec.listenerPath = normal.listenerPath
  if (normal.listenerMetadata !== undefined) spec.listenerMetadata = normal.listenerMetadata
  if (normal.syscalls?.length) {
    spec.syscalls = normal.syscalls.map((rule) => {
      const out: SpoSyscall = {names: [...rule.names], action: rule.action}
      if (rule.errnoRet !== undefined) out.errnoRet = rule.errnoRet
      if (rule.args?.length) out.args = rule.args.map((a) => ({...a}))
      return out
    })
  }
  const annotations: Record<string, string> = {[SPO_ANNOTATION_NAME]: options.name, ...options.annotations}
  return {apiVersion: SPO_API_VERSION, kind: SPO_KIND, metadata: {...spoObjectMeta(options.name), annotations}, spec}
}

/**
 * YAML text of the resource, with a comment saying where it came from. Written for YAML 1.1 readers (Kubernetes'
 * parser) and 1.2 readers alike: strings such as `on`, `no`, `0755` or `0o7` are quoted.
 */
export function formatSpoYaml(resource: SpoSeccompProfile, comment?: string): string {
  return formatYaml(resource, {comment})
}
