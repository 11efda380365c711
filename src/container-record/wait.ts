import {setTimeout as sleep} from 'node:timers/promises'
import {listSpool} from '../spool/layout.js'

/**
 * Waits until the run's poststop has written its outputs: the container's note and journal have left the private
 * spool (the finaliser removes them after the outputs are written, or keeps both when an output failed for a
 * reason of the storage — then this times out). A container whose prestart never ran has no note: done at once.
 * The one place `record --podman`/`--bundle` waits for the poststop stage; swap it when the stage gets a `wait`.
 */
export async function waitForRunOutputs(options: {
  spool: string
  containerId: string | null
  timeoutMs: number
  pollMs?: number
}): Promise<'written' | 'timeout'> {
  const deadline = Date.now() + options.timeoutMs
  for (;;) {
    const pending = (await listSpool(options.spool)).some(
      (e) =>
        (e.kind === 'note' || e.kind === 'journal') && (options.containerId === null || e.id === options.containerId),
    )
    if (!pending) return 'written'
    if (Date.now() >= deadline) return 'timeout'
    await sleep(options.pollMs ?? 50)
  }
}

/** How long a run waits for its poststop: the hook's own timeout (60 s) plus the container lock's wait (30 s). */
export const RUN_OUTPUTS_TIMEOUT_MS = 90_000
