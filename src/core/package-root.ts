import {existsSync, readFileSync} from 'node:fs'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

export const PACKAGE_NAME = 'seccomp-recorder'

/**
 * The directory of the nearest package.json named seccomp-recorder at or above `start` (a directory or a file:
 * URL of a module). Modules run from dist/src/<dir>/ and, bundled by the build, from dist/cli/ and
 * dist/cli/commands/<topic>/: walking up finds the package wherever the build put the running code.
 */
export function findPackageRoot(start: string): string {
  let dir = start.startsWith('file:') ? dirname(fileURLToPath(start)) : start
  for (;;) {
    if (isOurPackageJson(join(dir, 'package.json'))) return dir
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`no package.json named ${PACKAGE_NAME} at or above ${start}`)
    dir = parent
  }
}

function isOurPackageJson(file: string): boolean {
  if (!existsSync(file)) return false
  try {
    return (JSON.parse(readFileSync(file, 'utf8')) as {name?: unknown}).name === PACKAGE_NAME
  } catch {
    return false
  }
}
