import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

/** The repository root (tests run from dist/test/…). */
export const REPO_ROOT = (() => {
  let dir = dirname(fileURLToPath(import.meta.url))
  while (
    !existsSync(join(dir, 'package.json')) ||
    JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')).name !== 'seccomp-recorder'
  ) {
    const parent = dirname(dir)
    if (parent === dir) throw new Error('seccomp-recorder package.json not found above the tests')
    dir = parent
  }
  return dir
})()

export const fixture = (...parts: string[]): string => join(REPO_ROOT, 'fixtures', ...parts)

export interface CliRun {
  status: number
  stdout: string
  stderr: string
}

/** Runs the real CLI (bin/run.js) as a user would, without a terminal. */
export function runCli(args: string[], options: {env?: NodeJS.ProcessEnv; input?: string} = {}): CliRun {
  const result = spawnSync(process.execPath, [join(REPO_ROOT, 'bin', 'run.js'), ...args], {
    cwd: REPO_ROOT,
    encoding: 'utf8',
    env: {...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...options.env},
    input: options.input ?? '',
    timeout: 120_000,
  })
  if (result.error) throw result.error
  return {status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr}
}

/**
 * Runs the real CLI at a terminal: util-linux `script` gives it a pseudo-terminal for stdin, stdout and stderr
 * (its log goes to a temp file); `input` is typed at that terminal. Returns what the terminal showed.
 */
export function runCliAtTerminal(args: string[], options: {env?: NodeJS.ProcessEnv; input?: string} = {}): CliRun {
  const dir = mkdtempSync(join(tmpdir(), 'scr-tty-'))
  try {
    const command = [process.execPath, join(REPO_ROOT, 'bin', 'run.js'), ...args]
      .map((a) => `'${a.replaceAll("'", `'\\''`)}'`)
      .join(' ')
    const result = spawnSync('script', ['-q', '-e', '-c', command, join(dir, 'typescript')], {
      cwd: REPO_ROOT,
      encoding: 'utf8',
      env: {...process.env, NO_COLOR: undefined, FORCE_COLOR: undefined, ...options.env},
      input: options.input ?? '',
      timeout: 120_000,
    })
    if (result.error)
      throw new Error(`util-linux script (a pseudo-terminal) is needed for this test: ${result.error.message}`)
    return {status: result.status ?? -1, stdout: result.stdout, stderr: result.stderr}
  } finally {
    rmSync(dir, {recursive: true, force: true})
  }
}
