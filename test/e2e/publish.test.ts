import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {copyFileSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {parseAllDocuments} from 'yaml'
import {EXIT} from '../../src/core/exit-codes.js'
import {PUBLISH_OUTPUT} from '../../src/cli/output-schemas/publish.js'
import {runCli} from '../helpers/cli.js'

/**
 * A published profile is used by podman exactly as CRI-O would use it (`--security-opt seccomp=<root>/<prefix>/<name>.json`,
 * the file the kubelet points the runtime at for `localhostProfile: <prefix>/<name>.json`), and the workload runs under it.
 * The DaemonSet's installer script runs under podman with the DaemonSet's restrictions and installs the same bytes.
 * Needs root, podman, runc and busybox-static (.ci/setup installs them): a missing one fails, it never skips.
 */

const PODMAN = [
  '--runtime',
  'runc',
  '--storage-driver',
  'vfs',
  '--cgroup-manager',
  'cgroupfs',
  '--events-backend',
  'file',
  'run',
  '--rm',
  '--network',
  'none',
  '--ulimit',
  'nofile=1024:1024',
  '--ulimit',
  'nproc=1024:1024',
]

interface Run {
  status: number | null
  stdout: string
  stderr: string
}

function podman(args: string[]): Run {
  const run = spawnSync('podman', [...PODMAN, ...args], {encoding: 'utf8', timeout: 120_000})
  if (run.error) throw run.error
  return {status: run.status, stdout: run.stdout, stderr: run.stderr}
}

/** busybox sh -c CMD in a busybox rootfs, confined by the seccomp profile file `profile`. */
function inContainer(rootfs: string, profile: string, command: string): Run {
  return podman(['--security-opt', `seccomp=${profile}`, '--rootfs', rootfs, '/bin/busybox', 'sh', '-c', command])
}

function publishJson(args: string[]): {
  profiles: Array<{path: string; localhostProfile: string; action: string}>
  kubernetes: {yaml: string} | null
} {
  const run = runCli(['publish', '--json', ...args])
  assert.equal(run.status, EXIT.OK, run.stdout + run.stderr)
  const output = JSON.parse(run.stdout) as unknown
  const ajv = new Ajv({strict: false})
  assert.ok(ajv.validate(PUBLISH_OUTPUT, output), ajv.errorsText())
  return output as never
}

describe('published profiles under a real runtime (podman + runc)', () => {
  let base: string
  let rootfs: string
  let kubelet: string

  before(() => {
    for (const tool of ['podman', 'runc', 'busybox']) {
      const found = spawnSync('sh', ['-c', `command -v ${tool}`], {encoding: 'utf8'})
      assert.equal(found.status, 0, `${tool} is required for this test (bash .ci/setup installs it)`)
    }
    assert.equal(process.getuid?.(), 0, 'this test runs podman as root')
    base = mkdtempSync(join(tmpdir(), 'sr-e2e-publish-'))
    // A busybox rootfs: the static binary and a link per applet (the installer script calls sh, cp, mv, find…).
    rootfs = join(base, 'rootfs')
    mkdirSync(join(rootfs, 'bin'), {recursive: true})
    copyFileSync('/bin/busybox', join(rootfs, 'bin', 'busybox'))
    const applets = spawnSync('/bin/busybox', ['--list'], {encoding: 'utf8'})
      .stdout.split('\n')
      .filter((a) => a !== '' && a !== 'busybox')
    for (const applet of applets) symlinkSync('busybox', join(rootfs, 'bin', applet))
    kubelet = join(base, 'kubelet')
  })

  after(() => rmSync(base, {recursive: true, force: true}))

  it('runs the workload under the published allow-list, from <root>/<prefix>/<name>.json', () => {
    const out = publishJson([
      '--kubelet-root-dir',
      kubelet,
      '--prefix',
      'e2e',
      '--name',
      'busybox/allow',
      'fixtures/publish/busybox-allow.json',
    ])
    const [p] = out.profiles
    assert.equal(p!.localhostProfile, 'e2e/busybox/allow.json')
    assert.equal(p!.path, join(kubelet, 'seccomp', 'e2e', 'busybox', 'allow.json'))
    const ok = inContainer(rootfs, p!.path, 'echo ok')
    assert.equal(ok.status, 0, ok.stderr)
    assert.equal(ok.stdout, 'ok\n')
    const uname = inContainer(rootfs, p!.path, 'busybox uname -s')
    assert.equal(uname.stdout, 'Linux\n', uname.stderr)
  })

  it('a published profile that denies uname and mkdir makes them fail, while the rest still runs', () => {
    const out = publishJson([
      '--kubelet-root-dir',
      kubelet,
      '--prefix',
      'e2e',
      '--name',
      'busybox/deny',
      'fixtures/publish/busybox-deny-uname-mkdir.json',
    ])
    const path = out.profiles[0]!.path
    assert.equal(inContainer(rootfs, path, 'echo ok').stdout, 'ok\n')
    // busybox uname ignores uname(2)'s error and prints nothing instead of the kernel name.
    const uname = inContainer(rootfs, path, 'busybox uname -s')
    assert.doesNotMatch(uname.stdout, /Linux/)
    const mkdir = inContainer(rootfs, path, 'busybox mkdir /made-by-the-test')
    assert.equal(mkdir.status, 1)
    assert.match(mkdir.stderr, /mkdir: can't create directory '\/made-by-the-test': Operation not permitted/)
  })

  it('republishing a name switches what the runtime enforces', () => {
    const first = publishJson(['--kubelet-root-dir', kubelet, '--name', 'app', 'fixtures/publish/busybox-allow.json'])
    const path = first.profiles[0]!.path
    assert.equal(inContainer(rootfs, path, 'busybox mkdir /d1 && echo made').stdout, 'made\n')
    const second = publishJson([
      '--kubelet-root-dir',
      kubelet,
      '--name',
      'app',
      'fixtures/publish/busybox-deny-uname-mkdir.json',
    ])
    assert.equal(second.profiles[0]!.action, 'update')
    assert.equal(inContainer(rootfs, path, 'busybox mkdir /d2').status, 1)
  })

  it("the DaemonSet's installer puts the same profiles into a node's seccomp root with all capabilities dropped, and they work", () => {
    const out = publishJson([
      '--kubernetes',
      '--prefix',
      'cluster',
      '--name',
      'team/app/web',
      'fixtures/publish/busybox-allow.json',
    ])
    const docs = parseAllDocuments(out.kubernetes!.yaml).map((d) => d.toJS() as any)
    const [configMap, daemonSet] = docs
    const pod = daemonSet.spec.template.spec
    const init = pod.initContainers[0]
    // The ConfigMap volume as the kubelet lays it out: files are symlinks through ..data into a timestamped directory.
    const volume = join(base, 'configmap')
    mkdirSync(join(volume, '..2026_01_01_00_00_00.000000001'), {recursive: true})
    symlinkSync('..2026_01_01_00_00_00.000000001', join(volume, '..data'))
    for (const [key, value] of Object.entries(configMap.data as Record<string, string>)) {
      writeFileSync(join(volume, '..2026_01_01_00_00_00.000000001', key), value)
      symlinkSync(`..data/${key}`, join(volume, key))
    }
    // The node's hostPath <seccomp root>/<prefix>, created by the kubelet (DirectoryOrCreate) as root, 0755.
    const host = join(base, 'node', 'seccomp', 'cluster')
    mkdirSync(host, {recursive: true})
    const sc = init.securityContext
    assert.deepEqual(
      [sc.readOnlyRootFilesystem, sc.allowPrivilegeEscalation, sc.capabilities.drop, sc.runAsUser],
      [true, false, ['ALL'], 0],
    )
    const mounts = init.volumeMounts as Array<{name: string; mountPath: string; readOnly?: boolean}>
    const source = (name: string) => (name === 'profiles' ? volume : host)
    const run = podman([
      '--read-only',
      '--cap-drop',
      'ALL',
      '--security-opt',
      'no-new-privileges',
      '--user',
      `${sc.runAsUser}:${sc.runAsGroup}`,
      ...mounts.flatMap((m) => ['-v', `${source(m.name)}:${m.mountPath}${m.readOnly ? ':ro' : ''}`]),
      '--rootfs',
      rootfs,
      ...init.command,
    ])
    assert.equal(run.status, 0, run.stderr)
    assert.match(run.stdout, /installed 1 seccomp profile into \/var\/lib\/kubelet\/seccomp\/cluster/)
    const installed = join(host, 'team', 'app', 'web.json')
    assert.equal(readFileSync(installed, 'utf8'), configMap.data['team_2fapp_2fweb.json'])
    // Byte for byte what a local publish writes.
    const local = publishJson([
      '--root',
      join(base, 'local'),
      '--prefix',
      'cluster',
      '--name',
      'team/app/web',
      'fixtures/publish/busybox-allow.json',
    ])
    assert.deepEqual(readFileSync(installed), readFileSync(local.profiles[0]!.path))
    const ok = inContainer(rootfs, installed, 'echo ok')
    assert.equal(ok.stdout, 'ok\n', ok.stderr)
  })
})
