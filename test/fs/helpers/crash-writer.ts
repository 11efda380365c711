import {readdirSync} from 'node:fs'
import {writeFileAtomic} from '../../../src/fs/atomic-write.js'
import {Dir} from '../../../src/fs/safe-dir.js'

/**
 * A writer killed half-way: `crash-writer.js async|dir <dir> <name> <text>` writes `<text>` over `<dir>/<name>`
 * and kills itself with SIGKILL when half of it reached the temp file (async: writeFileAtomic; dir: Dir.writeFileAtomic).
 */
const [how, dir, name, text] = process.argv.slice(2) as [string, string, string, string]
const crash = () => {
  if (!readdirSync(dir).some((f) => f.endsWith('.tmp'))) throw new Error('no temp file half-way')
  process.kill(process.pid, 'SIGKILL')
}
if (how === 'async') {
  await writeFileAtomic(`${dir}/${name}`, text, {afterPartialWrite: async () => crash()})
} else {
  const root = Dir.openRoot(dir, {create: false})!
  root.writeFileAtomic(name, Buffer.from(text), {afterPartialWrite: () => crash()})
}
