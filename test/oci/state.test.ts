import assert from 'node:assert/strict'
import {mkdtempSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {annotationsOf, parseOciState, StateError} from '../../src/oci/state.js'

const good = {
  ociVersion: '1.0.2',
  id: 'abc123',
  status: 'created',
  pid: 4242,
  bundle: '/run/bundle',
  annotations: {'io.containers.trace-syscall': 'of:/o/x.json'},
}

describe('parseOciState', () => {
  it('accepts a runtime state', () => {
    assert.deepEqual(parseOciState(JSON.stringify(good)), good)
  })

  it('accepts a state without pid (poststop) or annotations (older runtimes)', () => {
    const s = parseOciState(JSON.stringify({...good, pid: undefined, annotations: undefined, status: 'stopped'}))
    assert.equal(s.pid, null)
    assert.deepEqual(s.annotations, {})
  })

  for (const [name, text, why] of [
    ['not JSON', '{"id":', /not valid JSON/],
    ['an array', '[]', /not a JSON object/],
    ['duplicate keys', '{"id":"a","id":"b","bundle":"/b"}', /duplicate key "id"/],
    ['a hostile id', JSON.stringify({...good, id: '../../etc'}), /"id" must be/],
    ['an id with NUL', JSON.stringify({...good, id: 'a\u0000b'}), /"id" must be/],
    ['a relative bundle', JSON.stringify({...good, bundle: 'bundle'}), /"bundle" must be/],
    ['a string pid', JSON.stringify({...good, pid: '42'}), /"pid" must be/],
    ['a negative pid', JSON.stringify({...good, pid: -1}), /"pid" must be/],
    ['annotations as a list', JSON.stringify({...good, annotations: ['a']}), /"annotations" must be an object/],
    ['a numeric annotation', JSON.stringify({...good, annotations: {a: 1}}), /must be a string/],
    ['more than 1 MiB', JSON.stringify({...good, annotations: {a: 'x'.repeat(1024 * 1024)}}), /larger than/],
  ] as const) {
    it(`refuses ${name}`, () => {
      assert.throws(
        () => parseOciState(text),
        (error: unknown) => error instanceof StateError && why.test(error.message),
      )
    })
  }
})

describe('annotationsOf', () => {
  it('falls back to the bundle config.json', async () => {
    const bundle = mkdtempSync(join(tmpdir(), 'scr-bundle-'))
    writeFileSync(
      join(bundle, 'config.json'),
      JSON.stringify({ociVersion: '1.0.2', annotations: {'seccomp-recorder.io/record': 'auto'}}),
    )
    assert.deepEqual(await annotationsOf({...good, bundle, annotations: {}}), {'seccomp-recorder.io/record': 'auto'})
  })
})
