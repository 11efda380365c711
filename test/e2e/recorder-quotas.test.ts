/**
 * A hostile recording next to an honest one, on the real kernel: the hostile one tries to fill the kernel
 * recorder's maps (nested mount namespaces, words of syscall numbers no ABI has); it is flagged with the quota it
 * reached (record: exit 5, naming it) or, where the kernel drops what it abandons, stays complete with the map
 * bounded; the honest one is complete and exact, and new recordings can still start. Each test runs a recorder of
 * its own (SECCOMP_RECORDER_BPFFS) with few targets (SECCOMP_RECORDER_MAX_TARGETS), so the maps are small: every
 * filler goes far beyond what they could hold without quotas.
 */
import assert from 'node:assert/strict'
import {execFileSync, spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {after, afterEach, before, describe, it} from 'node:test'
import {EXIT} from '../../src/core/exit-codes.js'
import {runCli} from '../helpers/cli.js'
import {
  BUSYBOX,
  inNewMountNamespace,
  killAndWait,
  nativeHelper,
  recordInBackground,
  requireKernelPrerequisites,
  allowedSyscallNamesIn,
} from './harness.js'
import {buildMapFillers, IA32_SYSCALLS, type MapFillers} from './map-fillers.js'
import {KERNEL_QUOTAS} from '../../src/kernel/quotas.js'

const work = mkdtempSync(join(tmpdir(), 'scr-e2e-quotas-'))
const MAX_TARGETS = 4
/** The hash's size for MAX_TARGETS (recorder.h: SCR_TARGETS_ENTRIES): own entries and nested ones at their quota. */
const TARGETS_ENTRIES = MAX_TARGETS * (1 + KERNEL_QUOTAS.nestedNamespaces)
/** The words map's size for MAX_TARGETS (SCR_WORDS_ENTRIES), in words of 64 numbers. */
const WORDS_ENTRIES = MAX_TARGETS * (2 * 9 + KERNEL_QUOTAS.unknownNumbers / 64)
let helper = ''
let fillers: MapFillers
let pinCounter = 0

interface Listing {
  targets: Array<{mntns: number; owner: number; state: string}>
}

interface RecordJson {
  exitCode: number
  syscalls: Record<string, string[]>
  quota: {nested: number; words: number}
  lost: number
}

function recorderEnv(): NodeJS.ProcessEnv {
  return {
    ...process.env,
    SECCOMP_RECORDER_BPFFS: `/sys/fs/bpf/scr-quotas-test-${process.pid}-${pinCounter++}`,
    SECCOMP_RECORDER_MAX_TARGETS: String(MAX_TARGETS),
  }
}

function listing(env: NodeJS.ProcessEnv): Listing {
  const run = spawnSync(helper, ['list'], {encoding: 'utf8', env})
  assert.equal(run.status, 0, run.stderr)
  return JSON.parse(run.stdout) as Listing
}

async function waitForTargets(env: NodeJS.ProcessEnv, count: number): Promise<void> {
  for (let i = 0; i < 400; i++) {
    if (listing(env).targets.filter((t) => t.state !== 'nested').length >= count) return
    await sleep(25)
  }
  assert.fail(`fewer than ${count} targets registered after 10 s`)
}

/** x86_64 sysinfo: the leaver's first syscall after its spin. */
const SYSINFO = 99
/** Unshares its mount namespace, spins argv[1] loops without a syscall, then calls sysinfo. */
const LEAVE_THEN_SPIN_C = String.raw`
#define _GNU_SOURCE
#include <sched.h>
#include <stdlib.h>
#include <sys/sysinfo.h>
int main(int argc, char **argv)
{
	struct sysinfo si;
	volatile unsigned long i, n = argc > 1 ? strtoul(argv[1], 0, 10) : 0;

	if (unshare(CLONE_NEWNS) != 0)
		return 1;
	for (i = 0; i < n; i++)
		;
	return sysinfo(&si) != 0;
}
`

const profileNames = allowedSyscallNamesIn

/** A workload that waits for the barrier file, then does its part. */
const afterBarrier = (barrier: string, script: string): string[] => [
  BUSYBOX,
  'sh',
  '-c',
  `${BUSYBOX} sleep 0.01; while [ ! -e ${barrier} ]; do ${BUSYBOX} sleep 0.05; done; ${script}`,
]

describe('kernel recorder quotas: a hostile recording next to an honest one (real kernel)', {timeout: 600_000}, () => {
  const pinDirs: string[] = []
  /** Barriers released after each test whatever happened, so a failed assertion never leaves a workload waiting. */
  const releaseAtEnd: string[] = []
  afterEach(() => {
    for (const barrier of releaseAtEnd.splice(0)) writeFileSync(barrier, '')
  })
  const own = (env: NodeJS.ProcessEnv) => {
    pinDirs.push(env.SECCOMP_RECORDER_BPFFS!)
    return env
  }
  before(async () => {
    requireKernelPrerequisites()
    helper = await nativeHelper()
    fillers = buildMapFillers(join(work, 'fillers'))
  })
  after(() => {
    for (const dir of pinDirs) spawnSync(helper, ['detach'], {env: {...process.env, SECCOMP_RECORDER_BPFFS: dir}})
    rmSync(work, {recursive: true, force: true})
  })

  it('nested namespaces: made and abandoned thousands of times they are dropped (map bounded, complete); held beyond the quota the hostile run alone is flagged', async () => {
    const env = own(recorderEnv())
    const barrier = join(work, 'go-nested')
    // The honest workload makes sync only inside a nested namespace of its own, after the hostile runs.
    const honest = afterBarrier(barrier, `unshare --mount ${BUSYBOX} sync && ${BUSYBOX} uptime >/dev/null`)
    const honestRun = recordInBackground(env, join(work, 'honest-nested.json'), honest)
    releaseAtEnd.push(barrier)
    await waitForTargets(env, 1)

    // Thousands of namespaces made and abandoned (children that unshare and exit; one task unsharing again and
    // again): far more than the hash holds (TARGETS_ENTRIES), so only dropping them keeps it from filling.
    const loops = 2500
    assert.ok(2 * loops > 10 * TARGETS_ENTRIES)
    const looping = recordInBackground(env, join(work, 'loop.json'), [
      BUSYBOX,
      'sh',
      '-c',
      `${fillers.unshareLoop} fork ${loops} && ${fillers.unshareLoop} self ${loops}`,
    ])
    let done = false
    let mostNested = 0
    void looping.then(() => (done = true))
    let started = false
    while (!done) {
      mostNested = Math.max(mostNested, listing(env).targets.filter((t) => t.state === 'nested').length)
      if (!started) {
        // New recordings still start while it loops.
        const extra = runCli(['record', '--output', join(work, 'extra.json'), '--', '/bin/true'], {env})
        assert.equal(extra.status, 0, extra.stderr)
        started = true
      }
      await sleep(50)
    }
    const loop = await looping
    assert.equal(loop.code, 0, loop.stderr)
    const loopJson = JSON.parse(loop.stdout) as RecordJson
    assert.deepEqual(
      loopJson.quota,
      {nested: 0, words: 0},
      'abandoned namespaces were dropped, so no quota was reached',
    )
    assert.equal(loopJson.lost, 0)
    assert.ok(loopJson.syscalls.x86_64!.includes('unshare'))
    assert.ok(
      mostNested <= 4,
      `nested entries stayed bounded while ${2 * loops} namespaces came and went (most seen at once: ${mostNested})`,
    )

    // Held: more live nested namespaces than the quota at once.
    const held = KERNEL_QUOTAS.nestedNamespaces + 8
    const hostile = runCli(
      ['record', '--output', join(work, 'hold.json'), '--', fillers.unshareLoop, 'hold', String(held)],
      {env},
    )
    assert.equal(hostile.status, EXIT.RUNTIME, hostile.stderr)
    assert.match(
      hostile.stderr,
      new RegExp(
        `quota of ${KERNEL_QUOTAS.nestedNamespaces} live nested mount namespaces: ([1-9]\\d*) more were not followed`,
      ),
    )
    const notFollowed = Number(new RegExp(`namespaces: (\\d+) more`).exec(hostile.stderr)![1])
    assert.ok(notFollowed >= held - KERNEL_QUOTAS.nestedNamespaces, `${notFollowed} not followed`)
    assert.doesNotMatch(hostile.stderr, /\n\s+at /, 'no stack trace')
    assert.ok(existsSync(join(work, 'hold.json')), 'the incomplete profile is still written')
    assert.equal(
      listing(env).targets.filter((t) => t.state === 'nested').length,
      0,
      'its nested entries went with their namespaces',
    )

    // The honest recording, running all along, is complete and exact: the same as recorded alone.
    writeFileSync(barrier, '')
    const honestResult = await honestRun
    assert.equal(honestResult.code, 0, honestResult.stderr)
    assert.deepEqual((JSON.parse(honestResult.stdout) as RecordJson).quota, {nested: 0, words: 0})
    const alone = runCli(['record', '--output', join(work, 'honest-alone.json'), '--', ...honest], {env})
    assert.equal(alone.status, 0, alone.stderr)
    assert.deepEqual(profileNames(join(work, 'honest-nested.json')), profileNames(join(work, 'honest-alone.json')))
    assert.ok(
      profileNames(join(work, 'honest-nested.json')).includes('sync'),
      'the syscall made only in its nested namespace is there',
    )
  })

  it('syscall numbers no ABI has, far beyond the words map: the hostile run is flagged, the ia32 syscalls next to it are all recorded', async () => {
    const env = own(recorderEnv())
    const barrier = join(work, 'go-words')
    const honestRun = recordInBackground(env, join(work, 'ia32.json'), afterBarrier(barrier, fillers.ia32Syscalls))
    releaseAtEnd.push(barrier)
    await waitForTargets(env, 1)

    const count = 20_000
    assert.ok(count / 64 > 3 * WORDS_ENTRIES, 'the bogus numbers would fill the words map three times over')
    const hostile = runCli(
      ['record', '--output', join(work, 'bogus.json'), '--', fillers.bogusSyscalls, '512', String(count)],
      {env},
    )
    assert.equal(hostile.status, EXIT.RUNTIME, hostile.stderr)
    const notStored = count - KERNEL_QUOTAS.unknownNumbers
    assert.match(
      hostile.stderr,
      new RegExp(
        `quota of ${KERNEL_QUOTAS.unknownNumbers} syscall numbers no ABI has: ${notStored} more such calls were not stored`,
      ),
    )
    assert.doesNotMatch(hostile.stderr, /\n\s+at /, 'no stack trace')

    writeFileSync(barrier, '')
    const honest = await honestRun
    assert.equal(honest.code, 0, honest.stderr)
    const json = JSON.parse(honest.stdout) as RecordJson
    assert.deepEqual(json.quota, {nested: 0, words: 0})
    assert.equal(json.lost, 0)
    assert.deepEqual(json.syscalls.x86, IA32_SYSCALLS.map((s) => s.name).sort(), 'every ia32 syscall, in every word')
  })

  it("a task that left its namespace before the namespace's number went to another container never records into that container", async () => {
    // The attack: the only task of a recorded container unshares its mount namespace and, before its next syscall,
    // waits until the namespace it left is dead and its number belongs to a new container; its next syscall would
    // then adopt its namespace as nested in the new container. The unshare note carries the owner's ns_id.
    const env = own(recorderEnv())
    const spool = join(work, 'spool-owner-reuse')
    const go = join(work, 'go-owner-reuse')
    const goNew = join(work, 'go-owner-reuse-new')
    const leaver = join(work, 'leave-then-spin')
    writeFileSync(`${leaver}.c`, LEAVE_THEN_SPIN_C)
    execFileSync('clang', ['-O1', '-static', '-o', leaver, `${leaver}.c`])
    releaseAtEnd.push(go, goNew)
    const state = (id: string, pid: number) =>
      JSON.stringify({
        ociVersion: '1.0.2',
        id,
        status: 'created',
        pid,
        bundle: work,
        annotations: {'seccomp-recorder.io/record': 'auto'},
      })
    const prestart = (id: string, pid: number) =>
      spawnSync(helper, ['hook-prestart', '--spool', spool], {env, input: state(id, pid), encoding: 'utf8'})
    const old = await inNewMountNamespace([
      BUSYBOX,
      'sh',
      '-c',
      `while [ ! -e ${go} ]; do ${BUSYBOX} sleep 0.05; done; exec ${leaver} 4000000000`,
    ])
    const kept: Array<Awaited<ReturnType<typeof inNewMountNamespace>>> = []
    try {
      assert.equal(prestart('owner-old', old.child.pid!).status, 0)
      writeFileSync(go, '')
      // The number of the namespace it left comes back, lowest first: new namespaces until one has it.
      let reused: Awaited<ReturnType<typeof inNewMountNamespace>> | undefined
      for (let i = 0; i < 64 && !reused; i++) {
        const next = await inNewMountNamespace([
          BUSYBOX,
          'sh',
          '-c',
          `while [ ! -e ${goNew} ]; do ${BUSYBOX} sleep 0.05; done; exec ${BUSYBOX} sleep 2`,
        ])
        kept.push(next)
        if (next.mntns === old.mntns) reused = next
      }
      assert.ok(reused, `no new namespace got number ${old.mntns} back`)
      const registered = prestart('owner-new', reused.child.pid!)
      assert.equal(registered.status, 0, registered.stderr)
      writeFileSync(goNew, '')
      for (let i = 0; i < 200 && listing(env).targets.find((t) => t.mntns === old.mntns)?.state !== 'recording'; i++)
        await sleep(25)
      assert.equal(
        old.child.exitCode,
        null,
        'the leaver ended its spin before the new container was recording: spin longer',
      )
      await new Promise((resolve) => old.child.once('exit', resolve))
      const read = JSON.parse(
        spawnSync(helper, ['read', '--mntns', String(old.mntns)], {env, encoding: 'utf8'}).stdout,
      ) as {syscalls: {x86_64: number[]}}
      assert.ok(
        !read.syscalls.x86_64.includes(SYSINFO),
        `the new container's recording holds the leaver's sysinfo: ${read.syscalls.x86_64.join(',')}`,
      )
      assert.deepEqual(
        listing(env).targets.filter((t) => t.state === 'nested'),
        [],
        'the leaver was adopted as nested',
      )
    } finally {
      writeFileSync(go, '')
      writeFileSync(goNew, '')
      await killAndWait(old.child)
      for (const k of kept) await killAndWait(k.child)
    }
  })
})
