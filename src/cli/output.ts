import {Chalk, type ChalkInstance} from 'chalk'

/**
 * Human output: a chalk instance that honours NO_COLOR (https://no-color.org) and FORCE_COLOR (as chalk and
 * Node read it: 0 or false turns colour off even at a terminal, any other value turns it on even on a pipe),
 * and plain text when the stream is not a terminal. NO_COLOR wins. JSON output never goes through here.
 */
export function terminalColours(
  env: NodeJS.ProcessEnv = process.env,
  isTty = Boolean(process.stdout.isTTY),
): ChalkInstance {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return new Chalk({level: 0})
  const forced = env.FORCE_COLOR
  if (forced === '0' || forced === 'false') return new Chalk({level: 0})
  if (forced !== undefined) return new Chalk({level: 1})
  return new Chalk({level: isTty ? 1 : 0})
}
