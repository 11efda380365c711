import {Help} from '@oclif/core'
import {formatExitCodeTable} from './exit-codes.js'

/** oclif's help with the one exit-code table appended to the root help and to every command's help. */
export default class SeccompRecorderHelp extends Help {
  override formatRoot(): string {
    return `${super.formatRoot()}\n\n${this.section('EXIT CODES', formatExitCodeTable())}`
  }

  override formatCommand(command: Parameters<Help['formatCommand']>[0]): string {
    return `${super.formatCommand(command)}\n\n${this.section('EXIT CODES', formatExitCodeTable())}`
  }
}
