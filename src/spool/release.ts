import {rm} from 'node:fs/promises'
import {isUserError, UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {writeFileAtomic} from '../fs/atomic-write.js'
import {readTarget, removeTarget, type KernelTarget} from '../kernel/native-helper.js'
import {orphanPath, readTargetFile, targetAdds, unionTargets} from './layout.js'
import {describeNamespace, sameNamespace, type NamespaceRef} from './namespace.js'

/**
 * The release protocol: a namespace's recording leaves the kernel (or the orphan file a prestart moved it into)
 * for somewhere that survives a kill -9 — the finaliser's journal, or gc's salvaged recording — and only then is
 * it removed. The one copy of it, for the poststop's finaliser and for gc alike:
 *
 *   1. (finalisers) the namespace's orphan file is added to what is kept, kept, then removed;
 *   2. the kernel target is removed — only while it is still this namespace's (sameNamespace): if its number
 *      changed hands between the read and the removal, the new owner's target is written where its own finaliser
 *      looks for it (orphan-<its ns_id>.json), exactly as a prestart would have; if it vanished meanwhile, a
 *      prestart moved it into the orphan file: (finalisers) taken from there;
 *   3. whatever the removal's snapshot adds (syscalls marked since the read) is kept: the union of both takes.
 */

/** The kernel's target for an inode number, or undefined when there is none. */
export async function kernelTarget(helper: string, mntns: number): Promise<KernelTarget | undefined> {
  try {
    return await readTarget(helper, mntns)
  } catch (error) {
    if (isUserError(error) && error.code === 'helper.no-such-target') return undefined
    throw error
  }
}

/** Where a namespace's recording is now (read, not taken); `reused`: its number belongs to another namespace. */
export type RecordingPlace = {where: 'orphan' | 'kernel'; target: KernelTarget} | {where: 'gone'; reused: boolean}

/**
 * Where a namespace's recording is: the orphan file a prestart moved it into when the inode number was reused,
 * else the kernel target — only if it still belongs to this namespace — else (the number was reused between the
 * two reads) the orphan file again.
 */
export async function locateRecording(helper: string, spool: string, ns: NamespaceRef): Promise<RecordingPlace> {
  const orphan = async () => (ns.ns_id ? readTargetFile(orphanPath(spool, ns.ns_id)) : undefined)
  const early = await orphan()
  if (early) return {where: 'orphan', target: early}
  const current = await kernelTarget(helper, ns.mntns)
  if (current && sameNamespace(ns, current)) return {where: 'kernel', target: current}
  const late = await orphan()
  if (late) return {where: 'orphan', target: late}
  return {where: 'gone', reused: current !== undefined}
}

/** The error of a recording that is gone (code `recording-gone`): nothing anywhere holds its syscalls. */
export function recordingGone(ns: NamespaceRef, reused: boolean): UserError {
  const what = `the recording of ${describeNamespace(ns)}`
  return new UserError(
    reused
      ? `${what} is gone: its number now belongs to another namespace`
      : `${what} is gone: no kernel target and no orphan left`,
    {exit: EXIT.RUNTIME, code: 'recording-gone'},
  )
}

export interface Release {
  helper: string
  spool: string
  /** The namespace whose recording is released. */
  ns: NamespaceRef
  /** What is kept already (the journal's target, the salvaged recording's). */
  kept: KernelTarget
  /** The kernel target was read and checked to be ns's a moment ago: removed without looking again. */
  justRead: boolean
  /** Take the namespace's orphan file too (a finaliser: yes; gc salvaging a target no note claims: no). */
  takeOrphan: boolean
  /** Keeps a larger take where a kill -9 cannot lose it; called before anything it covers is removed. */
  keep: (target: KernelTarget) => Promise<void>
}

/** Runs the release protocol (see above); returns everything taken (kept already). */
export async function releaseTarget(release: Release): Promise<KernelTarget> {
  const {helper, spool, ns} = release
  let kept = release.kept
  const keep = async (target: KernelTarget) => {
    if (!targetAdds(kept, target)) return
    await release.keep(target)
    kept = target
  }
  let taken = release.takeOrphan ? await takeOrphan(spool, ns, kept, keep) : kept
  // Unless it was read from the kernel a moment ago, the number may belong to a running container by now (an
  // interrupted run resumed; the orphan case): check before removing.
  const current = release.justRead ? undefined : await kernelTarget(helper, ns.mntns)
  if (release.justRead || (current && sameNamespace(ns, current))) {
    // The recorder stays attached for a moment (see hook/entry.ts): the next container likely follows soon.
    const removed = await removeTarget(helper, ns.mntns, {keepAttached: true}).catch((error: unknown) => {
      if (isUserError(error) && error.code === 'helper.no-such-target') return undefined
      throw error
    })
    if (removed && !sameNamespace(ns, removed) && removed.ns_id) {
      await writeFileAtomic(orphanPath(spool, removed.ns_id), `${JSON.stringify(removed)}\n`, {mode: 0o600})
    } else if (removed) {
      taken = unionTargets(taken, removed)
    } else if (release.takeOrphan) {
      // Gone between the read and the removal: a prestart whose namespace got this number moved it into the
      // orphan file meanwhile. Take it from there, or gc would store the run a second time.
      taken = await takeOrphan(spool, ns, taken, keep)
    }
  }
  await keep(taken)
  return taken
}

/** Adds ns's orphan file, if there is one, to taken: kept first, then the file goes. */
async function takeOrphan(
  spool: string,
  ns: NamespaceRef,
  taken: KernelTarget,
  keep: (target: KernelTarget) => Promise<void>,
): Promise<KernelTarget> {
  if (!ns.ns_id) return taken
  const path = orphanPath(spool, ns.ns_id)
  const orphan = await readTargetFile(path).catch(() => undefined)
  if (!orphan) return taken
  const merged = unionTargets(taken, orphan)
  await keep(merged)
  await rm(path, {force: true})
  return merged
}
