/**
 * The signals of a terminal while `record --podman` / `record --bundle` runs. While the runtime runs they go to
 * it (podman passes them on to the container, and the run is recorded up to there); at any other time they are
 * caught, so a second Ctrl-C while the run's recording is finished or its one-time hook removed never kills the
 * process half-way, leaving the hook's directory, its spool or a private store behind.
 */

export const FORWARDED_SIGNALS = ['SIGINT', 'SIGTERM', 'SIGHUP', 'SIGQUIT'] as const

export interface RunSignals {
  /** The runtime's process while it runs (signals go to it), undefined once it has exited. */
  forwardTo(child: {kill: (signal: NodeJS.Signals) => unknown} | undefined): void
  /** The first signal that came while no runtime ran, or null. */
  readonly caught: NodeJS.Signals | null
}

/**
 * Runs `body`, then `cleanup` whatever `body` did, with the signals held from the start of one to the end of the
 * other. `onCaught` hears every signal that was not forwarded (the caller says what is still being done).
 */
export async function withRunSignals<T>(
  body: (signals: RunSignals) => Promise<T>,
  cleanup: () => Promise<void>,
  onCaught: (signal: NodeJS.Signals) => void = () => undefined,
): Promise<T> {
  let child: Parameters<RunSignals['forwardTo']>[0]
  let caught: NodeJS.Signals | null = null
  const onSignal = (signal: NodeJS.Signals) => {
    if (child !== undefined) {
      child.kill(signal)
      return
    }
    caught ??= signal
    onCaught(signal)
  }
  for (const signal of FORWARDED_SIGNALS) process.on(signal, onSignal)
  const signals: RunSignals = {
    forwardTo: (c) => {
      child = c
    },
    get caught() {
      return caught
    },
  }
  try {
    return await body(signals)
  } finally {
    try {
      await cleanup()
    } finally {
      for (const signal of FORWARDED_SIGNALS) process.off(signal, onSignal)
    }
  }
}
