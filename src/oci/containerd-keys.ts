/**
 * containerd's own annotation keys (`io.kubernetes.cri.*`), which it sets on every CRI container after the pod
 * annotations its runtime handler passes through, so their values win. Shared by the identity (identity.ts) and
 * the recording requests (annotations.ts), which must agree on what makes a container containerd's.
 */
export const CONTAINERD_PREFIX = 'io.kubernetes.cri.'
export const CONTAINERD_CONTAINER_TYPE = 'io.kubernetes.cri.container-type'
export const CONTAINERD_CONTAINER_NAME = 'io.kubernetes.cri.container-name'
export const CONTAINERD_SANDBOX_NAME = 'io.kubernetes.cri.sandbox-name'
export const CONTAINERD_SANDBOX_NAMESPACE = 'io.kubernetes.cri.sandbox-namespace'

/** Kubernetes object names as CRI-O and containerd pass them (DNS labels and subdomains), podman's names too. */
export const OBJECT_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,252}$/

/** A container is containerd's when any of its keys is containerd's (a pod cannot remove them). */
export function hasContainerdKeys(annotations: Record<string, unknown>): boolean {
  return Object.keys(annotations).some((key) => key.startsWith(CONTAINERD_PREFIX))
}

/**
 * The container's name as containerd sets it (`io.kubernetes.cri.container-name`), when the container is
 * containerd's and the name is a Kubernetes name; else null.
 */
export function containerdContainerName(annotations: Record<string, unknown>): string | null {
  if (!hasContainerdKeys(annotations) || !Object.hasOwn(annotations, CONTAINERD_CONTAINER_NAME)) return null
  const name = annotations[CONTAINERD_CONTAINER_NAME]
  return typeof name === 'string' && OBJECT_NAME.test(name) ? name : null
}
