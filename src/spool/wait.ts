import {existsSync} from 'node:fs'
import {resolve} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'
import {recordingRequests} from '../oci/annotations.js'
import {annotationsOf, parseOciState} from '../oci/state.js'
import {journalPath, listSpool, notePath, readJournal} from './layout.js'
import {readSpoolNote} from './notes.js'

/**
 * `seccomp-recorder wait`: the runtime returns once the native poststop journaled a container's syscalls; its
 * outputs are written a moment later by the finaliser (src/hook/finaliser.ts). This waits until they are: for a
 * container id, until the spool holds neither its note nor its journal (a container still running is waited for
 * too); for an output path (`of:` of io.containers.trace-syscall), until no note or journal in the spool asks for
 * it and the file exists; with `all`, until the spool holds no journal (every container that has exited is
 * written).
 */

export interface WaitOptions {
  spool: string
  ids: readonly string[]
  outputs: readonly string[]
  /** Every container that has exited: until the spool holds no journal. */
  all?: boolean
  timeoutMs: number
  /** How often the spool is looked at (default 50 ms). */
  pollMs?: number
}

export interface WaitResult {
  done: boolean
  waitedMs: number
  /** What is still pending (empty when done). */
  pending: Array<{kind: 'container' | 'output'; subject: string; why: string}>
}

export async function waitForOutputs(options: WaitOptions): Promise<WaitResult> {
  const started = Date.now()
  const outputs = options.outputs.map((path) => resolve(path))
  for (;;) {
    const pending = await pendingNow(options.spool, options.ids, outputs, options.all ?? false)
    const waitedMs = Date.now() - started
    if (pending.length === 0) return {done: true, waitedMs, pending}
    if (waitedMs >= options.timeoutMs) return {done: false, waitedMs, pending}
    await sleep(Math.min(options.pollMs ?? 50, Math.max(1, options.timeoutMs - waitedMs)))
  }
}

/** The error `wait` exits with when the time is up (CONFLICT, code wait-timeout). */
export function waitTimedOut(result: WaitResult): UserError {
  const first = result.pending[0]
  return new UserError(
    `timed out after ${(result.waitedMs / 1000).toFixed(1)} s: ${first ? `${first.subject}: ${first.why}` : 'pending'}`,
    {
      exit: EXIT.CONFLICT,
      code: 'wait-timeout',
      suggestions: [
        'A container that still runs is waited for too; `seccomp-recorder gc` finishes a killed finaliser.',
      ],
    },
  )
}

async function pendingNow(spool: string, ids: readonly string[], outputs: readonly string[], all: boolean) {
  const pending: WaitResult['pending'] = []
  if (all)
    for (const entry of await listSpool(spool))
      if (entry.kind === 'journal' && !ids.includes(entry.id))
        pending.push({kind: 'container', subject: entry.id, why: 'its outputs are being written'})
  for (const id of ids) {
    if (existsSync(notePath(spool, id)))
      pending.push({kind: 'container', subject: id, why: 'registered: running, or its outputs are being written'})
    else if (existsSync(journalPath(spool, id)))
      pending.push({kind: 'container', subject: id, why: 'its outputs are being written'})
  }
  if (outputs.length === 0) return pending
  const asked = await outputsAskedFor(spool)
  for (const path of outputs) {
    const by = asked.get(path)
    if (by !== undefined) pending.push({kind: 'output', subject: path, why: `container ${by} will write it`})
    else if (!existsSync(path))
      pending.push({kind: 'output', subject: path, why: 'not written, and no recording in the spool asks for it'})
  }
  return pending
}

/** Output path → the container whose note or journal asks for it (`of:` of io.containers.trace-syscall). */
async function outputsAskedFor(spool: string): Promise<Map<string, string>> {
  const asked = new Map<string, string>()
  for (const entry of await listSpool(spool)) {
    let stateText: string | undefined
    if (entry.kind === 'journal') stateText = (await readJournal(spool, entry.id))?.note?.state
    else if (entry.kind === 'note') stateText = (await readSpoolNote(spool, entry.id).catch(() => undefined))?.state
    if (stateText === undefined) continue
    const id = entry.kind === 'journal' || entry.kind === 'note' ? entry.id : ''
    try {
      for (const request of recordingRequests(await annotationsOf(parseOciState(stateText))))
        if (request.kind === 'trace-syscall') asked.set(resolve(request.output), id)
    } catch {
      // a state or annotation the finaliser refuses: it writes nothing
    }
  }
  return asked
}
