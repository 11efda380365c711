// Child process for lock.test.ts: `node lock-counter.js LOCK COUNTER N` increments the number in COUNTER N times,
// each time under the lock, with a pause between read and write so that an unlocked run would lose updates.
import {readFileSync, writeFileSync} from 'node:fs'
import {setImmediate as yieldToLoop} from 'node:timers/promises'
import {withLock} from '../../../src/fs/lock.js'

const [lockPath, counterPath, times] = process.argv.slice(2)
for (let i = 0; i < Number(times); i++) {
  await withLock(
    lockPath!,
    async () => {
      const value = Number(readFileSync(counterPath!, 'utf8'))
      await yieldToLoop()
      writeFileSync(counterPath!, String(value + 1))
    },
    {timeoutMs: 30_000},
  )
}
