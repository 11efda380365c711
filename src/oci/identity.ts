/**
 * Who made a container, and for Kubernetes which namespace, pod and container it is: the identity that tenancy
 * (which part of an output root a container may use) and profile names rest on. It comes only from keys the
 * container manager sets itself and that override anything a pod passes through:
 * - CRI-O always sets `io.kubernetes.cri-o.ContainerName` (`k8s_<container>_<pod>_<namespace>_<uid>_<attempt>`),
 *   `io.kubernetes.cri-o.Labels` and `io.container.manager: cri-o`, after copying the pod's annotations, so its
 *   values win;
 * - containerd always sets `io.kubernetes.cri.*` (container-type, sandbox-namespace, sandbox-name, container-name)
 *   after the pod annotations its runtime handler passes through;
 * - podman sets `io.container.manager: libpod` (and, for containers in a pod, CRI-O's ContainerType and SandboxID,
 *   but never ContainerName or Labels); its user's own `--annotation` overrides any of them, but that user runs
 *   podman as root and owns the host anyway.
 * `io.container.manager` claims a manager only with the two values above; any other value claims nothing.
 * A pod can add keys of the *other* manager, never remove its own manager's: so the identifying keys of two managers
 * at once (CRI-O's name, labels or manager claim; any `io.kubernetes.cri.*`; podman's claim) are a spoofing attempt
 * (or a broken manager) and the container is refused, never guessed at. Other `io.kubernetes.cri-o.*` keys
 * (Created, TTY, ContainerType, SandboxID: podman writes them too) identify nobody and are read only for a CRI-O or
 * podman container's sandbox type.
 *
 * The native prestart (bpf/admission.c) applies the same rules before the container's first instruction, so a
 * refusal stops the container where the user sees it; this module is the authority the poststop applies again.
 */
import {AnnotationError} from './annotations.js'
import {
  CONTAINERD_CONTAINER_NAME,
  CONTAINERD_CONTAINER_TYPE,
  CONTAINERD_SANDBOX_NAME,
  CONTAINERD_SANDBOX_NAMESPACE,
  hasContainerdKeys,
  OBJECT_NAME,
} from './containerd-keys.js'

export const CRIO_PREFIX = 'io.kubernetes.cri-o.'
export const CRIO_CONTAINER_TYPE = 'io.kubernetes.cri-o.ContainerType'
export const CRIO_LABELS = 'io.kubernetes.cri-o.Labels'
export const CRIO_CONTAINER_NAME = 'io.kubernetes.cri-o.ContainerName'
export const PODMAN_MANAGER = 'io.container.manager'

/** What the refusals of this module name as the annotation at fault. */
export const IDENTITY = 'container identity'

export type ContainerManager = 'cri-o' | 'containerd' | 'podman' | 'none'

export interface ContainerIdentity {
  manager: ContainerManager
  /** CRI-O and containerd run Kubernetes pods: their containers are confined to their namespace's outputs. */
  kubernetes: boolean
  /** The pod's namespace (always known for a Kubernetes container that is not refused). */
  namespace: string | null
  pod: string | null
  container: string | null
  /** The pod's infra (pause) container: never recorded. */
  sandbox: boolean
}

/** CRI-O's `k8s_<container>_<pod>_<namespace>_<pod uid>_<attempt>`: none of the names can hold `_`. */
const CRIO_NAME = /^k8s_([^_]+)_([^_]+)_([^_]+)_([^_]*)_([0-9]+)$/
/** The Labels annotation is parsed only up to this size; anything larger is treated as unreadable. */
export const MAX_LABELS_JSON = 64 * 1024

const LABEL_CONTAINER = 'io.kubernetes.container.name'
const LABEL_POD = 'io.kubernetes.pod.name'
const LABEL_NAMESPACE = 'io.kubernetes.pod.namespace'

/**
 * The identity of a container from its OCI annotations (own string properties only; anything else is ignored).
 * Throws AnnotationError when the keys contradict each other (two managers' keys, CRI-O's name and labels naming
 * different pods) or when a Kubernetes container's namespace cannot be told.
 */
export function containerIdentity(input: unknown): ContainerIdentity {
  const annotations: Record<string, unknown> =
    input !== null && typeof input === 'object' && !Array.isArray(input) ? (input as Record<string, unknown>) : {}
  const get = (key: string): string | null => {
    if (!Object.hasOwn(annotations, key)) return null
    const value = annotations[key]
    return typeof value === 'string' ? value : null
  }
  // io.container.manager claims a manager only with the values CRI-O ("cri-o") and podman ("libpod") write.
  const claim = get(PODMAN_MANAGER)
  const libpod = claim === 'libpod'
  const crio = get(CRIO_CONTAINER_NAME) !== null || get(CRIO_LABELS) !== null || claim === 'cri-o'
  const containerd = hasContainerdKeys(annotations)
  if (crio && containerd) throw contradiction("CRI-O's and containerd's keys")
  if (crio && libpod) throw contradiction(`CRI-O's keys and ${PODMAN_MANAGER}=libpod`)
  if (containerd && libpod) throw contradiction(`containerd's keys and ${PODMAN_MANAGER}=libpod`)

  if (containerd) {
    const identity: ContainerIdentity = {
      manager: 'containerd',
      kubernetes: true,
      namespace: objectName(get(CONTAINERD_SANDBOX_NAMESPACE)),
      pod: objectName(get(CONTAINERD_SANDBOX_NAME)),
      container: objectName(get(CONTAINERD_CONTAINER_NAME)),
      sandbox: get(CONTAINERD_CONTAINER_TYPE) === 'sandbox',
    }
    return requireNamespace(identity, CONTAINERD_SANDBOX_NAMESPACE)
  }
  if (crio)
    return requireNamespace(
      crioIdentity(get(CRIO_CONTAINER_NAME), get(CRIO_LABELS), get(CRIO_CONTAINER_TYPE)),
      CRIO_CONTAINER_NAME,
    )
  return {
    manager: libpod ? 'podman' : 'none',
    kubernetes: false,
    namespace: null,
    pod: null,
    container: null,
    sandbox: get(CRIO_CONTAINER_TYPE) === 'sandbox',
  }
}

/** CRI-O: names from ContainerName (what the prestart reads too); the Labels, when readable, must agree. */
function crioIdentity(containerName: string | null, labelsText: string | null, type: string | null): ContainerIdentity {
  const parsed = containerName !== null && containerName.length <= 1024 ? CRIO_NAME.exec(containerName) : null
  const fromName = parsed
    ? {container: objectName(parsed[1]), pod: objectName(parsed[2]), namespace: objectName(parsed[3])}
    : null
  const labels = labelsText !== null && labelsText.length <= MAX_LABELS_JSON ? parseObject(labelsText) : null
  const fromLabels = labels
    ? {
        container: objectName(labels[LABEL_CONTAINER]),
        pod: objectName(labels[LABEL_POD]),
        namespace: objectName(labels[LABEL_NAMESPACE]),
      }
    : null
  if (fromName && fromLabels) {
    for (const field of ['namespace', 'pod'] as const) {
      if (fromLabels[field] !== null && fromLabels[field] !== fromName[field]) {
        throw contradiction(
          `${CRIO_CONTAINER_NAME} and ${CRIO_LABELS} name different ${field === 'pod' ? 'pods' : 'namespaces'}`,
        )
      }
    }
  }
  const names = fromName ?? {container: fromLabels?.container ?? null, pod: fromLabels?.pod ?? null, namespace: null}
  const sandbox = type === 'sandbox' || names.container === 'POD'
  return {
    manager: 'cri-o',
    kubernetes: true,
    namespace: names.namespace,
    pod: names.pod,
    container: names.container === 'POD' ? null : names.container,
    sandbox,
  }
}

/** A Kubernetes container whose namespace is unknown could be any tenant's: refused (its sandbox is skipped anyway). */
function requireNamespace(identity: ContainerIdentity, key: string): ContainerIdentity {
  if (identity.namespace === null && !identity.sandbox) {
    throw new AnnotationError(
      IDENTITY,
      `a ${identity.manager} container whose namespace cannot be told (${key} missing or not a Kubernetes name): refusing to record it`,
    )
  }
  return identity
}

function contradiction(what: string): AnnotationError {
  return new AnnotationError(
    IDENTITY,
    `contradictory keys (${what}): a pod set keys of another container manager; refusing to record it`,
  )
}

function objectName(value: unknown): string | null {
  return typeof value === 'string' && OBJECT_NAME.test(value) ? value : null
}

function parseObject(text: string): Record<string, unknown> | null {
  try {
    const value: unknown = JSON.parse(text)
    if (value === null || typeof value !== 'object' || Array.isArray(value)) return null
    // Only own keys, copied into a prototype-less object: `__proto__` in the JSON cannot reach anything.
    const out: Record<string, unknown> = Object.create(null)
    for (const key of Object.keys(value)) out[key] = (value as Record<string, unknown>)[key]
    return out
  } catch {
    return null
  }
}
