import {join} from 'node:path'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {readTextIfExists} from '../fs/atomic-write.js'
import {isNoteText, listSpool, notePath} from './layout.js'

/**
 * The prestart's note (written by the native helper, bpf/prestart.c): the mount namespace it registered, the
 * runtime, and the state as the runtime gave it. Everything that came from the pod is checked before it is used.
 */
export interface SpoolNote {
  mntns: number
  ns_id: number
  runtime: string
  registered_unix_ms: number
  /** The OCI state as the prestart received it (text, checked strictly at use). */
  state: string
}

/**
 * The prestart's note. Its own fields are ours; the embedded state is the runtime's bytes as they came (the native
 * scanner is less strict than parseOciState, e.g. about repeated keys), so it is kept as text and checked strictly
 * only after the kernel target was taken.
 */
export async function readSpoolNote(spool: string, id: string): Promise<SpoolNote | undefined> {
  const text = await readTextIfExists(notePath(spool, id))
  if (text === undefined) return undefined
  const at = text.indexOf('"state":')
  const end = text.lastIndexOf('}')
  let note: Partial<SpoolNote> | undefined
  try {
    note = JSON.parse(text) as Partial<SpoolNote>
  } catch {
    note = undefined
  }
  if (
    !note ||
    at < 0 ||
    typeof note.mntns !== 'number' ||
    typeof note.runtime !== 'string' ||
    typeof note.registered_unix_ms !== 'number'
  ) {
    throw new UserError(`spool note ${notePath(spool, id)} is damaged`, {exit: EXIT.RUNTIME, code: 'spool-damaged'})
  }
  return {...(note as SpoolNote), state: text.slice(at + '"state":'.length, end)}
}

/**
 * Every note in the spool, by container id: `<id>.json`, and an `orphan-N.json` that is a note (a container may
 * be called that; isNoteText tells). A damaged note is handed to onDamaged (gc reports it) and left out.
 */
export async function readSpoolNotes(
  spool: string,
  onDamaged: (id: string, error: unknown) => void = () => undefined,
): Promise<Map<string, SpoolNote>> {
  const notes = new Map<string, SpoolNote>()
  for (const entry of await listSpool(spool)) {
    let id: string
    if (entry.kind === 'note') id = entry.id
    else if (
      entry.kind === 'orphan' &&
      isNoteText((await readTextIfExists(join(spool, entry.file)).catch(() => undefined)) ?? '')
    )
      id = entry.file.slice(0, -'.json'.length)
    else continue
    try {
      const note = await readSpoolNote(spool, id)
      if (note) notes.set(id, note)
    } catch (error) {
      onDamaged(id, error)
    }
  }
  return notes
}
