import {Command, Errors} from '@oclif/core'
import {isUserError, UserError} from './errors.js'
import {EXIT, type ExitCode} from './exit-codes.js'
import {terminalColours} from './output.js'

/**
 * What every seccomp-recorder command shares: `--json` (stable JSON on stdout, nothing else there) and
 * the way errors end a command: a message, suggestions and an exit code from the one table, no stack trace.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true

  /** Exit with a non-zero code after the result was printed (e.g. `validate` on an invalid profile). */
  protected setExitCode(code: ExitCode): void {
    process.exitCode = code
  }

  protected override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    // oclif's own errors (bad flags, missing args, this.exit) keep their exit codes and wording.
    if (!isUserError(error) && (error instanceof Errors.CLIError || (error as {oclif?: unknown}).oclif !== undefined)) return super.catch(error)
    const userError = isUserError(error)
      ? error
      : // An unexpected failure is a bug or an environment problem: say so plainly; DEBUG=* shows the stack.
        new UserError(`unexpected error: ${error.message}`, {exit: EXIT.RUNTIME, code: 'internal', suggestions: ['Run again with DEBUG=* to see where it happened, and report it.']})
    if (process.env.DEBUG && !isUserError(error)) process.stderr.write(`${error.stack}\n`)
    process.exitCode = userError.exit
    if (this.jsonEnabled()) {
      return super.catch(new Errors.CLIError(userError.message, {exit: userError.exit, code: userError.code, suggestions: userError.suggestions}))
    }
    const c = terminalColours(process.env, Boolean(process.stderr.isTTY))
    const suggestions = userError.suggestions.map((s) => `\n  ${c.dim('try:')} ${s}`).join('')
    process.stderr.write(`${c.red('Error:')} ${userError.message}${suggestions}\n`)
    return this.exit(userError.exit)
  }
}
