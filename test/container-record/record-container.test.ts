import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {checkContainerRecordOptions} from '../../src/container-record/record-container.js'
import {EXIT} from '../../src/core/exit-codes.js'
import {UserError} from '../../src/core/errors.js'
import {runCli} from '../helpers/cli.js'

describe('record --name: names that end like the files beside a profile', () => {
  it('--podman and --bundle refuse them before anything runs (exit 3, bad-name)', () => {
    for (const name of ['shop/web.complain', 'web.coverage'])
      assert.throws(
        () => checkContainerRecordOptions({runner: {kind: 'podman', args: ['busybox']}, name}),
        (error: unknown) =>
          error instanceof UserError &&
          error.exit === EXIT.REFUSED &&
          error.code === 'bad-name' &&
          /ends in "\.(complain|coverage)"/.test(error.message),
      )
    assert.doesNotThrow(() =>
      checkContainerRecordOptions({runner: {kind: 'podman', args: ['busybox']}, name: 'shop/web'}),
    )
  })

  it('a plain command refuses them before it runs', () => {
    const run = runCli(['record', '--name', 'shop/web.coverage', '--', 'true'])
    assert.equal(run.status, EXIT.REFUSED, run.stderr)
    assert.match(run.stderr, /ends in "\.coverage", kept for the file beside a profile/)
    assert.doesNotMatch(run.stderr, /\n\s+at .*\.js:\d+/)
  })
})
