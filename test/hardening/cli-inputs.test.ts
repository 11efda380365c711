/**
 * The CLI cases of the hostile-input corpus (fixtures/hostile/cli/): files a user hands the CLI that are not what
 * they seem — devices, FIFOs, sockets, a symlink to /dev/zero, a 5 GiB file, documents with millions of items.
 * Each runs the real CLI with a 256 MB heap and a deadline and must end with its documented exit code and a clear
 * message, in bounded time, with bounded output, leaving every named node as it was and no temp file behind.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, lstatSync, readdirSync, statSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {REPO_ROOT} from '../helpers/cli.js'
import {loadCliCases, makeCaseTree, removeCaseTrees, runSetup, substitute} from './corpus.js'

const cases = loadCliCases()
const HEAP_MB = 256
const DEADLINE_MS = 60_000

after(() => removeCaseTrees())

const nodeOf = (path: string) => {
  const st = lstatSync(path)
  return {type: st.mode & 0o170000, ino: st.ino, rdev: st.rdev}
}

/** Leftover temp files anywhere below `dir` (writeFileAtomic's `.<name>.<pid>.<hex>.tmp`). */
function temps(dir: string): string[] {
  return readdirSync(dir, {recursive: true, encoding: 'utf8'}).filter((p) => /\.tmp$/.test(p))
}

describe('hostile CLI inputs (fixtures/hostile/cli)', () => {
  it('has its cases, each with a description, arguments and an expectation', () => {
    assert.ok(cases.length >= 10, `${cases.length} cases`)
    for (const c of cases) {
      assert.ok(
        c.description && c.args.length > 0 && Number.isInteger(c.expect.exit) && c.expect.output.length > 0,
        c.file,
      )
      for (const source of c.expect.output) new RegExp(source)
    }
  })

  for (const c of cases) {
    it(`${c.name}: exit ${c.expect.exit}, a clear message, ${HEAP_MB} MB heap, under ${DEADLINE_MS / 1000} s`, () => {
      const tree = makeCaseTree('cli', {spool: false})
      runSetup(c.setup, tree.vars)
      const unchanged = (c.unchanged ?? []).map((p) => substitute(p, tree.vars))
      const before = unchanged.map(nodeOf)
      const started = Date.now()
      const run = spawnSync(
        process.execPath,
        [
          `--max-old-space-size=${HEAP_MB}`,
          join(REPO_ROOT, 'bin', 'run.js'),
          ...c.args.map((a) => substitute(a, tree.vars)),
        ],
        {
          cwd: REPO_ROOT,
          encoding: 'utf8',
          env: {...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, SECCOMP_RECORDER_STORE: tree.vars.store},
          input: '',
          timeout: DEADLINE_MS,
          maxBuffer: 64 * 1024 * 1024,
        },
      )
      const elapsed = Date.now() - started
      const output = `${run.stdout}${run.stderr}`
      assert.equal(run.error, undefined, `${c.file}: ${run.error?.message} after ${elapsed} ms`)
      assert.equal(
        run.signal,
        null,
        `${c.file}: killed by ${run.signal} (out of memory?)\n${run.stderr.slice(0, 2000)}`,
      )
      assert.equal(run.status, c.expect.exit, `${c.file}: exit ${run.status}\n${output.slice(0, 2000)}`)
      for (const source of c.expect.output) assert.match(output, new RegExp(source), c.file)
      assert.doesNotMatch(output, /\n\s+at .*\.js:\d+/, `${c.file}: a stack trace`)
      if (c.expect.maxLines !== undefined) {
        const lines = output.split('\n').length - 1
        assert.ok(lines <= c.expect.maxLines, `${c.file}: ${lines} lines of output`)
      }
      assert.deepEqual(unchanged.map(nodeOf), before, `${c.file}: a node changed`)
      assert.deepEqual(temps(tree.vars.tmp), [], `${c.file}: a temp file was left`)
      assert.equal(existsSync(join(tree.vars.tmp, 'ran')), false, `${c.file}: the command ran`)
      assert.ok(statSync('/dev/null').isCharacterDevice(), '/dev/null is no longer a character device')
    })
  }
})
