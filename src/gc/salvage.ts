import type {KernelTarget} from '../kernel/native-helper.js'
import {quotaExceeded} from '../kernel/quotas.js'
import type {NamespaceRef} from '../spool/namespace.js'
import {createRecording} from '../store/model.js'
import type {RecordingStore} from '../store/store.js'
import {nameKernelSyscalls, syscallCount} from '../syscalls/syscall-set.js'
import type {GcAction, GcSubject} from './report.js'

/**
 * Salvage: a target nobody else will finalise (an unclaimed orphan file, an unclaimed kernel target of a dead
 * namespace, a killed prestart's half-moved orphan) is saved into the store as a recording with source "gc",
 * named `orphan/<boot>-<ns_id>` and with the id `orphan-<boot>-<ns_id>` (salvageName), so salvaging the same
 * target again replaces it instead of adding a second copy. A target that recorded nothing is only dropped.
 */

/** The name and id of a salvaged recording of namespace `ns`. */
export function salvageName(ns: NamespaceRef, bootId: string, now: Date): {name: string; id: string} {
  const boot =
    bootId
      .replace(/[^0-9a-f]/gi, '')
      .slice(0, 8)
      .toLowerCase() || 'noboot'
  // Without an ns id (kernel < 6.8) the inode number is not unique over time: add the time.
  const key = ns.ns_id ? `${ns.ns_id}` : `m${ns.mntns}-${now.getTime()}`
  return {name: `orphan/${boot}-${key}`, id: `orphan-${boot}-${key}`}
}

export class Salvager {
  constructor(
    private readonly store: RecordingStore,
    private readonly bootId: string,
    private readonly now: () => Date,
  ) {}

  /** What save would do (a dry run). */
  plan(subject: GcSubject, target: KernelTarget, why: string): GcAction {
    if (recordedNothing(target))
      return {...subject, action: 'discard', reason: `${why}; it recorded nothing`, done: false, outputs: []}
    const {name} = salvageName({mntns: target.mntns, ns_id: subject.nsId ?? target.ns_id}, this.bootId, this.now())
    return {
      ...subject,
      action: 'salvage',
      reason: why,
      done: false,
      syscalls: syscallCount(nameKernelSyscalls(target)),
      outputs: [{kind: 'store', path: this.store.recordingDir(name), name}],
    }
  }

  /** Saves the target as a recording (or drops it when it recorded nothing). */
  async save(subject: GcSubject, ns: NamespaceRef, target: KernelTarget, why: string): Promise<GcAction> {
    const set = nameKernelSyscalls(target)
    if (recordedNothing(target))
      return {...subject, action: 'discard', reason: `${why}; it recorded nothing`, done: true, outputs: []}
    const now = this.now()
    const {name, id} = salvageName(ns, this.bootId, now)
    const recording = createRecording({
      id,
      source: 'gc',
      name,
      runtime: 'unknown',
      set,
      lost: target.lost,
      interrupted: target.interrupted === true,
      quota: target.quota,
      arguments: target.args,
      startedAt: now,
      endedAt: now,
    })
    const path = await this.store.save(recording)
    return {
      ...subject,
      action: 'salvage',
      reason: why,
      done: true,
      syscalls: syscallCount(set),
      outputs: [{kind: 'store', path, name}],
    }
  }
}

function recordedNothing(target: KernelTarget): boolean {
  return (
    syscallCount(nameKernelSyscalls(target)) === 0 &&
    target.lost === 0 &&
    target.interrupted !== true &&
    !quotaExceeded(target.quota)
  )
}
