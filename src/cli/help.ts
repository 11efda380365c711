import {Help} from '@oclif/core'
import {formatExitCodeTable} from '../core/exit-codes.js'

/** The journey from recording to publishing, shown in `seccomp-recorder --help`. */
const ROOT_EXAMPLES = [
  ['Check a profile before committing it', 'seccomp-recorder validate my-app.json'],
  ['Summarise a profile and print its normalised JSON', 'seccomp-recorder profiles show my-app.json'],
  ['Machine-readable output from any command', 'seccomp-recorder validate --json my-app.json'],
]

/** oclif's help with examples on the root page and the one exit-code table on every page. */
export default class SeccompRecorderHelp extends Help {
  protected override async showRootHelp(): Promise<void> {
    await super.showRootHelp()
    const examples = ROOT_EXAMPLES.map(([what, command]) => `  ${what}\n\n    $ ${command}`).join('\n\n')
    this.log(`\n${this.section('EXAMPLES', examples)}\n\n${this.section('EXIT CODES', formatExitCodeTable())}`)
  }

  override formatCommand(command: Parameters<Help['formatCommand']>[0]): string {
    return `${super.formatCommand(command)}\n\n${this.section('EXIT CODES', formatExitCodeTable())}`
  }
}
