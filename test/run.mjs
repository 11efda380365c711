// Runs the compiled test files with node's test runner: `node test/run.mjs [unit|e2e|all]`.
// Unit tests are everything under dist/test except dist/test/e2e; e2e tests drive the real kernel and runtimes.
import {spawnSync} from 'node:child_process'
import {readdirSync} from 'node:fs'
import {join, relative} from 'node:path'
import {fileURLToPath} from 'node:url'

const root = fileURLToPath(new URL('..', import.meta.url))
const tier = process.argv[2] ?? 'all'
if (!['unit', 'e2e', 'all'].includes(tier)) {
  console.error(`usage: node test/run.mjs [unit|e2e|all] (got ${tier})`)
  process.exit(2)
}

function testFiles(dir) {
  return readdirSync(dir, {withFileTypes: true}).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return testFiles(path)
    return entry.name.endsWith('.test.js') ? [path] : []
  })
}

const all = testFiles(join(root, 'dist', 'test')).sort()
const isE2e = (file) => relative(join(root, 'dist', 'test'), file).startsWith('e2e')
const files = all.filter((file) => (tier === 'all' ? true : tier === 'e2e' ? isE2e(file) : !isE2e(file)))
if (files.length === 0) {
  console.error(`no ${tier} test files under dist/test: run \`npm run build\` first`)
  process.exit(1)
}
const result = spawnSync(process.execPath, ['--test', ...files], {stdio: 'inherit', cwd: root})
process.exit(result.status ?? 1)
