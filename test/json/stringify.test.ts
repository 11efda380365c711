import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {stringifyJson} from '../../src/json/stringify.js'

describe('stringifyJson', () => {
  it('writes what JSON.stringify writes for JSON data, one-line and indented', () => {
    fc.assert(
      fc.property(fc.jsonValue(), fc.constantFrom(0, 2, 4), (value, indent) => {
        assert.equal(stringifyJson(value, indent), JSON.stringify(value, null, indent))
      }),
      {numRuns: 500},
    )
  })

  it('leaves out undefined properties and writes null for undefined array items, as JSON.stringify does', () => {
    const value = {a: undefined, b: [undefined, 1], c: {toJSON: () => 'x'}, d: Number.NaN}
    assert.equal(stringifyJson(value, 2), JSON.stringify(value, null, 2))
  })

  it('writes a bigint as its exact decimal digits', () => {
    const u64Max = (1n << 64n) - 1n
    assert.equal(
      stringifyJson({value: u64Max, list: [2n ** 53n + 1n, 0n]}),
      '{"value":18446744073709551615,"list":[9007199254740993,0]}',
    )
    assert.equal(JSON.parse(stringifyJson({v: 5n}, 2)).v, 5)
  })
})
