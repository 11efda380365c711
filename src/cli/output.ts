import {Chalk, type ChalkInstance} from 'chalk'

/**
 * Human output: a chalk instance that honours NO_COLOR (https://no-color.org) and FORCE_COLOR,
 * and plain text when stdout is not a terminal. JSON output never goes through here.
 */
export function terminalColours(env: NodeJS.ProcessEnv = process.env, isTty = Boolean(process.stdout.isTTY)): ChalkInstance {
  if (env.NO_COLOR !== undefined && env.NO_COLOR !== '') return new Chalk({level: 0})
  if (env.FORCE_COLOR !== undefined && env.FORCE_COLOR !== '0') return new Chalk({level: 1})
  return new Chalk({level: isTty ? 1 : 0})
}
