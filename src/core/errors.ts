import {EXIT, type ExitCode} from './exit-codes.js'

/**
 * An error the user can act on: a message, an exit code from the one table, and suggestions.
 * Modules throw it; BaseCommand turns it into oclif's `this.error` so no stack trace is printed.
 */
export class UserError extends Error {
  readonly exit: ExitCode
  readonly suggestions: string[]
  readonly code: string

  /** `cause`: the underlying error (e.g. the system error of a failed write), for callers that tell kinds apart. */
  constructor(message: string, options: {exit?: ExitCode; suggestions?: string[]; code?: string; cause?: unknown} = {}) {
    super(message, options.cause === undefined ? undefined : {cause: options.cause})
    this.name = 'UserError'
    this.exit = options.exit ?? EXIT.USAGE
    this.suggestions = options.suggestions ?? []
    this.code = options.code ?? 'user-error'
  }
}

export function isUserError(error: unknown): error is UserError {
  return error instanceof UserError
}
