import {stringifyJson} from '../json/stringify.js'
import type {UserError} from '../core/errors.js'
import {terminalColours} from './output.js'

/**
 * How a failed command reports, in one place for commands and for the unknown-command hook: with --json the
 * error body on stdout (message, code, suggestions and the exit code, nothing else), otherwise a message with
 * its suggestions on stderr. The caller sets the exit code.
 */
export function writeUserError(error: UserError, json: boolean): void {
  if (json) {
    const body = {
      error: {message: error.message, code: error.code, suggestions: error.suggestions, oclif: {exit: error.exit}},
    }
    process.stdout.write(`${stringifyJson(body, 2)}\n`)
    return
  }
  const c = terminalColours(process.env, Boolean(process.stderr.isTTY))
  const suggestions = error.suggestions.map((s) => `\n  ${c.dim('try:')} ${s}`).join('')
  process.stderr.write(`${c.red('Error:')} ${error.message}${suggestions}\n`)
}
