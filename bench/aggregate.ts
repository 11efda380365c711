// Benchmark (not a test): aggregate 10 000 recordings from a store on disk, target ≤ 2 s.
//   npm run build && node dist/bench/aggregate.js [COUNT] [NAMES]
// Generates COUNT recordings (default 10 000) over NAMES profile names (default 20) into a temp store — realistic
// ones: 60–180 syscalls each out of the x86_64 table, common ones more likely — then times what `profiles build`
// does: list the store, read and validate every document, aggregate per name with coverage, render the profiles
// (dry run: nothing written). Also times one name holding all recordings. Prints e.g.
//   aggregate 10000 recordings: 0.83 s (target 2 s)
import {rmSync} from 'node:fs'
import {mkdtemp} from 'node:fs/promises'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {performance} from 'node:perf_hooks'
import {aggregate} from '../src/aggregate/aggregate.js'
import {buildProfiles} from '../src/aggregate/build.js'
import {createRecording} from '../src/store/model.js'
import {RecordingStore} from '../src/store/store.js'
import {syscallNames} from '../src/syscalls/index.js'

const TARGET_S = 2
const count = Number(process.argv[2] ?? 10_000)
const nameCount = Number(process.argv[3] ?? 20)

/** A small deterministic PRNG, so every run benchmarks the same data. */
function prng(seed: number): () => number {
  let state = seed >>> 0
  return () => {
    state = (state + 0x6d2b79f5) >>> 0
    let t = state
    t = Math.imul(t ^ (t >>> 15), t | 1)
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61)
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296
  }
}

async function generate(root: string, total: number, names: number): Promise<void> {
  const store = new RecordingStore(root, {durable: false})
  const table = syscallNames('x86_64')
  const random = prng(42)
  const start = Date.parse('2026-05-01T00:00:00Z')
  const batch: Array<Promise<string>> = []
  for (let i = 0; i < total; i++) {
    // The first syscalls of the table are the common ones (read, write, open, close…): weight towards them.
    const size = 60 + Math.floor(random() * 120)
    const picked = new Set<string>()
    while (picked.size < size) picked.add(table[Math.floor(random() ** 2 * table.length)]!)
    const n = i % names
    const startedAt = new Date(start + i * 1000)
    const recording = createRecording({
      source: 'hook',
      name: `ns-${n % 4}/workload-${n}/app`,
      container: {
        id: `c${i}`,
        name: 'app',
        pod: `workload-${n}-7d4b9c8f6d-x2k4q`,
        namespace: `ns-${n % 4}`,
        workload: `workload-${n}`,
      },
      runtime: i % 3 === 0 ? 'crun' : 'runc',
      set: {names: {x86_64: [...picked]}, unknown: []},
      startedAt,
      endedAt: new Date(startedAt.getTime() + 60_000),
    })
    batch.push(store.save(recording))
    if (batch.length >= 64) await Promise.all(batch.splice(0))
  }
  await Promise.all(batch)
}

const seconds = (ms: number) => (ms / 1000).toFixed(2)

const root = await mkdtemp(join(tmpdir(), 'bench-aggregate-'))
try {
  const generating = performance.now()
  await generate(root, count, nameCount)
  console.log(
    `generated ${count} recordings of ${nameCount} names in ${seconds(performance.now() - generating)} s (${root})`,
  )

  // What `profiles build --dry-run` does for the whole store.
  const store = new RecordingStore(root)
  const t0 = performance.now()
  const result = await buildProfiles(store, {dryRun: true})
  const elapsed = performance.now() - t0
  const built = result.built.reduce((n, b) => n + b.coverage.recordings, 0)
  if (built !== count || result.invalid.length > 0)
    throw new Error(`expected ${count} valid recordings, aggregated ${built} (${result.invalid.length} invalid)`)
  console.log(
    `aggregate ${count} recordings: ${seconds(elapsed)} s (target ${TARGET_S} s)${elapsed / 1000 <= TARGET_S ? '' : '  SLOWER THAN TARGET'}`,
  )

  // All of them as one name: list + aggregate of one union.
  const t1 = performance.now()
  const all = await store.list()
  const single = aggregate(all)
  console.log(
    `  one union of all ${all.length}: ${seconds(performance.now() - t1)} s (${single.coverage.syscalls ? Object.keys(single.coverage.syscalls).length : 0} syscalls)`,
  )
} finally {
  rmSync(root, {recursive: true, force: true})
}
