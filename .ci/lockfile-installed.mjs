// Exit 0 when node_modules holds every package of package-lock.json at its locked version, 1 otherwise (then
// .ci/setup runs `npm ci`). Platform-specific optional packages that are not installed are fine, as npm ci skips them.
import {existsSync, readFileSync} from 'node:fs'

const lock = JSON.parse(readFileSync('package-lock.json', 'utf8'))
for (const [path, entry] of Object.entries(lock.packages ?? {})) {
  if (path === '' || entry.link) continue
  const manifest = `${path}/package.json`
  if (!existsSync(manifest)) {
    if (entry.optional) continue
    process.exit(1)
  }
  if (JSON.parse(readFileSync(manifest, 'utf8')).version !== entry.version) process.exit(1)
}
