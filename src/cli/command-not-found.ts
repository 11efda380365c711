import {toConfiguredId, type Hook} from '@oclif/core'
import askToRunSuggestion from '@oclif/plugin-not-found'
import {closestMatch} from './did-you-mean.js'
import {writeUserError} from './error-output.js'
import {UserError} from '../core/errors.js'
import {EXIT} from '../core/exit-codes.js'

const DECLINED = Symbol('suggestion declined')

/**
 * oclif's `command_not_found` hook: an unknown command is a usage error (exit 2, JSON body with --json) with a
 * "did you mean". At an interactive terminal without --json, @oclif/plugin-not-found first asks whether to run
 * the closest command and runs it when the user agrees.
 */
const commandNotFound: Hook.CommandNotFound = async function (options) {
  const {config} = options
  const hidden = new Set(config.commands.filter((c) => c.hidden).map((c) => c.id))
  const ids = config.commandIDs.filter((id) => !hidden.has(id))
  const json = (options.argv ?? []).includes('--json')
  const id = typedCommand(options.id, (topic) => config.findTopic(topic) !== undefined)
  const suggestion = closestMatch(id, ids)
  if (suggestion !== undefined && !json && process.stdin.isTTY && process.stderr.isTTY) {
    // The plugin warns and ends with an error of its own (exit 127) when the user declines; we report instead.
    const quiet = {
      ...this,
      warn: () => {},
      error: (): never => {
        throw DECLINED
      },
    }
    try {
      // The words oclif joined into the id after the command are its arguments.
      const argv = [...options.id.split(':').slice(id.split(':').length), ...(options.argv ?? [])]
      return await askToRunSuggestion.call(quiet, {...options, id, argv})
    } catch (error) {
      if (error !== DECLINED) throw error
    }
  }
  const typed = toConfiguredId(id, config)
  const suggestions =
    suggestion === undefined ? [] : [`did you mean \`${config.bin} ${toConfiguredId(suggestion, config)}\`?`]
  suggestions.push(`\`${config.bin} --help\` lists the commands`)
  writeUserError(
    new UserError(`${typed} is not a ${config.bin} command`, {exit: EXIT.USAGE, code: 'unknown-command', suggestions}),
    json,
  )
  this.exit(EXIT.USAGE)
}

/** With a space as topic separator oclif joins the arguments into the id (`validatee x` → validatee:x): keep the topics and one word more. */
function typedCommand(id: string, isTopic: (topic: string) => boolean): string {
  const words = id.split(':')
  let length = 1
  while (length < words.length && isTopic(words.slice(0, length).join(':'))) length++
  return words.slice(0, length).join(':')
}

export default commandNotFound
