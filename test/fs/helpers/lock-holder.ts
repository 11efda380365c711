// Child process for lock.test.ts: `node lock-holder.js LOCK` takes the lock, prints "held" and waits to be killed.
import {acquireLock} from '../../../src/fs/lock.js'

await acquireLock(process.argv[2]!, {timeoutMs: 10_000})
process.stdout.write('held\n')
setInterval(() => undefined, 60_000)
