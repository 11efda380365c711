// Child process for crash.test.ts, killed with SIGKILL by the test:
//   node crash-writer.js partial STORE RECORDING_JSON_FILE   save, stop half-way through writing the temp file, print "partial TEMP", hang
//   node crash-writer.js loop STORE RECORDING_JSON_FILE      save versions 1, 2, 3 … of the same id as fast as possible ("looping" after 1)
//   node crash-writer.js build STORE NAME                    rebuild NAME's profile, stop half-way through writing it (holding the lock), hang
import {readFileSync} from 'node:fs'
import {buildProfiles} from '../../../src/aggregate/build.js'
import type {Recording} from '../../../src/store/model.js'
import {RecordingStore} from '../../../src/store/store.js'

const [mode, root, arg] = process.argv.slice(2)
const hang = async (temp: string) => {
  process.stdout.write(`partial ${temp}\n`)
  await new Promise(() => setInterval(() => undefined, 1000))
}

if (mode === 'partial') {
  const recording = JSON.parse(readFileSync(arg!, 'utf8')) as Recording
  await new RecordingStore(root!, {afterPartialWrite: hang}).save(recording)
} else if (mode === 'loop') {
  const recording = JSON.parse(readFileSync(arg!, 'utf8')) as Recording
  const store = new RecordingStore(root!)
  const filler = 'x'.repeat(60_000)
  for (let version = 1; ; version++) {
    await store.save({...recording, command: [String(version), ...Array.from({length: 8}, () => filler)]})
    if (version === 1) process.stdout.write('looping\n')
  }
} else if (mode === 'build') {
  await buildProfiles(new RecordingStore(root!, {afterPartialWrite: hang}), {filter: {names: [arg!]}})
}
