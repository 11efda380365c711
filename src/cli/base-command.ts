import {Command, Errors} from '@oclif/core'
import {isUserError} from './errors.js'
import {EXIT, type ExitCode} from './exit-codes.js'

/**
 * What every seccomp-recorder command shares: `--json` (stable JSON on stdout, nothing else there) and
 * the translation of UserError into oclif's error with an exit code from the one table and no stack trace.
 */
export abstract class BaseCommand extends Command {
  static override enableJsonFlag = true

  /** Exit with a non-zero code after the result was printed (e.g. `validate` on an invalid profile). */
  protected setExitCode(code: ExitCode): void {
    process.exitCode = code
  }

  protected override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    if (isUserError(error)) {
      return super.catch(new Errors.CLIError(error.message, {exit: error.exit, code: error.code, suggestions: error.suggestions}))
    }
    if (error instanceof Errors.CLIError || (error as {oclif?: unknown}).oclif !== undefined) return super.catch(error)
    // An unexpected failure is a bug or an environment problem: say so plainly; DEBUG=* shows the stack.
    const message = `unexpected error: ${error.message}`
    return super.catch(new Errors.CLIError(message, {exit: EXIT.RUNTIME, code: 'internal', suggestions: ['Run again with DEBUG=* to see where it happened, and report it.']}))
  }
}
