import {closeSync, constants, fchmodSync, fstatSync, openSync} from 'node:fs'
import {mkdir, readdir} from 'node:fs/promises'
import {setImmediate as yieldToLoop} from 'node:timers/promises'
import {join} from 'node:path'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {BoundedReadError, readBoundedFile} from '../fs/bounded-read.js'
import {writeFileAtomic, type AtomicWriteOptions} from '../fs/atomic-write.js'
import {isGlob, matchesFilter, matchesName, type RecordingFilter} from './filter.js'
import {withLock, type LockOptions} from '../fs/lock.js'
import {MAX_RECORDING_BYTES, validateRecording, type Recording} from './model.js'
import {storeLayout} from '../core/paths.js'
import {decodeSafeNameSegment, safeNameSegment} from './names.js'
import {coveragePathFor} from './coverage.js'

/**
 * The recordings store: one JSON document per container run, grouped by profile name, plus the profiles built
 * from them.
 *
 *   <root>/recordings/<safe name>/<id>.json     one run (Recording), written once, atomically
 *   <root>/profiles/<safe name>.json            the built flat OCI profile
 *   <root>/profiles/<safe name>.coverage.json   its coverage sidecar (coverage.ts)
 *   <root>/profiles/<safe name>.complain.json   its complain-mode variant (profile/complain.ts), when asked for
 *   <root>/locks/<safe name>.lock               held while a profile and its sidecar are rebuilt
 *
 * `<safe name>` is safeNameSegment(name): `default/web/nginx` → `default_2Fweb_2Fnginx`. Documents are
 * schema-checked when written and when read; a corrupt one is reported and skipped, never fatal for the rest.
 * Concurrent writers never touch the same file (ids are unique), so saving needs no lock; reading never locks.
 */

export interface StoreOptions {
  /** fsync every write (default true). The benchmark turns it off to generate 10 000 recordings quickly. */
  durable?: boolean
  lock?: LockOptions
  /** Tests only: see AtomicWriteOptions.afterPartialWrite. */
  afterPartialWrite?: AtomicWriteOptions['afterPartialWrite']
}

export interface InvalidRecordingFile {
  path: string
  reason: string
}

export interface StoreScan {
  recordings: Recording[]
  /** Files that are not valid recordings: reported, skipped. */
  invalid: InvalidRecordingFile[]
}

export interface ScanOptions {
  /** Called as files are read: done so far and the total number of files. */
  onProgress?: (done: number, total: number) => void
}

export interface ProfilePaths {
  profile: string
  /** The complain-mode variant (`profiles build --mode complain`): `<safe name>.complain.json`. */
  complain: string
  coverage: string
  spo: string
  lock: string
}

/** A recording that does not validate: exit USAGE, the schema errors in the message. */
export class InvalidRecordingError extends UserError {
  constructor(readonly errors: string[]) {
    super(`not a valid recording:\n${errors.map((e) => `  ${e}`).join('\n')}`, {
      exit: EXIT.USAGE,
      code: 'invalid-recording',
    })
  }
}

const RECORDING_FILE = /^[A-Za-z0-9][A-Za-z0-9._-]*\.json$/
/** Files read between two turns of the event loop. */
const READ_CHUNK = 250

export class RecordingStore {
  readonly root: string
  readonly recordingsDir: string
  readonly profilesDir: string
  readonly locksDir: string

  constructor(
    root: string,
    private readonly options: StoreOptions = {},
  ) {
    this.root = root
    ;({recordingsDir: this.recordingsDir, profilesDir: this.profilesDir, locksDir: this.locksDir} = storeLayout(root))
  }

  /** The directory of one name's recordings. */
  recordingDir(name: string): string {
    return join(this.recordingsDir, safeNameSegment(name))
  }

  /** Where `profiles build` writes a name's profile, its sidecar and SPO YAML, and the lock it holds meanwhile. */
  profilePaths(name: string): ProfilePaths {
    const safe = safeNameSegment(name)
    const profile = join(this.profilesDir, `${safe}.json`)
    return {
      profile,
      complain: join(this.profilesDir, `${safe}.complain.json`),
      coverage: coveragePathFor(profile),
      spo: join(this.profilesDir, `${safe}.spo.yaml`),
      lock: join(this.locksDir, `${safe}.lock`),
    }
  }

  /**
   * Validates and writes one recording atomically (temp file, fsync, rename, fsync of the directory) to
   * `recordings/<safe name>/<id>.json`. Saving the same id again replaces the document as a whole.
   * Returns the path.
   */
  async save(recording: Recording): Promise<string> {
    const check = validateRecording(recording)
    if (!check.valid) throw new InvalidRecordingError(check.errors)
    const dir = this.recordingDir(recording.name)
    const path = join(dir, `${recording.id}.json`)
    try {
      await mkdir(dir, {recursive: true, mode: 0o755})
      await writeFileAtomic(path, `${JSON.stringify(recording, null, 2)}\n`, {
        durable: this.options.durable,
        afterPartialWrite: this.options.afterPartialWrite,
      })
    } catch (error) {
      throw writeError(path, error)
    }
    return path
  }

  /** Every profile name with at least one recording directory, sorted. */
  async names(): Promise<string[]> {
    const names = new Set<string>()
    for (const dir of await this.nameDirectories()) {
      const decoded = decodeSafeNameSegment(dir)
      if (decoded !== undefined) {
        names.add(decoded)
        continue
      }
      // A hashed (very long) name: the documents know it.
      const {recordings} = await this.readDirectory(dir, {})
      if (recordings[0]) names.add(recordings[0].name)
    }
    return [...names].sort()
  }

  /** The valid recordings that match the filter (invalid files are skipped: use scan() to see them). */
  async list(filter: RecordingFilter = {}): Promise<Recording[]> {
    return (await this.scan(filter)).recordings
  }

  /** The recordings that match the filter, and every file that is not a valid recording. */
  async scan(filter: RecordingFilter = {}, options: ScanOptions = {}): Promise<StoreScan> {
    const dirs = await this.selectDirectories(filter)
    const files: Array<{dir: string; file: string}> = []
    for (const dir of dirs) {
      for (const file of await this.recordingFiles(dir)) files.push({dir, file})
    }
    const recordings: Recording[] = []
    const invalid: InvalidRecordingFile[] = []
    await forEachChunk(files, options.onProgress, ({dir, file}) => {
      const result = this.readRecording(dir, file)
      if ('reason' in result) invalid.push(result)
      else if (matchesFilter(result, filter)) recordings.push(result)
    })
    // Stable order whatever the read order was: by name, then end time, then id.
    recordings.sort((a, b) => compare(a.name, b.name) || compare(a.endedAt, b.endedAt) || compare(a.id, b.id))
    invalid.sort((a, b) => compare(a.path, b.path))
    return {recordings, invalid}
  }

  /** The recordings of exactly one name that match the rest of the filter (filter.names is ignored). */
  async scanName(name: string, filter: RecordingFilter = {}, options: ScanOptions = {}): Promise<StoreScan> {
    const dir = safeNameSegment(name)
    const files = await this.recordingFiles(dir)
    const recordings: Recording[] = []
    const invalid: InvalidRecordingFile[] = []
    const rest: RecordingFilter = {...filter, names: undefined}
    await forEachChunk(files, options.onProgress, (file) => {
      const result = this.readRecording(dir, file)
      if ('reason' in result) invalid.push(result)
      else if (result.name === name && matchesFilter(result, rest)) recordings.push(result)
    })
    recordings.sort((a, b) => compare(a.endedAt, b.endedAt) || compare(a.id, b.id))
    invalid.sort((a, b) => compare(a.path, b.path))
    return {recordings, invalid}
  }

  /** How many recording files a name has (valid or not), without reading them. */
  async countFiles(name: string): Promise<number> {
    return (await this.recordingFiles(safeNameSegment(name))).length
  }

  /** Runs fn holding the name's lock (profile + sidecar are rewritten as a pair under it). */
  async withNameLock<T>(name: string, fn: () => Promise<T>): Promise<T> {
    try {
      await mkdir(this.locksDir, {recursive: true, mode: 0o700})
      restrictOwnDirectory(this.locksDir, 0o700)
    } catch (error) {
      throw writeError(this.locksDir, error)
    }
    return withLock(this.profilePaths(name).lock, fn, {what: `profile ${JSON.stringify(name)}`, ...this.options.lock})
  }

  /** Writes a file into the store's profiles directory atomically (creating it). */
  async writeProfileFile(path: string, text: string): Promise<void> {
    try {
      await mkdir(this.profilesDir, {recursive: true, mode: 0o755})
      await writeFileAtomic(path, text, {
        durable: this.options.durable,
        afterPartialWrite: this.options.afterPartialWrite,
      })
    } catch (error) {
      throw writeError(path, error)
    }
  }

  private async nameDirectories(): Promise<string[]> {
    try {
      const entries = await readdir(this.recordingsDir, {withFileTypes: true})
      return entries
        .filter((e) => e.isDirectory() && !e.name.startsWith('.'))
        .map((e) => e.name)
        .sort()
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw storeError(this.recordingsDir, error)
    }
  }

  private async selectDirectories(filter: RecordingFilter): Promise<string[]> {
    const all = await this.nameDirectories()
    const patterns = filter.names
    if (!patterns?.length) return all
    if (!patterns.some(isGlob)) {
      const wanted = new Set(patterns.map(safeNameSegment))
      return all.filter((d) => wanted.has(d))
    }
    // Hashed directory names cannot be matched by name: keep them, the documents are filtered after reading.
    return all.filter((d) => {
      const name = decodeSafeNameSegment(d)
      return name === undefined || matchesName(name, patterns)
    })
  }

  private async recordingFiles(dir: string): Promise<string[]> {
    try {
      const entries = await readdir(join(this.recordingsDir, dir), {withFileTypes: true})
      // Regular files only: symlinks are not followed, temp files (".…tmp") and other names are not recordings.
      return entries.filter((e) => e.isFile() && RECORDING_FILE.test(e.name)).map((e) => e.name)
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === 'ENOENT') return []
      throw storeError(join(this.recordingsDir, dir), error)
    }
  }

  private async readDirectory(dir: string, filter: RecordingFilter): Promise<StoreScan> {
    const recordings: Recording[] = []
    const invalid: InvalidRecordingFile[] = []
    for (const file of await this.recordingFiles(dir)) {
      const result = this.readRecording(dir, file)
      if ('reason' in result) invalid.push(result)
      else if (matchesFilter(result, filter)) recordings.push(result)
    }
    return {recordings, invalid}
  }

  /** Reads one document synchronously: one open/fstat/read/close without thread-pool round trips (4× faster here). */
  private readRecording(dir: string, file: string): Recording | InvalidRecordingFile {
    const path = join(this.recordingsDir, dir, file)
    let bytes: Buffer
    try {
      bytes = readBoundedFile(path, {maxBytes: MAX_RECORDING_BYTES, noFollow: true})
    } catch (error) {
      return {
        path,
        reason:
          error instanceof BoundedReadError && error.problem !== 'unreadable'
            ? `refused: ${error.reason}`
            : `unreadable: ${error instanceof BoundedReadError ? error.reason : (error as Error).message}`,
      }
    }
    let document: unknown
    try {
      document = JSON.parse(bytes.toString('utf8'))
    } catch (error) {
      return {path, reason: `not valid JSON: ${(error as Error).message}`}
    }
    const check = validateRecording(document)
    if (!check.valid) return {path, reason: check.errors.slice(0, 5).join('; ')}
    const recording = check.recording
    if (`${recording.id}.json` !== file) return {path, reason: `file name does not match its id "${recording.id}"`}
    if (safeNameSegment(recording.name) !== dir)
      return {path, reason: `recording of "${recording.name}" stored under another name's directory`}
    return recording
  }
}

/** A write that failed for a reason the user can fix (permissions, read-only, missing directory) as a UserError. */
export function writeError(path: string, error: unknown): unknown {
  const code = (error as NodeJS.ErrnoException).code
  const reasons: Record<string, string> = {
    EACCES: 'permission denied',
    EPERM: 'operation not permitted',
    EROFS: 'read-only file system',
    ENOENT: 'no such directory',
    ENOTDIR: 'a parent is not a directory',
    ENOSPC: 'no space left on device',
    EISDIR: 'is a directory',
  }
  if (code === undefined || !(code in reasons)) return error
  return new UserError(`cannot write ${path}: ${reasons[code]}`, {
    exit: EXIT.USAGE,
    code: 'unwritable',
    suggestions: ['Pass --store DIR (or set SECCOMP_RECORDER_STORE) to a directory you can write, or run as root.'],
  })
}

function storeError(path: string, error: unknown): UserError {
  const code = (error as NodeJS.ErrnoException).code
  const why =
    code === 'EACCES' ? 'permission denied' : code === 'ENOTDIR' ? 'not a directory' : (error as Error).message
  return new UserError(`cannot read the recordings store at ${path}: ${why}`, {
    exit: EXIT.USAGE,
    code: 'store-unreadable',
    suggestions: ['Pass --store DIR (or set SECCOMP_RECORDER_STORE), or run as a user that can read it.'],
  })
}

/** Runs fn over the items in chunks, yielding to the event loop between chunks (the progress bar renders then). */
async function forEachChunk<T>(
  items: T[],
  onProgress: ScanOptions['onProgress'],
  fn: (item: T) => void,
): Promise<void> {
  onProgress?.(0, items.length)
  for (let start = 0; start < items.length; start += READ_CHUNK) {
    const end = Math.min(items.length, start + READ_CHUNK)
    for (let i = start; i < end; i++) fn(items[i]!)
    onProgress?.(end, items.length)
    if (end < items.length) await yieldToLoop()
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Takes the bits beyond `mode` off the directory `path` when it is ours (our euid owns it): the store's locks are
 * 0700, as anyone who can open a lock file can hold a flock on it. A symlink is not followed (nor changed).
 */
function restrictOwnDirectory(path: string, mode: number): void {
  let fd: number
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_DIRECTORY | constants.O_NOFOLLOW)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ELOOP') return
    throw error
  }
  try {
    const stat = fstatSync(fd)
    if (stat.uid === process.geteuid?.() && (stat.mode & 0o777 & ~mode) !== 0) fchmodSync(fd, mode)
  } finally {
    closeSync(fd)
  }
}
