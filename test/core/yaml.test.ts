import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import fc from 'fast-check'
import {parse} from 'yaml'
import {formatYaml, isAmbiguousYamlString} from '../../src/core/yaml.js'

describe('YAML for 1.1 and 1.2 readers', () => {
  it('knows the plain strings either version resolves to something else', () => {
    // 1.1 only: booleans, old octal and binary, sexagesimal; 1.2 only: 0o octal; both: null, numbers.
    for (const text of ['on', 'No', 'y', '0755', '0b101', '1:20', '0o0', '0o17', '~', '', 'null', '12', '1e3', '.5'])
      assert.equal(isAmbiguousYamlString(text), true, text)
    for (const text of ['read', 'web-nginx', 'o0', '0o', 'SCMP_ACT_ALLOW', 'on-call', 'v1']) {
      assert.equal(isAmbiguousYamlString(text), false, text)
    }
  })

  it('reads back every string as itself under both versions (the CI counterexample "0o0" among them)', () => {
    const strings = fc.oneof(
      fc.string(),
      fc.stringMatching(/^[-+]?(0[box]?)?[0-9a-f_:.eE]{0,6}$/),
      fc.constantFrom('0o0', 'on', 'OFF', '010', '~', 'Null', '.inf', '2001-12-14'),
    )
    fc.assert(
      fc.property(fc.dictionary(strings, strings, {noNullPrototype: true}), fc.array(strings), (map, list) => {
        const text = formatYaml({map, list})
        for (const version of ['1.1', '1.2'] as const) assert.deepEqual(parse(text, {version}), {map, list}, text)
      }),
      {numRuns: 300},
    )
  })

  it('writes the comment before the document and no %YAML directive', () => {
    const text = formatYaml({a: 'no'}, {comment: 'made here\nand there'})
    assert.equal(text, '# made here\n# and there\n\na: "no"\n')
  })
})
