import {reservedNameProblem} from '../core/paths.js'
import {OBJECT_NAME} from '../oci/containerd-keys.js'
import {profileNameProblem} from '../store/names.js'
import {workloadFromPodName} from './workload.js'

/**
 * How container runs get the profile name users think in: `<namespace>/<workload>/<container>` for
 * Kubernetes pods (replicas and restarts of one Deployment share one profile), the container name for
 * podman, or a name the user gives (`record --name`, the `seccomp-recorder.io/record` annotation).
 */

export const DEFAULT_NAME_TEMPLATE = '{namespace}/{workload}/{container}'
const PLACEHOLDERS = ['namespace', 'pod', 'workload', 'container', 'name'] as const
type Placeholder = (typeof PLACEHOLDERS)[number]

export interface NamingParts {
  namespace?: string | null
  pod?: string | null
  container?: string | null
  /** podman's container name (`podman run --name`, or the generated one). */
  podmanName?: string | null
  /** A name the user gave on the host (`record --name`): used as it is. */
  explicit?: string | null
  /** A name from the container's own annotations: scoped to the pod's namespace (see profileNameFor). */
  annotation?: string | null
  /** `{namespace}/{workload}/{container}` by default; placeholders {namespace} {pod} {workload} {container} {name}. */
  template?: string | null
  /** Container id, for the last-resort name `unnamed/<id12>`. */
  id?: string | null
}

/**
 * The profile name of a container run, first that applies:
 * 1. `explicit` (the user's own choice on the host);
 * 2. `annotation` — for a Kubernetes container it is put under the pod's namespace (`team-a/custom`), so a pod
 *    cannot write into another namespace's profile by annotating itself with that profile's name;
 * 3. the template (default `{namespace}/{workload}/{container}`) when every placeholder it uses is known;
 * 4. podman's container name; 5. the container name; 6. `unnamed/<first 12 of the id>` — 5 and 6 under the
 *    namespace when there is one (a Kubernetes container never falls back to a name outside its namespace).
 * Rules 3-5 are passed over when their name ends in `.complain` or `.coverage` (RESERVED_NAME_SUFFIXES).
 * Throws when `explicit` or the template result is not a valid name; an invalid annotation is ignored.
 */
export function profileNameFor(parts: NamingParts): string {
  const explicit = parts.explicit ?? null
  if (explicit !== null && explicit !== '') {
    const problem = profileNameProblem(explicit)
    if (problem) throw new Error(problem)
    return explicit
  }
  const namespace = validObjectName(parts.namespace)
  const annotation = parts.annotation ?? null
  if (annotation !== null && profileNameProblem(annotation) === null) {
    const scoped =
      namespace === null || annotation.startsWith(`${namespace}/`) ? annotation : `${namespace}/${annotation}`
    if (profileNameProblem(scoped) === null) return scoped
  }
  const pod = validObjectName(parts.pod)
  const container = validObjectName(parts.container)
  const podmanName = validObjectName(parts.podmanName)
  const values: Record<Placeholder, string | null> = {
    namespace,
    pod,
    workload: pod === null ? null : workloadFromPodName(pod),
    container,
    name: podmanName,
  }
  const template = parts.template ?? DEFAULT_NAME_TEMPLATE
  const filled = fillTemplate(template, values)
  // A name the container chose that ends like a sidecar (`web.coverage`) is passed over for the next rule: its
  // profile would be written over another's sidecar, and refusing would lose the recording.
  if (filled !== null && reservedNameProblem(filled) === null) {
    const problem = profileNameProblem(filled)
    if (problem) throw new Error(`name template ${JSON.stringify(template)}: ${problem}`)
    return filled
  }
  // A Kubernetes container's fallbacks stay in its namespace: no name outside it belongs to the pod.
  const scope = (name: string) => (namespace === null ? name : `${namespace}/${name}`)
  if (podmanName !== null && namespace === null && reservedNameProblem(podmanName) === null) return podmanName
  if (container !== null && reservedNameProblem(container) === null) return scope(container)
  const id = typeof parts.id === 'string' ? parts.id.replace(/[^A-Za-z0-9]/g, '').slice(0, 12) : ''
  return scope(id === '' ? 'unnamed' : `unnamed/${id}`)
}

/** Checks a name template: known placeholders only, and at least one. Returns the problem or null. */
export function nameTemplateProblem(template: string): string | null {
  const used = [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1]!)
  if (used.length === 0)
    return `name template ${JSON.stringify(template)} uses no placeholder (${PLACEHOLDERS.map((p) => `{${p}}`).join(' ')})`
  const unknown = used.filter((p) => !(PLACEHOLDERS as readonly string[]).includes(p))
  if (unknown.length > 0)
    return `name template ${JSON.stringify(template)}: unknown placeholder ${unknown.map((p) => `{${p}}`).join(', ')}`
  return null
}

function fillTemplate(template: string, values: Record<Placeholder, string | null>): string | null {
  if (nameTemplateProblem(template) !== null) throw new Error(nameTemplateProblem(template)!)
  let complete = true
  const out = template.replace(/\{([^{}]*)\}/g, (_, key: Placeholder) => {
    const value = values[key]
    if (value === null) complete = false
    return value ?? ''
  })
  return complete ? out : null
}

export function validObjectName(value: unknown): string | null {
  return typeof value === 'string' && OBJECT_NAME.test(value) ? value : null
}
