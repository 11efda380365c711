/**
 * Argument values end to end (issue 15, kernel side): a tiny static C program, compiled here, calls each curated
 * syscall with known arguments; `record` and a podman (runc) container with the record annotation show exactly
 * those tuples in the recording, and more distinct ioctl requests than the kernel keeps show as overflow.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chmodSync, copyFileSync, mkdtempSync, readdirSync, readFileSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {before, describe, it} from 'node:test'
import type {ArgumentsBySyscall} from '../../src/syscalls/arguments.js'
import {validateRecording, type Recording} from '../../src/store/model.js'
import {RecordingStore} from '../../src/store/store.js'
import {runCli} from '../helpers/cli.js'
import {
  busyboxRootfs,
  installTempHook,
  nativeHelper,
  podmanRunArgs,
  requireKernelPrerequisites,
  tempHook,
} from './harness.js'

const work = mkdtempSync(join(tmpdir(), 'scr-e2e-args-'))
const store = join(work, 'store')
const probe = join(work, 'args-probe')

/** Each curated syscall once with known arguments (errors do not matter: sys_enter sees the call), then N ioctls. */
const PROBE_SOURCE = `#define _GNU_SOURCE
#include <fcntl.h>
#include <sched.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>
int main(int argc, char **argv)
{
	int n = argc > 1 ? atoi(argv[1]) : 3, fd;

	close(socket(AF_INET, SOCK_STREAM | SOCK_CLOEXEC, 0));
	close(socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK, 0));
	close(socket(AF_UNIX, SOCK_DGRAM, 0));
	unshare(0);
	personality(0xffffffffUL);
	prctl(PR_GET_DUMPABLE);
	setns(-1, CLONE_NEWNET);
	fd = open("/", O_RDONLY);
	for (int i = 0; i < n; i++)
		ioctl(fd, 0x7300 + i, 0);
	/* "nested": a child in a mount namespace of its own (nested in the recording) opens a netlink socket. */
	if (argc > 2 && fork() == 0) {
		unshare(CLONE_NEWNS);
		close(socket(AF_NETLINK, SOCK_RAW, 0));
		_exit(0);
	}
	wait(NULL);
	return 0;
}
`

const whole = [{index: 0}]
const EXPECTED: ArgumentsBySyscall = {
  ioctl: {positions: [{index: 1}], values: [['29440'], ['29441'], ['29442']]},
  personality: {positions: whole, values: [['4294967295']]},
  prctl: {positions: whole, values: [['3']]},
  setns: {positions: [{index: 1}], values: [['1073741824']]},
  socket: {
    positions: [{index: 0}, {index: 1, mask: '4294440959'}],
    values: [
      ['1', '2'],
      ['2', '1'],
    ],
  },
  unshare: {positions: whole, values: [['0']]},
}

function storedRecordings(name: string): Recording[] {
  const dir = new RecordingStore(store).recordingDir(name)
  return readdirSync(dir).map((file) => {
    const check = validateRecording(JSON.parse(readFileSync(join(dir, file), 'utf8')))
    assert.ok(check.valid, check.errors.join('; '))
    return check.recording
  })
}

describe('argument values (real kernel)', {timeout: 300_000}, () => {
  before(async () => {
    requireKernelPrerequisites()
    await nativeHelper()
    writeFileSync(join(work, 'probe.c'), PROBE_SOURCE)
    const cc = spawnSync('clang', ['-static', '-O2', '-o', probe, join(work, 'probe.c')], {encoding: 'utf8'})
    assert.equal(cc.status, 0, `clang -static (libc6-dev): ${cc.stderr}`)
  })

  it('record: the recording holds exactly the tuples the command used (flag bits masked, whole values kept)', () => {
    const run = runCli(['record', '--json', '--name', 'tools/args', '--store', store, '--', probe, '3'])
    assert.equal(run.status, 0, run.stderr)
    const json = JSON.parse(run.stdout) as {arguments?: ArgumentsBySyscall}
    assert.deepEqual(json.arguments, EXPECTED)
    const [recording] = storedRecordings('tools/args')
    assert.deepEqual(recording!.arguments, EXPECTED)
    for (const name of Object.keys(EXPECTED)) assert.ok(recording!.syscalls.x86_64!.includes(name), name)
  })

  it('more distinct ioctl requests than the kernel keeps: overflow, said loudly, in the recording and the summary', () => {
    const profile = join(work, 'over.json')
    const run = runCli([
      'record',
      '--name',
      'tools/args-over',
      '--store',
      store,
      '--output',
      profile,
      '--',
      probe,
      '70',
    ])
    assert.equal(run.status, 0, run.stderr)
    assert.match(run.stderr, /ioctl: more distinct argument values than the kernel keeps \(64\)/)
    const [recording] = storedRecordings('tools/args-over')
    const ioctl = recording!.arguments!.ioctl!
    assert.equal(ioctl.overflow, true)
    assert.equal(ioctl.values.length, 64)
    assert.deepEqual(ioctl.values[0], ['29440'])
    assert.equal(recording!.arguments!.prctl!.overflow, undefined)
  })

  it("a nested mount namespace's calls go into its owner's recording", () => {
    const run = runCli(['record', '--json', '--', probe, '0', 'nested'])
    assert.equal(run.status, 0, run.stderr)
    const args = (JSON.parse(run.stdout) as {arguments: ArgumentsBySyscall}).arguments
    assert.deepEqual(args.unshare!.values, [['0'], ['131072']])
    assert.deepEqual(args.socket!.values, [...EXPECTED.socket!.values, ['16', '3']])
  })

  it('a podman (runc) container with the record annotation: its recording holds the same tuples', () => {
    const hook = tempHook(work)
    const {env, hooksDir} = hook
    installTempHook(hook)
    const rootfs = busyboxRootfs(work)
    copyFileSync(probe, join(rootfs, 'bin', 'args-probe'))
    chmodSync(join(rootfs, 'bin', 'args-probe'), 0o755)
    const name = `scr-args-${process.pid}`
    // The runtime's own calls after its filter is installed are in the recording too (runc: prctl 8, 24, 47):
    // the probe's tuples must all be there.
    const ran = spawnSync(
      'podman',
      podmanRunArgs({
        runtime: 'runc',
        rootfs,
        hooksDir,
        name,
        annotations: {'seccomp-recorder.io/record': 'auto'},
        args: ['/bin/args-probe', '3'],
      }),
      {encoding: 'utf8', timeout: 120_000},
    )
    assert.equal(ran.status, 0, ran.stderr)
    // The runtime returns once the poststop has journaled the syscalls; the finaliser stores the recording after.
    const waited = runCli(['wait', '--all', '--timeout', '60'], {env})
    assert.equal(waited.status, 0, waited.stderr)
    const [recording] = storedRecordings(name)
    const args = recording!.arguments!
    for (const syscall of Object.keys(EXPECTED)) {
      const seen = new Set(args[syscall]?.values.map((t) => t.join(',')))
      for (const tuple of EXPECTED[syscall]!.values)
        assert.ok(seen.has(tuple.join(',')), `${syscall} ${tuple.join(',')} missing: ${JSON.stringify(args)}`)
      assert.deepEqual(args[syscall]!.positions, EXPECTED[syscall]!.positions)
    }
  })
})
