import {basename, dirname, join} from 'node:path'
import {readBoundedText} from '../fs/bounded-read.js'
import {validObjectName} from './profile-name.js'

/** containers.json larger than this is not read. */
const MAX_CONTAINERS_JSON = 32 * 1024 * 1024

/**
 * podman's name for a container: podman 4 does not put it into the OCI annotations, but its storage keeps
 * `<graph root>/<driver>-containers/containers.json` with `{id, names}` per container, and the bundle a hook
 * receives is `<graph root>/<driver>-containers/<id>/userdata`. Returns null whenever that layout is not there.
 */
export async function podmanNameFromBundle(bundle: string, id: string): Promise<string | null> {
  if (
    basename(bundle) !== 'userdata' ||
    basename(dirname(bundle)) !== id ||
    !basename(dirname(dirname(bundle))).endsWith('-containers')
  )
    return null
  const path = join(dirname(dirname(bundle)), 'containers.json')
  try {
    const entries: unknown = JSON.parse(readBoundedText(path, {maxBytes: MAX_CONTAINERS_JSON}))
    if (!Array.isArray(entries)) return null
    for (const entry of entries) {
      if (entry && typeof entry === 'object' && (entry as {id?: unknown}).id === id) {
        const names = (entry as {names?: unknown}).names
        return Array.isArray(names) ? validObjectName(names[0]) : null
      }
    }
    return null
  } catch {
    return null
  }
}
