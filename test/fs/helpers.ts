import {execFileSync} from 'node:child_process'
import {lstatSync, mkdtempSync, readdirSync, rmSync, statSync} from 'node:fs'
import {createServer, type Server} from 'node:net'
import {tmpdir} from 'node:os'
import {join} from 'node:path'

/**
 * Special files for the file-system tests, all made inside a temporary directory: character devices made with
 * mknod (1,3 is null, 1,5 zero, 1,7 full; root needed), a block device node (7,0, never opened), FIFOs, a
 * listening unix socket. The machine's own /dev is never touched.
 */
export interface SpecialFiles {
  dir: string
  null: string
  zero: string
  full: string
  block: string
  fifo: string
  socket: string
  directory: string
  /** A symlink to `null`. */
  linkToNull: string
  /** A symlink to `zero`. */
  linkToZero: string
  close(): Promise<void>
}

export async function makeSpecialFiles(prefix: string): Promise<SpecialFiles> {
  const dir = mkdtempSync(join(tmpdir(), `scr-${prefix}-`))
  const at = (name: string) => join(dir, name)
  execFileSync('mknod', [at('null'), 'c', '1', '3'])
  execFileSync('mknod', [at('zero'), 'c', '1', '5'])
  execFileSync('mknod', [at('full'), 'c', '1', '7'])
  execFileSync('mknod', [at('block'), 'b', '7', '0'])
  execFileSync('mkfifo', [at('fifo')])
  execFileSync('mkdir', [at('directory')])
  execFileSync('ln', ['-s', at('null'), at('link-to-null')])
  execFileSync('ln', ['-s', at('zero'), at('link-to-zero')])
  const server: Server = createServer()
  await new Promise<void>((resolve) => server.listen(at('socket'), resolve))
  return {
    dir,
    null: at('null'),
    zero: at('zero'),
    full: at('full'),
    block: at('block'),
    fifo: at('fifo'),
    socket: at('socket'),
    directory: at('directory'),
    linkToNull: at('link-to-null'),
    linkToZero: at('link-to-zero'),
    close: async () => {
      await new Promise((resolve) => server.close(resolve))
      rmSync(dir, {recursive: true, force: true})
    },
  }
}

/** What a path is (not following a symlink): type bits and inode, to compare before and after. */
export function identity(path: string): {type: number; ino: number; rdev: number} {
  const st = lstatSync(path)
  return {type: st.mode & 0o170000, ino: st.ino, rdev: st.rdev}
}

/** The identity of what a symlink points to. */
export function targetIdentity(path: string): {type: number; ino: number; rdev: number} {
  const st = statSync(path)
  return {type: st.mode & 0o170000, ino: st.ino, rdev: st.rdev}
}

/** Leftover temp files (writeFileAtomic's `.<name>.<pid>.<hex>.tmp`) in `dir`. */
export const tempFiles = (dir: string): string[] => readdirSync(dir).filter((name) => name.endsWith('.tmp'))

/** The machine's /dev/null must stay a character device whatever a test does. */
export function assertDevNullIntact(): void {
  const st = statSync('/dev/null')
  if (!st.isCharacterDevice()) throw new Error('/dev/null is no longer a character device: a test replaced it')
}
