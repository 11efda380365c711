import {CHECK_ANNOTATION, RECORD_ANNOTATION, traceSyscallKey} from '../oci/annotations.js'
import {parseOciState} from '../oci/state.js'

/**
 * containerd runs the hook for every container (its base spec has no `when` filter): a container whose state
 * carries annotations and none that ask for a recording is done at once — no config, no spool, no helper. Its id,
 * or undefined when the full path must decide (no annotations in the state: they are in the bundle's config.json;
 * a state that does not parse: the full path reports it). `io.containers.trace-syscall/<name>` asks only where it
 * applies (a containerd container of that name), as in recordingRequests and bpf/admission.c.
 */
export function askedForNothing(stateText: string): string | undefined {
  try {
    const state = parseOciState(stateText)
    const annotations = state.annotations
    const asked =
      Object.hasOwn(annotations, RECORD_ANNOTATION) ||
      Object.hasOwn(annotations, CHECK_ANNOTATION) ||
      traceSyscallKey(annotations) !== null
    return Object.keys(annotations).length > 0 && !asked ? state.id : undefined
  } catch {
    return undefined
  }
}

/** What the poststop prints for such a container (HOOK_POSTSTOP_OUTPUT). */
export const notAskedResult = (id: string) =>
  `${JSON.stringify({id, recorded: false, skipped: 'the container asks for no recording', outputs: []})}\n`
