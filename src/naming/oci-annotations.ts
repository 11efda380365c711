import {parseRecordName, RECORD_ANNOTATION} from '../oci/annotations.js'
import {containerIdentity, type ContainerIdentity} from '../oci/identity.js'
import {profileNameProblem} from '../store/names.js'

export interface OciNaming extends ContainerIdentity {
  /** An explicit profile name from `seccomp-recorder.io/record` (null for `auto` or a value parseRecordName refuses). */
  annotation: string | null
}

/**
 * What the container manager tells about a container (src/oci/identity.ts: trusted keys only; throws
 * AnnotationError on contradictory ones) and the profile name the container asks for, if any.
 */
export function namingFromOciAnnotations(annotations: unknown): OciNaming {
  const identity = containerIdentity(annotations)
  let annotation: string | null = null
  const own = annotations !== null && typeof annotations === 'object' ? (annotations as Record<string, unknown>) : {}
  const requested = Object.hasOwn(own, RECORD_ANNOTATION) ? own[RECORD_ANNOTATION] : undefined
  if (typeof requested === 'string') {
    try {
      const name = parseRecordName(requested)
      annotation = name !== null && profileNameProblem(name) === null ? name : null
    } catch {
      annotation = null
    }
  }
  return {...identity, annotation}
}
