import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {terminalColours} from '../../src/cli/output.js'
import {runCli, runCliAtTerminal} from '../helpers/cli.js'

const ESC = /\u001b\[/
const TRUNCATED = 'fixtures/profiles/invalid/truncated.json'

function runAtTerminal(args: string[], env: NodeJS.ProcessEnv): string {
  return runCliAtTerminal(args, {env}).stdout
}

describe('FORCE_COLOR and NO_COLOR', () => {
  it('FORCE_COLOR=0 or false turns colour off even at a terminal; any other value turns it on; NO_COLOR wins', () => {
    assert.equal(terminalColours({}, true).level, 1)
    assert.equal(terminalColours({}, false).level, 0)
    assert.equal(terminalColours({FORCE_COLOR: '0'}, true).level, 0)
    assert.equal(terminalColours({FORCE_COLOR: 'false'}, true).level, 0)
    assert.equal(terminalColours({FORCE_COLOR: '1'}, false).level, 1)
    assert.equal(terminalColours({FORCE_COLOR: ''}, false).level, 1)
    assert.equal(terminalColours({FORCE_COLOR: '1', NO_COLOR: '1'}, true).level, 0)
  })

  it('at a terminal: colour by default, none with FORCE_COLOR=0 or NO_COLOR', () => {
    assert.match(runAtTerminal(['validate', TRUNCATED], {}), ESC, 'colour at a terminal (the check itself works)')
    assert.doesNotMatch(runAtTerminal(['validate', TRUNCATED], {FORCE_COLOR: '0'}), ESC)
    assert.doesNotMatch(runAtTerminal(['validate', TRUNCATED], {NO_COLOR: '1'}), ESC)
    assert.doesNotMatch(runAtTerminal(['validate', '--strct', TRUNCATED], {FORCE_COLOR: '0'}), ESC, 'errors too')
  })

  it('on a pipe: no colour by default or with FORCE_COLOR=0, colour with FORCE_COLOR=1, never in --json', () => {
    assert.doesNotMatch(runCli(['validate', TRUNCATED], {env: {NO_COLOR: undefined}}).stdout, ESC)
    assert.doesNotMatch(runCli(['validate', TRUNCATED], {env: {NO_COLOR: undefined, FORCE_COLOR: '0'}}).stdout, ESC)
    assert.match(runCli(['validate', TRUNCATED], {env: {NO_COLOR: undefined, FORCE_COLOR: '1'}}).stdout, ESC)
    assert.match(
      runCli(['validate', '--strct', TRUNCATED], {env: {NO_COLOR: undefined, FORCE_COLOR: '1'}}).stderr,
      ESC,
      'errors on stderr too',
    )
    assert.doesNotMatch(
      runCli(['validate', '--json', TRUNCATED], {env: {NO_COLOR: undefined, FORCE_COLOR: '1'}}).stdout,
      ESC,
    )
  })
})
