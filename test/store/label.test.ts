import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {labelProblem, MAX_LABEL} from '../../src/store/names.js'
import {createRecording, validateRecording} from '../../src/store/model.js'

const base = () =>
  createRecording({
    source: 'record',
    name: 'ci/tool',
    runtime: 'record',
    set: {names: {x86_64: ['read']}, unknown: []},
    startedAt: new Date(),
  })

describe('run labels (record --label, annotation seccomp-recorder.io/label)', () => {
  it('accepts the labels people write', () => {
    for (const label of [
      'e2e/checkout-flow',
      'ci:1234',
      'pr-17',
      'v1.2.3+build=4',
      'team@nightly',
      'a',
      'x'.repeat(MAX_LABEL),
    ])
      assert.equal(labelProblem(label), null, label)
  })

  it('refuses hostile ones: empty, too long, control characters, spaces, markup, shell, non-ASCII', () => {
    for (const label of [
      '',
      'x'.repeat(MAX_LABEL + 1),
      'a\nb',
      'a\u0000b',
      'a\u001b[31mred',
      'two words',
      '|table|',
      '`code`',
      '<script>',
      'a;rm -rf /',
      '$(id)',
      '-leading-dash',
      '/leading-slash',
      'é',
      'a\u202eb',
      '**bold**',
    ])
      assert.notEqual(labelProblem(label), null, JSON.stringify(label))
  })

  it('a recording keeps a good label and its schema refuses a bad one', () => {
    const r = {...base(), label: 'e2e/checkout-flow'}
    assert.equal(validateRecording(r).valid, true)
    assert.equal(validateRecording({...r, label: 'a b'}).valid, false)
    assert.equal(validateRecording({...r, label: 'x'.repeat(129)}).valid, false)
    assert.throws(() =>
      createRecording({
        source: 'record',
        name: 'ci/tool',
        runtime: 'record',
        set: {names: {}, unknown: []},
        startedAt: new Date(),
        label: 'a|b',
      }),
    )
  })
})
