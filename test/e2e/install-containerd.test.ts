/**
 * install/uninstall --containerd end to end, against a containerd config in a temp directory (no daemon): the real
 * CLI, the real `ctr oci spec` of the machine's containerd (Debian's package; missing → fails loudly), and
 * `containerd config dump` reading the edited config as containerd itself would. Uninstall gives the config back
 * byte for byte; hostile configs are refused with their exit codes and nothing is written.
 */
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {OUTPUT_SCHEMAS} from '../../src/cli/output-schemas/index.js'
import type {InstallResult} from '../../src/install/install.js'
import type {UninstallResult} from '../../src/install/uninstall.js'
import type {Status} from '../../src/install/doctor.js'
import {fixture, runCli} from '../helpers/cli.js'
import {nativeHelper} from './harness.js'

const work = mkdtempSync(join(tmpdir(), 'scr-e2e-install-containerd-'))
const ajv = new Ajv({allErrors: true, strict: false})

function layout(name: string): NodeJS.ProcessEnv {
  const dir = join(work, name)
  mkdirSync(dir, {recursive: true})
  const env = {
    SECCOMP_RECORDER_LIBEXEC: join(dir, 'libexec'),
    SECCOMP_RECORDER_INSTALL_MANIFEST: join(dir, 'install.json'),
    SECCOMP_RECORDER_CONFIG: join(dir, 'config.yaml'),
    SECCOMP_RECORDER_CONTAINERD_SPEC: join(dir, 'containerd-base-spec.json'),
  }
  writeFileSync(
    env.SECCOMP_RECORDER_CONFIG,
    `outputRoots: [${join(dir, 'out')}]\nstore: ${join(dir, 'store')}\nspool: ${join(dir, 'spool')}\n`,
  )
  return env
}

function cliJson<T>(command: string, args: string[], env: NodeJS.ProcessEnv, exit = 0): T {
  const run = runCli([command, ...args, '--json'], {env})
  assert.equal(run.status, exit, run.stderr || run.stdout)
  const value = JSON.parse(run.stdout) as T
  if (exit === 0) {
    const validate = ajv.compile(OUTPUT_SCHEMAS[command]!)
    assert.ok(validate(value), `${command}: ${ajv.errorsText(validate.errors)}`)
  }
  return value
}

/** containerd's own view of the config's runc handler. */
function dumpedRunc(config: string): string {
  const dump = spawnSync('containerd', ['--config', config, 'config', 'dump'], {encoding: 'utf8'})
  assert.equal(dump.status, 0, dump.stderr)
  return dump.stdout.split('[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]')[1]!.split('\n    [')[0]!
}

describe(
  'install/uninstall --containerd (real CLI, ctr and containerd config dump; no daemon)',
  {timeout: 300_000},
  () => {
    before(async () => {
      for (const tool of ['ctr', 'containerd'])
        assert.equal(
          spawnSync('sh', ['-c', `command -v ${tool}`]).status,
          0,
          `${tool} not found: install Debian's containerd package (.ci/setup)`,
        )
      await nativeHelper()
    })
    after(() => rmSync(work, {recursive: true, force: true}))

    it("writes the base spec and the handler's lines; containerd reads them; status says configured; uninstall gives the config back byte for byte", () => {
      const env = layout('a')
      const config = join(work, 'a', 'config.toml')
      const pristine = readFileSync(fixture('containerd', 'debian-12-config.toml'), 'utf8')
      writeFileSync(config, pristine)

      const printed = cliJson<InstallResult>('install', ['--containerd-config', config], env)
      assert.equal(
        readFileSync(config, 'utf8'),
        pristine,
        'without --write-containerd-config the config is not touched',
      )
      assert.equal(printed.containerd?.configWritten, false)
      assert.deepEqual(printed.hookFiles, [], '--containerd alone writes no hooks.d files')
      const spec = JSON.parse(readFileSync(env.SECCOMP_RECORDER_CONTAINERD_SPEC!, 'utf8')) as {
        hooks: {prestart: Array<{path: string; args: string[]}>; poststop: Array<{path: string; args: string[]}>}
        process: {rlimits?: unknown}
      }
      assert.equal(spec.hooks.prestart[0]!.path, printed.helper)
      assert.deepEqual(spec.hooks.prestart[0]!.args.slice(0, 2), ['seccomp-recorder-helper', 'hook-prestart'])
      // The poststop is native too; the Node poststop (printed.poststop) is its fallback.
      assert.equal(spec.hooks.poststop[0]!.path, printed.helper)
      assert.deepEqual(spec.hooks.poststop[0]!.args.slice(0, 2), ['seccomp-recorder-helper', 'hook-poststop'])
      assert.equal(spec.hooks.poststop[0]!.args.at(-1), printed.poststop)
      assert.equal(spec.process.rlimits, undefined, 'the CRI default (no rlimits) is kept')

      const written = cliJson<InstallResult>(
        'install',
        ['--containerd-config', config, '--write-containerd-config'],
        env,
      )
      assert.equal(written.containerd?.configChanged, true)
      const edited = readFileSync(config, 'utf8')
      assert.ok(edited.startsWith(pristine))
      const runc = dumpedRunc(config)
      assert.match(runc, new RegExp(`base_runtime_spec = "${env.SECCOMP_RECORDER_CONTAINERD_SPEC}"`))
      assert.match(
        runc,
        /pod_annotations = \["seccomp-recorder.io\/\*", "io.containers.trace-syscall", "io.containers.trace-syscall\/\*"\]/,
      )
      assert.match(runc, /runtime_type = "io.containerd.runc.v2"/)

      const again = cliJson<InstallResult>('install', ['--containerd-config', config, '--write-containerd-config'], env)
      assert.equal(again.containerd?.configChanged, false, 'idempotent')
      assert.equal(readFileSync(config, 'utf8'), edited)

      const status = runCli(['status', '--json'], {env})
      const parsed = JSON.parse(status.stdout) as Status
      assert.ok(ajv.validate(OUTPUT_SCHEMAS.status!, parsed), ajv.errorsText(ajv.errors))
      assert.deepEqual(
        parsed.containerd.configs.map((c) => [c.config, c.specPresent, c.specCurrent, c.linesPresent]),
        [[config, true, true, true]],
      )
      assert.match(parsed.containerd.version ?? '', /containerd/)

      const removed = cliJson<UninstallResult>('uninstall', ['--containerd-config', config], env)
      assert.deepEqual(removed.containerdConfigs, [config])
      assert.equal(readFileSync(config, 'utf8'), pristine, 'byte for byte')
      for (const path of [
        env.SECCOMP_RECORDER_CONTAINERD_SPEC!,
        env.SECCOMP_RECORDER_INSTALL_MANIFEST!,
        join(env.SECCOMP_RECORDER_LIBEXEC!, 'seccomp-recorder-helper'),
      ])
        assert.equal(existsSync(path), false, path)
    })

    it('lines added by hand keep the base spec and the hooks installed until the config stops naming them', () => {
      const env = layout('b')
      const config = join(work, 'b', 'config.toml')
      writeFileSync(config, 'version = 2\n')
      const printed = cliJson<InstallResult>('install', ['--containerd-config', config], env)
      writeFileSync(config, `version = 2\n${printed.containerd!.configLines}\n`)
      const kept = cliJson<UninstallResult>('uninstall', ['--containerd-config', config], env)
      assert.ok(
        existsSync(env.SECCOMP_RECORDER_CONTAINERD_SPEC!) &&
          existsSync(join(env.SECCOMP_RECORDER_LIBEXEC!, 'seccomp-recorder-helper')),
      )
      assert.ok(kept.kept.some((k) => k.path === env.SECCOMP_RECORDER_CONTAINERD_SPEC && /still names it/.test(k.why)))
      writeFileSync(config, 'version = 2\n')
      cliJson<UninstallResult>('uninstall', ['--containerd-config', config], env)
      assert.equal(existsSync(env.SECCOMP_RECORDER_CONTAINERD_SPEC!), false)
    })

    it('refuses a conflicting base spec (6), a symlinked config (3), a FIFO or a huge config (2), and writes nothing', () => {
      const env = layout('c')
      const dir = join(work, 'c')
      const conflict = join(dir, 'conflict.toml')
      writeFileSync(
        conflict,
        'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n  base_runtime_spec = "/etc/theirs.json"\n',
      )
      const real = join(dir, 'real.toml')
      writeFileSync(real, 'version = 2\n')
      const link = join(dir, 'link.toml')
      symlinkSync(real, link)
      const fifo = join(dir, 'fifo.toml')
      assert.equal(spawnSync('mkfifo', [fifo]).status, 0)
      const huge = join(dir, 'huge.toml')
      writeFileSync(huge, `version = 2\n#${'x'.repeat(1024 * 1024)}\n`)
      for (const [path, exit, code] of [
        [conflict, 6, 'conflict'],
        [link, 3, 'symlink'],
        [fifo, 2, 'not-a-file'],
        [huge, 2, 'too-large'],
      ] as const) {
        const before = existsSync(path) && path !== fifo ? readFileSync(path, 'utf8') : undefined
        const run = runCli(['install', '--containerd-config', path, '--write-containerd-config', '--json'], {env})
        assert.equal(run.status, exit, `${path}: ${run.stdout}${run.stderr}`)
        assert.equal((JSON.parse(run.stdout) as {error: {code: string}}).error.code, code)
        if (before !== undefined) assert.equal(readFileSync(path, 'utf8'), before)
        assert.equal(existsSync(env.SECCOMP_RECORDER_INSTALL_MANIFEST!), false, 'nothing installed')
        assert.equal(existsSync(env.SECCOMP_RECORDER_CONTAINERD_SPEC!), false)
      }
    })

    it('without containerd, install --containerd fails with a prerequisite message (exit 4)', () => {
      const env = {...layout('d'), SECCOMP_RECORDER_CTR: join(work, 'no-such-ctr')}
      const run = runCli(['install', '--containerd-config', join(work, 'd', 'none.toml'), '--json'], {env})
      assert.equal(run.status, 4, run.stdout + run.stderr)
      assert.match((JSON.parse(run.stdout) as {error: {message: string}}).error.message, /ctr.*not found/)
    })
  },
)
