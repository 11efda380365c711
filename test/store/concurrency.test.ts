import assert from 'node:assert/strict'
import {spawn, type ChildProcess} from 'node:child_process'
import {readdirSync, readFileSync, rmSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {fileURLToPath} from 'node:url'
import {parseCoverage} from '../../src/store/coverage.js'
import {checkProfileText} from '../../src/profile/load.js'
import {RecordingStore} from '../../src/store/store.js'
import {syscallNames} from '../../src/syscalls/index.js'
import {tempDir} from './helpers/recordings.js'

const writerScript = fileURLToPath(new URL('./helpers/writer.js', import.meta.url))
const root = tempDir('writers-')
after(() => rmSync(root, {recursive: true, force: true}))

/** Deterministic pseudo-random subsets of real syscall names. */
function subsets(count: number, seed: number): string[][] {
  const names = syscallNames('x86_64').slice(0, 120)
  let state = seed
  const next = () => (state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31
  return Array.from({length: count}, () => names.filter(() => next() < 0.3))
}

function waitForLine(child: ChildProcess, prefix: string): Promise<string> {
  return new Promise((resolve, reject) => {
    let buffer = ''
    const onData = (chunk: Buffer) => {
      buffer += chunk.toString()
      const line = buffer.split('\n').find((l) => l.startsWith(prefix))
      if (line !== undefined) {
        child.stdout!.off('data', onData)
        resolve(line)
      }
    }
    child.stdout!.on('data', onData)
    child.on('exit', (code) => reject(new Error(`writer exited with ${code} before "${prefix}"`)))
  })
}

/**
 * Processes the 50 writers run in (round-robin; each process runs its writers concurrently). 10 keeps the test
 * within ~10 s on 2 cores; SECCOMP_RECORDER_TEST_WRITER_PROCESSES=50 gives every writer its own process.
 */
const PROCESSES = Math.max(1, Math.min(50, Number(process.env.SECCOMP_RECORDER_TEST_WRITER_PROCESSES ?? 10)))

describe('50 writers finishing at the same moment', () => {
  it(
    `lose nothing: the built profile is exactly the union and coverage counts every run (${PROCESSES} processes)`,
    {timeout: 120_000},
    async () => {
      const name = 'default/web/nginx'
      const sets = subsets(50, 7)
      const perProcess = Array.from({length: PROCESSES}, (_, p) => sets.filter((_, i) => i % PROCESSES === p))
      const children = perProcess.map((group) =>
        spawn(process.execPath, [writerScript, root, name, JSON.stringify(group)], {
          stdio: ['pipe', 'pipe', 'inherit'],
        }),
      )
      try {
        // Every writer has loaded its code and waits; then all are released at once.
        await Promise.all(children.map((c) => waitForLine(c, 'ready')))
        const done = children.map((c) => waitForLine(c, 'done'))
        for (const child of children) child.stdin!.write('go\n')
        const ids = (await Promise.all(done)).flatMap((line) => line.split(' ').slice(1))
        assert.equal(new Set(ids).size, 50)
      } finally {
        for (const child of children) if (child.exitCode === null) child.kill('SIGKILL')
      }

      // The union and the counts, computed here from what was handed to the writers.
      const expectedCounts: Record<string, number> = {}
      for (const set of sets) for (const n of set) expectedCounts[n] = (expectedCounts[n] ?? 0) + 1
      const expectedUnion = Object.keys(expectedCounts).sort()

      const store = new RecordingStore(root)
      const {recordings, invalid} = await store.scan()
      assert.equal(recordings.length, 50)
      assert.deepEqual(invalid, [])
      const paths = store.profilePaths(name)
      const check = checkProfileText(readFileSync(paths.profile, 'utf8'))
      assert.ok(check.valid)
      assert.deepEqual(check.profile.syscalls, [{names: expectedUnion, action: 'SCMP_ACT_ALLOW'}])
      const {provenance, ...coverage} = parseCoverage(readFileSync(paths.coverage, 'utf8'))!
      assert.ok(provenance !== undefined && Object.keys(provenance.syscalls).length === expectedUnion.length)
      assert.deepEqual(coverage, {
        recordings: 50,
        syscalls: Object.fromEntries(expectedUnion.map((n) => [n, expectedCounts[n]])),
      })
      // No lock and no temp file left behind.
      assert.deepEqual(readdirSync(join(root, 'locks')), [])
      assert.deepEqual(readdirSync(join(root, 'profiles')).sort(), [
        'default_2Fweb_2Fnginx.coverage.json',
        'default_2Fweb_2Fnginx.json',
      ])
    },
  )
})
