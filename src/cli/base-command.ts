import {Command, Errors} from '@oclif/core'
import {stringifyJson} from '../json/stringify.js'
import {closestMatch} from './did-you-mean.js'
import {writeUserError} from './error-output.js'
import {isUserError, UserError, type ErrorCode} from '../core/errors.js'
import {EXIT, type ExitCode} from '../core/exit-codes.js'

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

  /**
   * Flags and arguments are checked before run() starts, so bad usage never runs a command (not even one that
   * does not parse its own input, as `uninstall` did: `uninstall --bogus` uninstalled).
   */
  override async init(): Promise<void> {
    await super.init()
    await this.parse(this.ctor)
  }

  /** Plain JSON (never coloured), with u64 argument values (bigint) as their exact digits. */
  override logJson(json: unknown): void {
    process.stdout.write(`${stringifyJson(json, 2)}\n`)
  }

  protected override async catch(error: Error & {exitCode?: number}): Promise<unknown> {
    // this.exit() inside a command: its code stands.
    if (error instanceof Errors.ExitError) return super.catch(error)
    const userError = isUserError(error)
      ? error
      : error instanceof Errors.CLIError
        ? this.usageError(error)
        : // An unexpected failure is a bug or an environment problem: say so plainly; DEBUG=* shows the stack.
          new UserError(`unexpected error: ${error.message}`, {
            exit: EXIT.RUNTIME,
            code: 'internal',
            suggestions: ['Run again with DEBUG=* to see where it happened, and report it.'],
          })
    if (process.env.DEBUG && !isUserError(error)) process.stderr.write(`${error.stack}\n`)
    process.exitCode = userError.exit
    writeUserError(userError, this.jsonEnabled())
    if (this.jsonEnabled()) return undefined
    return this.exit(userError.exit)
  }

  /** oclif's parser errors (unknown flag, missing argument, bad flag value) as a usage error, with a "did you mean" for flags. */
  private usageError(error: Errors.CLIError): UserError {
    const message = error.message.replace(/\nSee more help with --help$/, '')
    const help = `${this.config.bin} ${this.id?.replaceAll(':', ' ') ?? ''} --help`.replace(/ +/g, ' ')
    const unknownFlags = (error as {flags?: unknown}).flags
    const suggestions: string[] = []
    let code: ErrorCode = 'usage'
    if (Array.isArray(unknownFlags)) {
      code = 'unknown-flag'
      const known = this.knownFlags()
      for (const flag of unknownFlags.map(String)) {
        const match = closestMatch(flag.replace(/=.*$/, ''), known)
        if (match !== undefined) suggestions.push(`did you mean ${match}? (for ${flag})`)
      }
    }
    suggestions.push(`${help} shows the flags and arguments`)
    // A parser error is bad usage (oclif gives 2); anything else it throws keeps its own code.
    const exit = (error.oclif?.exit ?? EXIT.USAGE) as ExitCode
    return new UserError(message, {exit, code, suggestions})
  }

  /** `--name` and `-c` of every flag of this command, --json included. */
  private knownFlags(): string[] {
    const flags = Object.values(this.ctor.flags ?? {}) as Array<{name: string; char?: string; allowNo?: boolean}>
    return flags
      .flatMap((f) => [`--${f.name}`, ...(f.allowNo ? [`--no-${f.name}`] : []), ...(f.char ? [`-${f.char}`] : [])])
      .concat(this.ctor.enableJsonFlag ? ['--json'] : [])
  }
}
