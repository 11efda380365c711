import {spawnSync} from 'node:child_process'
import {chmodSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, writeFileSync} from 'node:fs'
import {hostname, tmpdir} from 'node:os'
import {readlinkSync} from 'node:fs'
import {join} from 'node:path'
import {fileURLToPath} from 'node:url'
import type {RecorderConfig} from '../../../src/config/config.js'
import {processStartTime} from '../../../src/fs/lock.js'
import type {NamespaceProbe} from '../../../src/gc/liveness.js'
import type {NamespaceRef} from '../../../src/spool/namespace.js'
import type {FakeState, FakeTarget} from './fake-helper.js'

const fakeHelperScript = fileURLToPath(new URL('./fake-helper.js', import.meta.url))

/** A pid no process can have (above the kernel's pid_max limit of 2^22). */
export const DEAD_PID = 9_999_990

/**
 * A spool, a store and a fake kernel recorder in a temp directory, for gc's unit tests: the helper is a script
 * that keeps its targets in a JSON file (fake-helper.ts), the probe says which namespaces have processes.
 */
export class GcFixture {
  readonly dir = mkdtempSync(join(tmpdir(), 'scr-gc-'))
  readonly config: RecorderConfig
  readonly helper: string
  readonly stateFile: string
  /** Namespaces the probe calls alive (mntns:ns_id). */
  readonly live = new Set<string>()

  constructor(targets: FakeTarget[] = []) {
    this.config = {
      outputRoots: [join(this.dir, 'out')],
      store: join(this.dir, 'store'),
      onError: 'fail',
      runtimeTail: 'both',
      runtimeThreads: false,
      spool: join(this.dir, 'spool'),
    }
    mkdirSync(this.config.spool, {recursive: true})
    mkdirSync(this.config.outputRoots[0]!, {recursive: true})
    this.stateFile = join(this.dir, 'kernel.json')
    this.helper = join(this.dir, 'helper')
    writeFileSync(
      this.helper,
      `#!/bin/sh\nFAKE_RECORDER_STATE='${this.stateFile}' exec '${process.execPath}' '${fakeHelperScript}' "$@"\n`,
    )
    chmodSync(this.helper, 0o755)
    this.setKernel({attached: targets.length > 0, targets})
  }

  setKernel(state: FakeState): void {
    writeFileSync(this.stateFile, JSON.stringify(state))
  }

  kernel(): FakeState {
    return JSON.parse(readFileSync(this.stateFile, 'utf8')) as FakeState
  }

  calls(): string[] {
    const path = `${this.stateFile}.calls`
    return existsSync(path) ? readFileSync(path, 'utf8').trim().split('\n') : []
  }

  /** The prestart's note, as bpf/prestart.c writes it. */
  writeNote(
    id: string,
    options: {
      mntns: number
      ns_id: number
      runtime?: string
      annotations?: Record<string, string>
      registered?: number
    },
  ): string {
    const state = JSON.stringify({
      ociVersion: '1.0.2',
      id,
      status: 'created',
      pid: 4242,
      bundle: join(this.dir, 'bundles', id),
      annotations: options.annotations ?? {'seccomp-recorder.io/record': 'team/app'},
    })
    const path = join(this.config.spool, `${id}.json`)
    writeFileSync(
      path,
      `{"mntns":${options.mntns},"ns_id":${options.ns_id},"runtime":"${options.runtime ?? 'runc'}","registered_unix_ms":${options.registered ?? Date.parse('2026-05-01T10:00:00Z')},"state":${state}}\n`,
    )
    return path
  }

  /** An orphan file, as a prestart's salvage writes it. */
  writeOrphan(target: FakeTarget): string {
    const path = join(this.config.spool, `orphan-${target.ns_id}.json`)
    writeFileSync(
      path,
      `${JSON.stringify({mntns: target.mntns, ns_id: target.ns_id, state: 'recording', lost: 0, interrupted: false, nested: [], syscalls: target.syscalls})}\n`,
    )
    return path
  }

  /**
   * A lock file left by a process that is gone (nobody holds its flock), or — pid: this process — held by this
   * process: its flock taken (as src/fs/lock.ts takes it) on a descriptor kept open until the test process ends.
   */
  writeLock(path: string, pid = DEAD_PID): void {
    writeFileSync(
      path,
      JSON.stringify({
        pid,
        host: hostname(),
        start: pid === DEAD_PID ? '1' : processStartTime(pid),
        pidns: readlinkSync('/proc/self/ns/pid'),
        token: `t-${pid}`,
        at: Date.now(),
      }),
    )
    if (pid === DEAD_PID) return
    const fd = openSync(path, 'r')
    const taken = spawnSync('flock', ['--exclusive', '--nonblock', '3'], {stdio: ['ignore', 'ignore', 'inherit', fd]})
    if (taken.status !== 0)
      throw new Error(`cannot flock ${path} for the fixture: ${taken.error?.message ?? taken.status}`)
  }

  probe(): NamespaceProbe & {checked: NamespaceRef[]} {
    const checked: NamespaceRef[] = []
    return {
      checked,
      check: async (ns) => {
        checked.push(ns)
        return this.live.has(`${ns.mntns}:${ns.ns_id ?? 0}`)
          ? {alive: true, why: 'running (fixture)'}
          : {alive: false, why: 'no process is left (fixture)'}
      },
    }
  }

  spoolPath(...parts: string[]): string {
    return join(this.config.spool, ...parts)
  }
}
