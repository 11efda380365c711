/**
 * End to end on the real kernel: `record` marks exactly what a command and its children do (strace, an independent
 * tracer, is the oracle), nothing from other processes; the profile runs the command under `run --profile` and
 * under libseccomp's own Python binding with identical output, and a syscall outside it fails with EPERM.
 */
import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {mkdtempSync, readFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {OUTPUT_SCHEMAS} from '../../src/cli/output-schemas/index.js'
import {EXIT} from '../../src/core/exit-codes.js'
import {LINGER_SECONDS} from '../../src/hook/entry.js'
import {REPO_ROOT, runCli} from '../helpers/cli.js'
import {BUSYBOX, CLI, inNewMountNamespace, killAndWait, nativeHelper, requireKernelPrerequisites} from './harness.js'

const work = mkdtempSync(join(tmpdir(), 'scr-e2e-record-'))
const PYTHON_LAUNCHER = join(REPO_ROOT, 'test', 'e2e', 'libseccomp-launch.py')
const ajv = new Ajv({allErrors: true, strict: false})

/** The syscall names strace -f sees for a command (from its execve on). */
function straceNames(command: string[]): string[] {
  const out = join(work, `strace-${Date.now()}.txt`)
  const result = spawnSync('strace', ['-f', '-qq', '-o', out, ...command], {encoding: 'utf8'})
  assert.equal(result.status, 0, result.stderr)
  const names = new Set<string>()
  for (const line of readFileSync(out, 'utf8').split('\n')) {
    const m = /^\d+\s+(?:<\.\.\. ([a-z0-9_]+) resumed>|([a-z0-9_]+)\()/.exec(line)
    const name = m?.[1] ?? m?.[2]
    if (name) names.add(name)
  }
  return [...names].sort()
}

interface Recorded {
  exitCode: number
  syscalls: Record<string, string[]>
  profile: object
}

function record(command: string[], output?: string): Recorded {
  const run = runCli(['record', '--json', ...(output ? ['--output', output] : []), '--', ...command])
  const parsed = JSON.parse(run.stdout) as Recorded
  const validate = ajv.compile(OUTPUT_SCHEMAS.record!)
  assert.ok(validate(parsed), ajv.errorsText(validate.errors))
  return parsed
}

const SCRIPT = 'echo a > /tmp/scr-e2e-x; cat /tmp/scr-e2e-x | wc -c; ls / > /dev/null; sleep 0.05; rm /tmp/scr-e2e-x'

describe('record (real kernel)', {timeout: 300_000}, () => {
  let neighbour: ReturnType<typeof spawn> | undefined

  before(async () => {
    requireKernelPrerequisites()
    await nativeHelper()
    // A noisy neighbour: syscalls the recorded script never makes (sysinfo, statfs, getgid, sched_getaffinity).
    neighbour = spawn(
      BUSYBOX,
      ['sh', '-c', 'while :; do busybox uptime; busybox df /; busybox id -g; busybox nproc; done'],
      {stdio: 'ignore'},
    )
  })

  after(() => {
    neighbour?.kill('SIGKILL')
  })

  it('records exactly what strace sees, and nothing of a neighbour running at the same time', () => {
    const command = [BUSYBOX, 'sh', '-c', SCRIPT]
    const recorded = record(command)
    assert.equal(recorded.exitCode, 0)
    assert.deepEqual(Object.keys(recorded.syscalls), ['x86_64'])
    assert.deepEqual(recorded.syscalls.x86_64, straceNames(command))
    for (const name of [
      'execve',
      'openat',
      'write',
      'read',
      'pipe2',
      'clone',
      'wait4',
      'clock_nanosleep',
      'unlink',
      'exit_group',
    ]) {
      assert.ok(recorded.syscalls.x86_64!.includes(name), `${name} missing`)
    }
    for (const foreign of ['sysinfo', 'statfs', 'getgid', 'sched_getaffinity']) {
      assert.ok(!recorded.syscalls.x86_64!.includes(foreign), `${foreign} came from the neighbour`)
    }
  })

  it('excludes the launcher: a recorded /bin/true has only the program’s own syscalls', () => {
    const recorded = record([BUSYBOX, 'true'])
    assert.deepEqual(recorded.syscalls.x86_64, straceNames([BUSYBOX, 'true']))
    for (const launcher of ['unshare', 'mount', 'bpf'])
      assert.ok(!recorded.syscalls.x86_64!.includes(launcher), `${launcher} is the launcher's`)
  })

  it('runs the command under its profile with identical output, with run --profile and with libseccomp’s Python binding', () => {
    const profile = join(work, 'script.json')
    record([BUSYBOX, 'sh', '-c', SCRIPT], profile)
    const plain = spawnSync(BUSYBOX, ['sh', '-c', SCRIPT], {encoding: 'utf8'})
    const ours = runCli(['run', '--profile', profile, '--', BUSYBOX, 'sh', '-c', SCRIPT])
    const theirs = spawnSync(PYTHON_LAUNCHER, [profile, BUSYBOX, 'sh', '-c', SCRIPT], {encoding: 'utf8'})
    assert.equal(ours.status, 0, ours.stderr)
    assert.equal(theirs.status, 0, theirs.stderr)
    assert.equal(ours.stdout, plain.stdout)
    assert.equal(theirs.stdout, plain.stdout)
  })

  it('a syscall outside the recording fails with EPERM, and run names it', () => {
    const profile = join(work, 'echo.json')
    record([BUSYBOX, 'sh', '-c', 'echo hi'], profile)
    const more = 'echo hi; mkdir /tmp/scr-e2e-dir'
    const ours = runCli(['run', '--json', '--profile', profile, '--', BUSYBOX, 'sh', '-c', more])
    assert.notEqual(ours.status, 0)
    assert.match(ours.stderr, /can't create directory '\/tmp\/scr-e2e-dir': Operation not permitted/)
    const json = JSON.parse(ours.stdout) as {denied: Array<{name: string}> | null; exitCode: number}
    assert.ok(ajv.validate(OUTPUT_SCHEMAS.run!, json), ajv.errorsText())
    assert.equal(json.exitCode, ours.status)
    assert.ok(
      json.denied?.some((d) => d.name === 'mkdir'),
      `mkdir not reported: ${JSON.stringify(json.denied)}`,
    )
    const theirs = spawnSync(PYTHON_LAUNCHER, [profile, BUSYBOX, 'sh', '-c', more], {encoding: 'utf8'})
    assert.match(theirs.stderr, /Operation not permitted/)
  })

  it('reports the command’s exit status and a command that cannot be executed', () => {
    assert.equal(runCli(['record', '--output', join(work, 'false.json'), '--', BUSYBOX, 'false']).status, 1)
    const missing = runCli(['record', '--output', join(work, 'missing.json'), '--', '/nonexistent/program'])
    assert.equal(missing.status, EXIT.CANNOT_EXECUTE)
    assert.match(missing.stderr, /cannot execute \/nonexistent\/program/)
    assert.doesNotMatch(missing.stderr, /"error"/)
  })

  it('50 concurrent recordings of different commands are each exact', async () => {
    const applets = [
      ['true'],
      ['uname'],
      ['ls', '/'],
      ['id'],
      ['uptime'],
      ['df', '/'],
      ['nproc'],
      ['cat', '/proc/version'],
      ['hostname'],
      ['sleep', '0.01'],
    ]
    const expected = new Map(applets.map((a) => [a.join(' '), straceNames([BUSYBOX, ...a])]))
    const runs = Array.from({length: 50}, (_, i) => applets[i % applets.length]!)
    const results = await Promise.all(
      runs.map(
        (applet) =>
          new Promise<{applet: string[]; stdout: string; stderr: string; status: number | null}>((resolve) => {
            // stderr is a pipe like strace's stdout: the command's stdout goes there under --json, and busybox asks (ioctl) what it writes to.
            const child = spawn(process.execPath, [CLI, 'record', '--json', '--', BUSYBOX, ...applet], {
              stdio: ['ignore', 'pipe', 'pipe'],
            })
            let stdout = ''
            let stderr = ''
            child.stdout.on('data', (c: Buffer) => (stdout += c.toString()))
            child.stderr.on('data', (c: Buffer) => (stderr += c.toString()))
            child.on('close', (status) => resolve({applet, stdout, stderr, status}))
          }),
      ),
    )
    for (const r of results) {
      assert.equal(r.status, 0, `${r.applet.join(' ')} failed: ${r.stdout.slice(-2000)} ${r.stderr.slice(-2000)}`)
      const recorded = JSON.parse(r.stdout) as Recorded
      assert.deepEqual(recorded.syscalls.x86_64, expected.get(r.applet.join(' ')), `busybox ${r.applet.join(' ')}`)
    }
  })

  it('records a command while 40 finished recordings wait to be read (their namespace numbers come back first)', async () => {
    const helper = await nativeHelper()
    // A recorder of its own: the 40 unread targets never reach the machine's (or a real gc's) view.
    const env = {...process.env, SECCOMP_RECORDER_BPFFS: `/sys/fs/bpf/scr-test-record-${process.pid}`}
    const run = (args: string[]) => spawnSync(helper, args, {encoding: 'utf8', env})
    const sleepers: Awaited<ReturnType<typeof inNewMountNamespace>>[] = []
    try {
      // 40 namespaces registered, then ended unread: the kernel hands their inode numbers out again, lowest first.
      for (let i = 0; i < 40; i++) sleepers.push(await inNewMountNamespace([BUSYBOX, 'sleep', '60']))
      for (const {child} of sleepers) {
        const added = run(['add', '--pid', String(child.pid), '--boundary', 'all'])
        assert.equal(added.status, 0, added.stdout + added.stderr)
      }
      await Promise.all(sleepers.map((s) => killAndWait(s.child)))
      // The precondition: a new namespace now gets one of those numbers.
      const probe = await inNewMountNamespace([BUSYBOX, 'sleep', '60'])
      await killAndWait(probe.child)
      assert.ok(
        sleepers.some((s) => s.mntns === probe.mntns),
        `number ${probe.mntns} is not one of the unread recordings'`,
      )

      const recorded = runCli(['record', '--json', '--', BUSYBOX, 'true'], {env})
      assert.equal(recorded.status, 0, recorded.stdout + recorded.stderr)
      const parsed = JSON.parse(recorded.stdout) as Recorded
      assert.deepEqual(parsed.syscalls.x86_64, straceNames([BUSYBOX, 'true']))
    } finally {
      await Promise.all(sleepers.map((s) => killAndWait(s.child)))
      for (const {mntns} of sleepers) run(['remove', '--mntns', String(mntns)])
      run(['detach'])
    }
  })

  it('leaves nothing attached when no recording is active', async () => {
    const helper = await nativeHelper()
    const list = () =>
      JSON.parse(spawnSync(helper, ['list'], {encoding: 'utf8'}).stdout) as {attached: boolean; targets: unknown[]}
    assert.deepEqual(list().targets, [])
    // The hook's poststop keeps the recorder attached for LINGER_SECONDS after the last container; record does not.
    const deadline = Date.now() + (LINGER_SECONDS + 3) * 1000
    while (list().attached && Date.now() < deadline) await new Promise((r) => setTimeout(r, 250))
    assert.equal(list().attached, false)
  })
})
