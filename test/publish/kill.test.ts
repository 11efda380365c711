import assert from 'node:assert/strict'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {MANIFEST_FILE, parseManifest, sha256} from '../../src/publish/manifest.js'
import {listPublished} from '../../src/publish/published.js'
import {bigProfileVariants as variants, publishAndKill, tempDir, tempFiles} from './helpers.js'

/**
 * kill -9 during publish, many times: the target is always the complete old or new document, never partial;
 * the manifest is always readable; the next publish removes the temp files a killed one left behind.
 *
 * Half of the kills come at a random moment of a run; the other half the instant a temp file of ours appears
 * (inotify), so that many land between creating the temp file and renaming it — the window that matters.
 */

/** SIGKILLs actually delivered (a run that finished first does not count), over all workers. */
const KILLS = Number(process.env.PUBLISH_KILLS ?? 50)
const WORKERS = 3

interface Outcome {
  killed: boolean
  leftTemps: number
  ms: number
}

describe('publish under kill -9', () => {
  it(`leaves the target old or new, never partial, and the next publish cleans up (${KILLS} kills)`, async (t) => {
    const base = tempDir()
    const [a, b] = await variants(base)
    const outcomes: Outcome[] = []

    const worker = async (w: number, kills: number) => {
      const root = join(base, `root-${w}`)
      const target = join(root, 'big.json')
      // One clean run first: it creates the root (for the watcher) and tells how long a run takes.
      const first = await publishAndKill(root, a!.path, 'never')
      assert.equal(first.status, 0)
      let full = first.ms
      let delivered = 0
      for (let i = 0; delivered < kills && i < kills * 3; i++) {
        const next = i % 2 === 0 ? b! : a!
        const when = i % 4 < 2 ? 'temp' : Math.floor(Math.random() * full * 0.9)
        const run = await publishAndKill(root, next.path, when)
        if (run.killed) delivered++
        else {
          assert.equal(run.status, 0, 'an uninterrupted publish succeeds')
          full = run.ms
        }
        const content = readFileSync(target)
        assert.ok(
          content.equals(a!.bytes) || content.equals(b!.bytes),
          `try ${i} (${String(when)}): the target is neither the old nor the new profile (${content.length} bytes)`,
        )
        JSON.parse(content.toString('utf8'))
        // The manifest is replaced atomically too: always complete and valid.
        parseManifest(readFileSync(join(root, MANIFEST_FILE), 'utf8'), join(root, MANIFEST_FILE))
        outcomes.push({killed: run.killed, leftTemps: tempFiles(root).length, ms: run.ms})
      }
      // The next publish removes whatever the killed ones left, and the manifest tracks what is there.
      const last = await publishAndKill(root, a!.path, 'never')
      assert.equal(last.status, 0)
      assert.deepEqual(tempFiles(root), [])
      const listed = listPublished(root).profiles
      assert.deepEqual(
        listed.map((p) => [p.localhostProfile, p.status, p.sha256]),
        [['big.json', 'ok', sha256(a!.bytes)]],
      )
    }

    const perWorker = Math.ceil(KILLS / WORKERS)
    await Promise.all(Array.from({length: WORKERS}, (_, w) => worker(w, perWorker)))

    const killed = outcomes.filter((o) => o.killed).length
    const withTemps = outcomes.filter((o) => o.leftTemps > 0).length
    t.diagnostic(
      `${outcomes.length} runs, ${killed} killed, ${withTemps} left temp files behind (cleaned by the next publish)`,
    )
    assert.ok(killed >= KILLS, `only ${killed} runs were killed`)
    assert.ok(withTemps > 0, 'no kill landed between temp file and rename: the test did not exercise the write window')
  })
})
