import assert from 'node:assert/strict'
import {mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {EXIT} from '../../src/core/exit-codes.js'
import {runCli} from '../helpers/cli.js'

/** Argument values above 2^53 go through every command byte-exact (JSON.parse would round them). */
const A = 'fixtures/profiles/u64/big-values.json'
const B = 'fixtures/profiles/u64/big-values-b.json'
const EXACT = ['9007199254740993', '9223372036854775808', '18446744073709551615']
const ROUNDED = ['9007199254740992', '9223372036854776000', '18446744073709552000']

const dir = mkdtempSync(join(tmpdir(), 'scr-u64-'))
after(() => rmSync(dir, {recursive: true, force: true}))

function ok(args: string[]): string {
  const run = runCli(args)
  assert.equal(run.status, EXIT.OK, `${args.join(' ')}: ${run.stderr}${run.stdout}`)
  return run.stdout
}

function assertExact(text: string, what: string): void {
  for (const digits of EXACT) assert.ok(text.includes(digits), `${what} lacks ${digits}`)
  for (const digits of ROUNDED.slice(1)) assert.ok(!text.includes(digits), `${what} has the rounded ${digits}`)
}

describe('u64 argument values through the commands', () => {
  it('validate accepts 2^53+1, 2^63 and 2^64-1', () => {
    ok(['validate', A])
  })

  it('profiles show --normalised and --json keep the digits, and the normalised text reads back the same', () => {
    const normalised = ok(['profiles', 'show', '--normalised', A])
    assertExact(normalised, 'normalised')
    assert.ok(!normalised.includes('9007199254740992'))
    const again = join(dir, 'again.json')
    writeFileSync(again, normalised)
    assert.equal(ok(['profiles', 'show', '--normalised', again]), normalised)
    const json = ok(['profiles', 'show', '--json', A])
    assertExact(json, 'show --json')
    assert.match(ok(['profiles', 'show', A]), /option & 0xffffffffffffffff == 0xffffffffffffffff/)
  })

  it('profiles merge keeps both values apart', () => {
    const merged = ok(['profiles', 'merge', A, B])
    assertExact(merged, 'merged')
    assert.ok(merged.includes('9007199254740992'), 'the value of B')
    assertExact(ok(['profiles', 'merge', '--json', A, B]), 'merge --json')
  })

  it('diff sees the two values as different and reports them exactly', () => {
    const run = runCli(['diff', '--json', '--fail-on', 'any', A, B])
    assert.equal(run.status, EXIT.CHECK_FAILED, run.stderr)
    assert.ok(run.stdout.includes('9007199254740993') && run.stdout.includes('9007199254740992'), run.stdout)
    assert.equal(runCli(['diff', '--fail-on', 'any', A, A]).status, EXIT.OK)
  })

  it('publish writes the exact digits, into a root and into the Kubernetes manifests', () => {
    const root = join(dir, 'root')
    ok(['publish', '--root', root, '--name', 'big', A])
    const published = readFileSync(join(root, 'big.json'), 'utf8')
    assertExact(published, 'published file')
    assert.equal(published, ok(['profiles', 'show', '--normalised', A]))
    assertExact(ok(['publish', '--kubernetes', A]), 'kubernetes manifests')
  })

  it('validate refuses 2^64, -1, 1.5 and 1e3 with pointer and line:column', () => {
    for (const [literal, message] of [
      ['18446744073709551616', /must be ≤ 18446744073709551615/],
      ['-1', /must be ≥ 0/],
      ['1.5', /must be integer/],
      ['1e3', /plain decimal digits/],
    ] as const) {
      const path = join(dir, 'bad.json')
      writeFileSync(path, readFileSync(A, 'utf8').replace('18446744073709551615, "valueTwo"', `${literal}, "valueTwo"`))
      const run = runCli(['validate', path])
      assert.equal(run.status, EXIT.CHECK_FAILED, `${literal}: ${run.stdout}`)
      assert.match(run.stdout, /bad\.json:8:\d+ \/syscalls\/3\/args\/0\/value/, run.stdout)
      assert.match(run.stdout, message)
    }
  })
})
