import {spawn, spawnSync} from 'node:child_process'
import {createHash} from 'node:crypto'
import {lstatSync, mkdtempSync, readdirSync, readFileSync, readlinkSync, rmSync, watch, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {loadProfile} from '../../src/profile/load.js'
import {formatProfileJson, normaliseProfile} from '../../src/profile/normalise.js'
import {stringifyJson} from '../../src/json/stringify.js'
import {fixture, REPO_ROOT} from '../helpers/cli.js'
import {leftoverTempPid, TEMP_FILE} from '../../src/fs/atomic-write.js'

const made: string[] = []
process.on('exit', () => {
  for (const dir of made) rmSync(dir, {recursive: true, force: true})
})

/** A fresh directory for one test, removed when the test process exits. */
export function tempDir(prefix = 'sr-publish-'): string {
  const dir = mkdtempSync(join(tmpdir(), prefix))
  made.push(dir)
  return dir
}

/**
 * Everything below `dir` (not following symlinks): path → type, mode and content hash. Two equal snapshots
 * mean nothing was created, removed, replaced or changed.
 */
export function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (path: string, rel: string) => {
    let stat
    try {
      stat = lstatSync(path)
    } catch {
      return
    }
    const mode = (stat.mode & 0o7777).toString(8)
    if (stat.isSymbolicLink()) out[rel] = `link -> ${readlinkSync(path)}`
    else if (stat.isDirectory()) {
      out[rel] = `dir ${mode}`
      for (const name of readdirSync(path).sort()) walk(join(path, name), `${rel}/${name}`)
    } else if (stat.isFile())
      out[rel] = `file ${mode} ${stat.ino} ${createHash('sha256').update(readFileSync(path)).digest('hex')}`
    else out[rel] = `other ${mode}`
  }
  walk(dir, '.')
  return out
}

/** The pid of a process that has ended (temp files named with it are leftovers). */
export function deadPid(): number {
  return Number(
    spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], {encoding: 'utf8'}).stdout,
  )
}

/** Paths of temp files (atomic writes', current or legacy names, or the DaemonSet installer's) below `dir`. */
export function tempFiles(dir: string): string[] {
  return Object.keys(snapshot(dir)).filter(
    (p) =>
      leftoverTempPid(p.split('/').pop()!, {ownDirectory: true}) !== undefined ||
      /\/\.seccomp-recorder-install\./.test(p),
  )
}

/** Like runCli (test/helpers/cli.ts) but asynchronous, so independent CLI runs can overlap. */
export function runCliAsync(
  args: string[],
  options: {env?: NodeJS.ProcessEnv} = {},
): Promise<{status: number; stdout: string; stderr: string}> {
  return new Promise((done, fail) => {
    const child = spawn(process.execPath, [join(REPO_ROOT, 'bin', 'run.js'), ...args], {
      cwd: REPO_ROOT,
      env: {...process.env, NO_COLOR: '1', FORCE_COLOR: undefined, ...options.env},
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    let stderr = ''
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d))
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d))
    child.on('error', fail)
    child.on('close', (code, signal) => done({status: code ?? (signal ? 128 : -1), stdout, stderr}))
  })
}

/** Runs `tasks` with at most `limit` under way at once. */
export async function inParallel<T>(tasks: Array<() => Promise<T>>, limit = 4): Promise<T[]> {
  const results: T[] = new Array(tasks.length)
  let next = 0
  const worker = async () => {
    while (next < tasks.length) {
      const i = next++
      results[i] = await tasks[i]!()
    }
  }
  await Promise.all(Array.from({length: Math.min(limit, tasks.length)}, worker))
  return results
}

/** A large-ish profile (~1000 conditional rules, ~200 KiB normalised): two variants, A and B. */
export async function bigProfileVariants(dir: string): Promise<Array<{path: string; bytes: Buffer}>> {
  const {profile} = await loadProfile(fixture('publish', 'busybox-allow.json'))
  const names = profile.syscalls![0]!.names
  return ['a', 'b'].map((variant, v) => {
    const rules = Array.from({length: 1000}, (_, i) => ({
      names: [names[i % names.length]!],
      action: 'SCMP_ACT_ALLOW' as const,
      args: [{index: 1, value: BigInt(i * 2 + v), op: 'SCMP_CMP_EQ' as const}],
    }))
    const big = {...profile, syscalls: [...profile.syscalls!, ...rules]}
    const path = join(dir, `big-${variant}.json`)
    writeFileSync(path, stringifyJson(big))
    return {path, bytes: Buffer.from(formatProfileJson(normaliseProfile(big)))}
  })
}

/** Runs `publish` once; kills it with SIGKILL after `delayMs`, or when a temp file appears in `root` ('temp'). */
export function publishAndKill(
  root: string,
  source: string,
  when: number | 'temp' | 'never',
): Promise<{killed: boolean; status: number | null; ms: number}> {
  return new Promise((done) => {
    const started = Date.now()
    const child = spawn(
      process.execPath,
      [join(REPO_ROOT, 'bin', 'run.js'), 'publish', '--root', root, '--name', 'big', source],
      {cwd: REPO_ROOT, stdio: 'ignore'},
    )
    let killed = false
    const kill = () => {
      if (child.exitCode === null && child.signalCode === null) killed = child.kill('SIGKILL')
    }
    const watcher =
      when === 'temp'
        ? watch(root, (_event, name) => {
            if (typeof name === 'string' && TEMP_FILE.test(name)) kill()
          })
        : undefined
    const timer = typeof when === 'number' ? setTimeout(kill, when) : undefined
    child.on('exit', (status) => {
      watcher?.close()
      clearTimeout(timer)
      done({killed, status, ms: Date.now() - started})
    })
  })
}
