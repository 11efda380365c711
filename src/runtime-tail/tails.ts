import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import type {SyscallSet} from '../syscalls/syscall-set.js'
import {unionArguments, type ArgumentsBySyscall} from '../syscalls/arguments.js'
import {nativeAbi} from '../syscalls/index.js'
import {PACKAGE_ROOT} from '../core/paths.js'

/**
 * What a runtime does after it installs a container's seccomp filter and before the workload's execve: capset,
 * setuid, closing descriptors, Go runtime calls for runc; close_range, setresuid, … for crun. A recording made
 * unconfined starts at the workload's execve, so these are added from measured data
 * (profiles/runtime-tails.json, written by bench/measure-runtime-tails.ts): by default what both runc and crun
 * need, so a profile recorded under one runtime also starts the container under the other.
 */
interface TailData {
  tails: Record<string, string[]>
  /** What a runtime's thread started after the filter does (runc: under load); added only when asked for. */
  lateThreads: Record<string, string[]>
  /** Argument values of the curated syscalls a runtime passes after the filter (prctl, dropping capabilities). */
  argumentTails?: Record<string, ArgumentsBySyscall>
}

let data: TailData | undefined
function tailData(): TailData {
  data ??= JSON.parse(readFileSync(join(PACKAGE_ROOT, 'profiles', 'runtime-tails.json'), 'utf8')) as TailData
  return data
}

export const KNOWN_RUNTIMES = ['runc', 'crun'] as const

/**
 * The tail to add: both runtimes', or only the recording runtime's ('own'; both when that runtime is unknown).
 * With lateThreads, also what those runtimes' threads started after the filter do.
 */
export function runtimeTail(mode: 'both' | 'own', recordingRuntime: string, lateThreads = false): string[] {
  const {tails, lateThreads: threads} = tailData()
  const names = tailRuntimes(mode, recordingRuntime).flatMap((r) => [
    ...tails[r]!,
    ...(lateThreads && Object.hasOwn(threads, r) ? threads[r]! : []),
    ...Object.keys(runtimeArgumentTails(r)),
  ])
  return [...new Set(names)].sort()
}

function tailRuntimes(mode: 'both' | 'own', recordingRuntime: string): string[] {
  const {tails} = tailData()
  return mode === 'own' && Object.hasOwn(tails, recordingRuntime) ? [recordingRuntime] : Object.keys(tails)
}

const runtimeArgumentTails = (runtime: string): ArgumentsBySyscall => {
  const all = tailData().argumentTails ?? {}
  return Object.hasOwn(all, runtime) ? all[runtime]! : {}
}

/**
 * The recorded argument values with the tail's added (the runtimes runtimeTail names): a profile restricted to
 * the workload's prctl options alone would stop runc before the workload starts. Values recorded by a kernel
 * that records none (undefined) stay undefined: the syscalls are then allowed by name anyway.
 */
export function withArgumentTail(
  args: ArgumentsBySyscall | undefined,
  mode: 'both' | 'own',
  recordingRuntime: string,
): ArgumentsBySyscall | undefined {
  if (args === undefined) return undefined
  return tailRuntimes(mode, recordingRuntime).reduce<ArgumentsBySyscall>(
    (union, runtime) => unionArguments(union, runtimeArgumentTails(runtime))!,
    args,
  )
}

/** The set with the tail added to the native ABI (the runtime runs natively). */
export function withRuntimeTail(set: SyscallSet, tail: readonly string[]): SyscallSet {
  const abi = nativeAbi() ?? 'x86_64'
  return {names: {...set.names, [abi]: [...new Set([...(set.names[abi] ?? []), ...tail])].sort()}, unknown: set.unknown}
}
