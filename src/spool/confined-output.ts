import {Dir} from '../fs/safe-dir.js'
import {AnnotationError, TRACE_SYSCALL_ANNOTATION} from '../oci/annotations.js'
import {MAX_PROFILE_BYTES} from '../profile/load.js'

/**
 * Files the `io.containers.trace-syscall` annotation names (of: output, if: base) are confined to the configured
 * output roots: the path must lie below one of them, and no component below the root may be a symlink (the
 * directories are opened one by one without following links, as publish does). A pod cannot make the hook,
 * which runs as root, write or read anything else.
 *
 * Tenancy: a Kubernetes container (CRI-O, containerd) is confined further, to `<root>/<its namespace>/…`, for
 * of: and if: alike, so one team's pods can neither overwrite nor read another team's outputs. `tenant` is that
 * namespace (from src/oci/identity.ts), or null for podman and plain runc/crun, whose users own the host.
 * The native prestart (bpf/admission.c) refuses the same paths before the container starts.
 */
function locate(
  path: string,
  roots: readonly string[],
  tenant: string | null,
): {root: string; segments: string[]; file: string} {
  const root = roots.find((r) => path.startsWith(`${r}/`))
  if (root === undefined) {
    throw new AnnotationError(
      TRACE_SYSCALL_ANNOTATION,
      `${path} is outside the configured output roots (${roots.join(', ') || 'none'}); see outputRoots in the config`,
    )
  }
  const parts = path.slice(root.length + 1).split('/')
  if (parts.some((part) => part === ''))
    throw new AnnotationError(TRACE_SYSCALL_ANNOTATION, `${path} has an empty path segment ("//")`)
  if (tenant !== null && (parts.length < 2 || parts[0] !== tenant)) {
    throw new AnnotationError(
      TRACE_SYSCALL_ANNOTATION,
      `${path} is outside ${root}/${tenant}/, the part of the output roots that belongs to the pod's namespace ${tenant}`,
    )
  }
  const file = parts.pop()!
  return {root, segments: parts, file}
}

export function writeConfined(path: string, text: string, roots: readonly string[], tenant: string | null): void {
  const {root, segments, file} = locate(path, roots, tenant)
  const top = Dir.openRoot(root, {create: true})!
  const dir = top.walk(segments, {create: true})!
  try {
    dir.writeFileAtomic(file, Buffer.from(text))
  } finally {
    dir.close()
    top.close()
  }
}

export function readConfined(path: string, roots: readonly string[], tenant: string | null): string {
  const {root, segments, file} = locate(path, roots, tenant)
  const top = Dir.openRoot(root, {create: false})
  if (top === undefined)
    throw new AnnotationError(TRACE_SYSCALL_ANNOTATION, `base profile ${path}: ${root} does not exist`)
  const dir = top.walk(segments, {create: false})
  try {
    if (dir === undefined) throw new AnnotationError(TRACE_SYSCALL_ANNOTATION, `base profile ${path} does not exist`)
    const state = dir.readFile(file, {maxBytes: MAX_PROFILE_BYTES})
    if (state.kind === 'missing')
      throw new AnnotationError(TRACE_SYSCALL_ANNOTATION, `base profile ${path} does not exist`)
    if (state.kind !== 'file')
      throw new AnnotationError(
        TRACE_SYSCALL_ANNOTATION,
        `base profile ${path} is not a regular file (${state.kind === 'other' ? state.what : 'a symlink'})`,
      )
    return Buffer.from(state.bytes).toString('utf8')
  } finally {
    dir?.close()
    top.close()
  }
}
