/**
 * install and uninstall side by side, end to end (real kernel, podman, runc): two installs of one layout into two
 * hooks.d directories and two runc config.json files, and two installs with layouts of their own sharing the
 * machine's pinned recorder. Uninstalling one leaves the other's files byte-identical and recording; uninstalling
 * the last removes everything install created.
 */
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {OUTPUT_SCHEMAS} from '../../src/cli/output-schemas/index.js'
import type {UninstallResult} from '../../src/install/uninstall.js'
import {runCli} from '../helpers/cli.js'
import {
  busyboxRootfs,
  nativeHelper,
  ociBundle,
  podmanRunArgs,
  requireKernelPrerequisites,
  tempHook,
  writeTempHookConfig,
} from './harness.js'

const work = mkdtempSync(join(tmpdir(), 'scr-e2e-install-'))
const rootfs = busyboxRootfs(work)
const out = join(work, 'out')
const WORKLOAD = 'echo hello; uname'

/** One install layout in its own directory, with its own config (output root, store and spool in the test's tree). */
function layout(name: string): NodeJS.ProcessEnv {
  const hook = tempHook(join(work, name), {out})
  writeTempHookConfig(hook)
  return hook.env
}

const ajv = new Ajv({allErrors: true, strict: false})
function cliJson<T>(command: string, args: string[], env: NodeJS.ProcessEnv): T {
  const run = runCli([command, ...args, '--json'], {env})
  assert.equal(run.status, 0, run.stderr)
  const validate = ajv.compile(OUTPUT_SCHEMAS[command]!)
  const value = JSON.parse(run.stdout) as T
  assert.ok(validate(value), `${command}: ${ajv.errorsText(validate.errors)}`)
  return value
}

/** Every file below the paths, with its bytes. */
function snapshot(paths: string[]): Map<string, string> {
  const files = new Map<string, string>()
  for (const path of paths) {
    const names =
      existsSync(path) && spawnSync('test', ['-d', path]).status === 0
        ? readdirSync(path).map((f) => join(path, f))
        : [path]
    for (const file of names) files.set(file, readFileSync(file).toString('base64'))
  }
  return files
}

/** The runtime returns before the finaliser writes the outputs: wait for them (every exited container). */
function waitWritten(env: NodeJS.ProcessEnv): void {
  cliJson('wait', ['--all', '--timeout', '60'], env)
}

const hooksOf = (config: string) => (JSON.parse(readFileSync(config, 'utf8')) as {hooks?: object}).hooks
const recorderAttached = async () =>
  JSON.parse(spawnSync(await nativeHelper(), ['list'], {encoding: 'utf8'}).stdout) as {
    attached: boolean
    targets: unknown[]
  }

function podmanRecords(hooksDir: string, profile: string, args = ['/bin/sh', '-c', WORKLOAD]) {
  return spawnSync(
    'podman',
    podmanRunArgs({
      runtime: 'runc',
      rootfs,
      hooksDir,
      annotations: {'io.containers.trace-syscall': `of:${profile}`},
      args,
    }),
    {encoding: 'utf8', timeout: 120_000},
  )
}

describe('install/uninstall side by side (real kernel, podman, runc)', {timeout: 300_000}, () => {
  before(async () => {
    requireKernelPrerequisites()
    await nativeHelper()
  })
  after(() => rmSync(work, {recursive: true, force: true}))

  it('one layout, two targets each: uninstalling one leaves the other byte-identical and recording; the second removes everything', async () => {
    const env = layout('shared')
    const [hooksA, hooksB] = [join(work, 'hooks-a.d'), join(work, 'hooks-b.d')]
    const [bundleA, bundleB] = [1, 2].map((n) =>
      ociBundle({
        args: ['/bin/sh', '-c', WORKLOAD],
        annotations: {'io.containers.trace-syscall': `of:${join(out, `runc-${n}.json`)}`},
      }),
    )
    const [configA, configB] = [join(bundleA!, 'config.json'), join(bundleB!, 'config.json')]
    const pristineA = readFileSync(configA, 'utf8')
    cliJson('install', ['--hooks-dir', hooksA, '--oci-config', configA], env)
    cliJson('install', ['--hooks-dir', hooksB, '--oci-config', configB], env)
    const theOther = [hooksB, configB, env.SECCOMP_RECORDER_LIBEXEC!, env.SECCOMP_RECORDER_CONFIG!]
    const before = snapshot(theOther)

    const first = cliJson<UninstallResult>('uninstall', ['--hooks-dir', hooksA, '--oci-config', configA], env)
    assert.deepEqual(readdirSync(hooksA), [])
    assert.deepEqual(
      JSON.parse(readFileSync(configA, 'utf8')),
      JSON.parse(pristineA),
      'our hooks are gone from A, nothing else changed',
    )
    assert.deepEqual(snapshot(theOther), before, "the other install's files are byte-identical")
    assert.deepEqual(first.remaining.sort(), [configB, hooksB].sort())
    assert.deepEqual(first.notInstalled, [])
    assert.equal(first.detached, false)
    assert.ok(
      first.kept.some(
        (k) => k.path === join(env.SECCOMP_RECORDER_LIBEXEC!, 'seccomp-recorder-helper') && k.why.includes(hooksB),
      ),
      JSON.stringify(first.kept),
    )

    // The other install still records, through hooks.d (podman) and through its config.json (runc run).
    const viaHooksD = join(out, 'podman-b.json')
    const recorded = podmanRecords(hooksB, viaHooksD)
    assert.equal(recorded.status, 0, recorded.stderr)
    waitWritten(env)
    assert.ok(existsSync(viaHooksD), `no profile through ${hooksB}: ${recorded.stderr}`)
    const run = spawnSync('runc', ['run', `scr-install-${process.pid}`], {cwd: bundleB, encoding: 'utf8'})
    assert.equal(run.status, 0, run.stderr)
    waitWritten(env)
    assert.ok(existsSync(join(out, 'runc-2.json')), 'no profile through config.json B')
    assert.equal(existsSync(join(out, 'runc-1.json')), false)

    // Naming a target that is not installed changes nothing.
    const nowhere = cliJson<UninstallResult>('uninstall', ['--hooks-dir', join(work, 'never.d')], env)
    assert.deepEqual(nowhere.notInstalled, [join(work, 'never.d')])
    assert.deepEqual(nowhere.removed, [])
    assert.deepEqual(snapshot(theOther), before)

    const last = cliJson<UninstallResult>('uninstall', ['--hooks-dir', hooksB, '--oci-config', configB], env)
    assert.deepEqual(last.remaining, [])
    assert.deepEqual(readdirSync(hooksB), [])
    assert.equal(hooksOf(configB), undefined)
    assert.equal(existsSync(env.SECCOMP_RECORDER_LIBEXEC!), false)
    assert.equal(existsSync(env.SECCOMP_RECORDER_INSTALL_MANIFEST!), false)
    assert.ok(existsSync(env.SECCOMP_RECORDER_CONFIG!), 'a config file install did not write is kept')
    assert.equal((await recorderAttached()).attached, false)
  })

  it('uninstall without flags removes the default install only; --all removes every target', () => {
    const env = layout('default')
    const hooks = join(work, 'hooks-default-test.d')
    cliJson('install', ['--hooks-dir', hooks], env)
    const plain = cliJson<UninstallResult>('uninstall', [], env)
    assert.deepEqual(plain.notInstalled, ['/usr/share/containers/oci/hooks.d'])
    assert.deepEqual(plain.remaining, [hooks])
    assert.equal(readdirSync(hooks).length, 2, 'an install elsewhere is not the default one')
    const human = runCli(['uninstall'], {env})
    assert.match(human.stdout, /not installed in \/usr\/share\/containers\/oci\/hooks\.d/)
    assert.match(human.stdout, new RegExp(`installed in: ${hooks}`))
    const all = cliJson<UninstallResult>('uninstall', ['--all'], env)
    assert.deepEqual(all.remaining, [])
    assert.deepEqual(readdirSync(hooks), [])
    assert.equal(existsSync(env.SECCOMP_RECORDER_LIBEXEC!), false)
  })

  it("two layouts share the pinned recorder: the first one's uninstall does not stop the second one's recording", async () => {
    const [one, two] = [layout('one'), layout('two')]
    const [hooksOne, hooksTwo] = [join(work, 'hooks-one.d'), join(work, 'hooks-two.d')]
    cliJson('install', ['--hooks-dir', hooksOne], one)
    cliJson('install', ['--hooks-dir', hooksTwo], two)
    const theOther = [hooksTwo, two.SECCOMP_RECORDER_LIBEXEC!, two.SECCOMP_RECORDER_INSTALL_MANIFEST!]
    const before = snapshot(theOther)

    const profile = join(out, 'two-running.json')
    const go = join(rootfs, 'tmp', 'go')
    rmSync(go, {force: true})
    const container = spawn(
      'podman',
      podmanRunArgs({
        runtime: 'runc',
        rootfs,
        hooksDir: hooksTwo,
        annotations: {'io.containers.trace-syscall': `of:${profile}`},
        args: ['/bin/sh', '-c', 'while [ ! -e /tmp/go ]; do sleep 0.1; done; uname'],
      }),
      {stdio: 'ignore'},
    )
    const exited = new Promise<number | null>((resolve) => container.on('close', resolve))
    try {
      for (let i = 0; i < 200 && (await recorderAttached()).targets.length === 0; i++)
        await new Promise((r) => setTimeout(r, 100))
      assert.ok((await recorderAttached()).targets.length > 0, 'the second install records the container')

      const first = cliJson<UninstallResult>('uninstall', ['--all'], one)
      assert.equal(first.detached, false)
      assert.ok(first.activeRecordings > 0)
      assert.ok(
        first.kept.some((k) => /recording\(s\) in progress/.test(k.why)),
        JSON.stringify(first.kept),
      )
      assert.equal(existsSync(one.SECCOMP_RECORDER_LIBEXEC!), false)
      assert.deepEqual(snapshot(theOther), before, "the second install's files are byte-identical")
      assert.equal((await recorderAttached()).attached, true)
    } finally {
      writeFileSync(go, '')
    }
    assert.equal(await exited, 0)
    waitWritten(two)
    const names = (JSON.parse(readFileSync(profile, 'utf8')) as {syscalls: Array<{names: string[]}>}).syscalls.flatMap(
      (r) => r.names,
    )
    assert.ok(names.includes('uname'), 'the recording ran to its end')

    cliJson<UninstallResult>('uninstall', ['--all'], two)
    assert.deepEqual(readdirSync(hooksTwo), [])
  })
})
