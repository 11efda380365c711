import {readdirSync, statSync} from 'node:fs'
import {execa} from 'execa'
import {ensureHelper} from '../kernel/native-helper.js'
import type {NamespaceRef} from '../spool/namespace.js'

/**
 * Is a recorded mount namespace still in use? A namespace is identified by its inode number (what the kernel
 * recorder keys its targets by) AND its ns_id (NS_GET_MNTNS_ID, Linux ≥ 6.8): inode numbers are reused as soon as
 * a namespace dies, ns ids never. It is alive while some process is in it:
 *
 *   - no process has a mount namespace with that inode number → dead (checked twice: a process that forks and
 *     exits while /proc is being read could slip past one scan, never past two);
 *   - some process has it, and the ns_id is known → the ns_id of that process's namespace decides: another ns_id
 *     means the number was reused and the recorded namespace is dead;
 *   - the ns_id cannot be read (no ns ids on this kernel, no helper) → alive: never finalise a recording that may
 *     still be running.
 *
 * Node cannot ioctl, so the ns_id of a process's namespace is read by the native helper (`ns-ids`): open
 * /proc/PID/ns/mnt, fstat (the inode, from the same open file, so a reused pid cannot fool it),
 * ioctl(NS_GET_MNTNS_ID). Processes we may not inspect (EACCES: not ours to trace, e.g. a sandbox's
 * init) are left out: the prestart opened the container's /proc/PID/ns/mnt itself, so a recorded container's
 * processes are always visible to root.
 */

export interface Liveness {
  alive: boolean
  why: string
}

export interface NamespaceProbe {
  check(ns: NamespaceRef): Promise<Liveness>
}

/** Mount-namespace inode number → pids of the processes in it, from /proc (threads share their process's). */
export function scanMountNamespaces(proc = '/proc'): Map<number, number[]> {
  const byInode = new Map<number, number[]>()
  for (const name of readdirSync(proc)) {
    if (!/^[0-9]+$/.test(name)) continue
    const pid = Number(name)
    for (const ino of namespaceInodes(proc, name)) {
      const pids = byInode.get(ino)
      if (pids) pids.push(pid)
      else byInode.set(ino, [pid])
    }
  }
  return byInode
}

function namespaceInodes(proc: string, pid: string): number[] {
  try {
    return [statSync(`${proc}/${pid}/ns/mnt`).ino]
  } catch (error) {
    // A thread-group leader that exited while its threads run has no namespaces of its own: ask the threads.
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') return []
    try {
      return [
        ...new Set(
          readdirSync(`${proc}/${pid}/task`).flatMap((tid) => {
            try {
              return [statSync(`${proc}/${pid}/task/${tid}/ns/mnt`).ino]
            } catch {
              return []
            }
          }),
        ),
      ]
    } catch {
      return []
    }
  }
}

/**
 * ns ids of the mount namespaces of these processes: pid → {inode, ns_id (undefined: unknown)}; processes that
 * are gone are absent. Undefined when they cannot be read at all (no helper).
 */
export async function mountNamespaceIds(
  pids: number[],
): Promise<Map<number, {ino: number; nsId?: number}> | undefined> {
  const result = new Map<number, {ino: number; nsId?: number}>()
  if (pids.length === 0) return result
  let namespaces: Array<{pid: number; mntns: number; ns_id?: number}>
  try {
    const run = await execa(await ensureHelper(), ['ns-ids', '--', ...pids.map(String)], {
      stdin: 'ignore',
      timeout: 10_000,
    })
    namespaces = (JSON.parse(run.stdout) as {namespaces: typeof namespaces}).namespaces
  } catch {
    return undefined
  }
  for (const ns of namespaces) result.set(ns.pid, {ino: ns.mntns, ...(ns.ns_id === undefined ? {} : {nsId: ns.ns_id})})
  return result
}

/** The probe gc uses: /proc and the processes' ns ids. */
export class ProcNamespaceProbe implements NamespaceProbe {
  private snapshot: Map<number, number[]> | undefined

  constructor(private readonly proc = '/proc') {}

  async check(ns: NamespaceRef, attempt = 0): Promise<Liveness> {
    this.snapshot ??= scanMountNamespaces(this.proc)
    let pids = this.snapshot.get(ns.mntns)
    if (!pids) {
      // Confirm with a fresh scan (and keep it: later checks start from the newer one).
      this.snapshot = scanMountNamespaces(this.proc)
      pids = this.snapshot.get(ns.mntns)
      if (!pids) return {alive: false, why: 'no process is left in its mount namespace'}
    }
    if (!ns.ns_id)
      return {
        alive: true,
        why: `${pids.length} process(es) in mount namespace ${ns.mntns} (no ns id to tell a reused number)`,
      }
    const ids = await mountNamespaceIds(pids.slice(0, 16))
    if (ids === undefined)
      return {
        alive: true,
        why: `${pids.length} process(es) in mount namespace ${ns.mntns}; their ns id cannot be read (native helper), so it is kept`,
      }
    const same = [...ids.values()].filter((v) => v.ino === ns.mntns)
    if (same.some((v) => v.nsId === ns.ns_id))
      return {alive: true, why: `running: ${pids.length} process(es) in its mount namespace`}
    if (same.length > 0 && same.every((v) => v.nsId !== undefined))
      return {
        alive: false,
        why: `its mount namespace is gone: inode number ${ns.mntns} now belongs to namespace ${same[0]!.nsId}`,
      }
    if (same.length === 0 && attempt < 3) {
      // Those processes moved on (or exited) since the scan: look again.
      this.snapshot = undefined
      return this.check(ns, attempt + 1)
    }
    return {
      alive: true,
      why: `${pids.length} process(es) in mount namespace ${ns.mntns}; cannot read their ns id, so it is kept`,
    }
  }
}
