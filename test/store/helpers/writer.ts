// Child process for concurrency.test.ts: `node writer.js STORE NAME SETS_JSON` where SETS_JSON is an array of
// syscall lists, one per writer. Loads everything, prints "ready", waits for a line on stdin, then every writer at
// once saves its recording of NAME and rebuilds NAME's profile in the store — what the OCI hook does when a
// container exits. Prints "done ID…".
import {once} from 'node:events'
import {buildProfiles} from '../../../src/aggregate/build.js'
import {createRecording} from '../../../src/store/model.js'
import {RecordingStore} from '../../../src/store/store.js'

const [root, name, setsJson] = process.argv.slice(2)
const sets = JSON.parse(setsJson!) as string[][]
process.stdout.write('ready\n')
await once(process.stdin, 'data')
const ids = await Promise.all(
  sets.map(async (syscalls) => {
    // One store object per writer, as separate hook processes would have.
    // A generous lock timeout: the test machine may be busy; a timeout would be a CONFLICT error, not lost data.
    const store = new RecordingStore(root!, {lock: {timeoutMs: 110_000}})
    const recording = createRecording({
      source: 'hook',
      name: name!,
      container: {name: 'app'},
      runtime: 'runc',
      set: {names: {x86_64: syscalls}, unknown: []},
      startedAt: new Date(),
    })
    await store.save(recording)
    await buildProfiles(store, {filter: {names: [name!]}})
    return recording.id
  }),
)
process.stdout.write(`done ${ids.join(' ')}\n`)
process.exit(0)
