/**
 * The seed scenario through the CRI, as the kubelet drives a node running containerd (real containerd from Debian,
 * real runc, no mock): two replicas of the Deployment `web` in namespace `shop`, each a pod with nginx and redis
 * (each serving a real request) and a busybox probe, recorded through our hooks in containerd's base runtime spec;
 * one profile per container name, the union of both replicas (coverage 2/2), diffed against containerd's runtime
 * default and published into a kubelet seccomp root; then the same pods again with `seccomp: Localhost` at the path
 * the kubelet computes serve the same requests, and the probe's one syscall outside its profile gets EPERM.
 */
import assert from 'node:assert/strict'
import {existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, before, describe, it} from 'node:test'
import {runCli} from '../../helpers/cli.js'
import {nativeHelper, requireKernelPrerequisites} from '../harness.js'
import {Containerd, requireContainerdPrerequisites} from './containerd-daemon.js'
import {installHooksForContainerd} from './install-hooks.js'
import {
  containerLog,
  eventually,
  httpGet,
  podConfig,
  redisCommand,
  removePod,
  runPod,
  waitExited,
  type PodContainer,
  type RunningPod,
} from './pods.js'
import {
  BUSYBOX_IMAGE,
  importSeedImages,
  INDEX_HTML,
  NGINX_IMAGE,
  NGINX_PORT,
  REDIS_IMAGE,
  REDIS_PORT,
} from './seed-images.js'
import type {SecurityProfile} from './cri-client.js'

const work = mkdtempSync(join(tmpdir(), 'scr-e2e-cri-'))
const env = {
  SECCOMP_RECORDER_LIBEXEC: join(work, 'libexec'),
  SECCOMP_RECORDER_INSTALL_MANIFEST: join(work, 'install.json'),
  SECCOMP_RECORDER_CONFIG: join(work, 'config.yaml'),
  SECCOMP_RECORDER_CONTAINERD_SPEC: join(work, 'containerd-base-spec.json'),
}
const store = join(work, 'store')
const outputRoot = join(work, 'out')
const kubeletRoot = join(work, 'kubelet')
const NAMESPACE = 'shop'
/**
 * Two replicas of the Deployment `web` (ReplicaSet `web-7c9f8d6b5`). Issue 14 names them `…-abcde` and `…-fghij`,
 * but Kubernetes' random suffixes never hold a vowel (or 0, 1, 3), so the naming keeps such a name whole as a
 * hand-named pod's (src/naming/workload.ts): these are suffixes Kubernetes can generate.
 */
const REPLICAS = ['web-7c9f8d6b5-x2k4q', 'web-7c9f8d6b5-bq7zn']
const PREFIX = 'seccomp-recorder'
const PROFILES = ['shop/web/nginx', 'shop/web/redis', 'shop/web/probe']
/** The probe's recorded work (all on stderr: one stream keeps the log in order); enforced, it then tries a syscall the recorded run never made (mkdir). */
const PROBE_WORK = 'cat /etc/passwd > /dev/null; echo probe done >&2'

let containerd: Containerd | undefined
/** Per container name: the `localhostProfile` publish printed for the pod's securityContext. */
const localhostProfiles = new Map<string, string>()
const running: RunningPod[] = []

function containers(seccomp: (name: string) => SecurityProfile | undefined, probeScript: string): PodContainer[] {
  return [
    {name: 'nginx', image: NGINX_IMAGE, seccomp: seccomp('nginx')},
    {name: 'redis', image: REDIS_IMAGE, seccomp: seccomp('redis')},
    {name: 'probe', image: BUSYBOX_IMAGE, command: ['/bin/sh', '-c', probeScript], seccomp: seccomp('probe')},
  ].map(({seccomp: profile, ...rest}) => (profile ? {...rest, seccomp: profile} : rest))
}

async function startReplica(
  pod: string,
  annotations: Record<string, string>,
  seccomp: (name: string) => SecurityProfile | undefined,
  probeScript: string,
  attempt: string,
): Promise<RunningPod> {
  const config = podConfig({
    namespace: NAMESPACE,
    name: pod,
    uid: `${pod}-${attempt}-uid`,
    annotations,
    logDirectory: join(work, 'pod-logs', `${pod}-${attempt}`),
    cgroupParent: `${containerd!.cgroupParent}/pod-${pod}-${attempt}`,
  })
  const started = await runPod(containerd!.client, config, containers(seccomp, probeScript))
  running.push(started)
  return started
}

async function stopReplica(pod: RunningPod): Promise<void> {
  await removePod(containerd!.client, pod)
  running.splice(running.indexOf(pod), 1)
  // The runtime returns once the poststop has journaled the syscalls; the finaliser writes the outputs after.
  const waited = cli(['wait', '--all', '--timeout', '60'])
  const log = join(work, 'spool', 'finaliser.log')
  assert.equal(
    waited.status,
    0,
    `${waited.stderr}\nfinaliser.log:\n${existsSync(log) ? readFileSync(log, 'utf8') : '(none)'}`,
  )
}

/** The requests each replica serves: one HTTP GET from nginx, PING/SET/GET from redis; a failure shows their logs. */
async function serveRequests(replica: RunningPod, pod: string): Promise<void> {
  try {
    await requests(pod)
  } catch (error) {
    const states = await Promise.all(
      ['nginx', 'redis'].map(
        async (name) =>
          `${name}: ${(await containerd!.client.containerStatus(replica.containers.get(name)!)).state}\n${containerLog(replica, name)}`,
      ),
    )
    throw new Error(`${(error as Error).message}\n${states.join('\n')}`)
  }
}

async function requests(pod: string): Promise<void> {
  const body = await eventually(`${pod}: nginx answering on 127.0.0.1:${NGINX_PORT}`, () =>
    httpGet(`http://127.0.0.1:${NGINX_PORT}/index.html`),
  )
  assert.equal(body, INDEX_HTML)
  assert.equal(
    await eventually(`${pod}: redis answering on 127.0.0.1:${REDIS_PORT}`, () => redisCommand(REDIS_PORT, ['PING'])),
    '+PONG\r\n',
  )
  assert.equal(await redisCommand(REDIS_PORT, ['SET', 'cart', pod]), '+OK\r\n')
  assert.equal(await redisCommand(REDIS_PORT, ['GET', 'cart']), `$${pod.length}\r\n${pod}\r\n`)
}

function cli(args: string[]): {status: number | null; stdout: string; stderr: string} {
  return runCli(args, {env})
}

describe('seed scenario through the CRI (real containerd 1.6, real runc)', {timeout: 180_000}, () => {
  before(async () => {
    requireKernelPrerequisites()
    requireContainerdPrerequisites()
    await nativeHelper()
    mkdirSync(join(outputRoot, NAMESPACE), {recursive: true})
    writeFileSync(
      env.SECCOMP_RECORDER_CONFIG,
      `outputRoots: [${outputRoot}]\nstore: ${store}\nspool: ${join(work, 'spool')}\n`,
    )
    const handler = installHooksForContainerd(env, work)
    containerd = await Containerd.start({dir: join(work, 'containerd'), sandboxImage: BUSYBOX_IMAGE, ...handler})
    importSeedImages(containerd, join(work, 'images'))
  })

  after(async () => {
    try {
      for (const pod of [...running].reverse()) await removePod(containerd!.client, pod).catch(() => undefined)
      await containerd?.stop()
    } finally {
      cli(['uninstall', '--json'])
      rmSync(work, {recursive: true, force: true})
    }
  })

  it('the CRI answers: runtime containerd 1.6, API v1, the three images imported', async () => {
    const version = await containerd!.client.version()
    assert.equal(version.runtime_name, 'containerd')
    assert.match(version.runtime_version, /^1\.6\./)
    assert.equal(version.runtime_api_version, 'v1')
    for (const image of [BUSYBOX_IMAGE, NGINX_IMAGE, REDIS_IMAGE])
      assert.ok(await containerd!.client.imageStatus(image), `${image} not in containerd`)
    assert.equal(await containerd!.client.imageStatus('docker.io/seccomp-recorder-e2e/absent:1'), null)
  })

  it('records both replicas, one profile per container name with coverage 2/2, diffed against containerd and published', async () => {
    for (const pod of REPLICAS) {
      const replica = await startReplica(
        pod,
        {'seccomp-recorder.io/record': 'auto'},
        () => undefined,
        PROBE_WORK,
        'record',
      )
      const spec = await containerd!.client.containerRuntimeSpec(replica.containers.get('nginx')!)
      assert.deepEqual(
        [
          spec.annotations?.['seccomp-recorder.io/record'],
          spec.annotations?.['io.kubernetes.cri.sandbox-namespace'],
          spec.annotations?.['io.kubernetes.cri.sandbox-name'],
          spec.annotations?.['io.kubernetes.cri.container-name'],
        ],
        ['auto', NAMESPACE, pod, 'nginx'],
        "the pod annotation and containerd's own keys reach the container's spec",
      )
      assert.ok(
        spec.hooks?.['prestart']?.some((h) => h.args?.includes('hook-prestart')) && spec.hooks['poststop']?.length,
        `our hooks from the base runtime spec: ${JSON.stringify(spec.hooks)}`,
      )
      assert.equal(spec.linux?.seccomp, undefined, 'recorded unconfined')
      await serveRequests(replica, pod)
      const probe = await waitExited(containerd!.client, replica.containers.get('probe')!)
      assert.equal(probe.exit_code, 0, `probe: ${containerLog(replica, 'probe')}`)
      await stopReplica(replica)
    }
    const built = cli(['profiles', 'build', '--json', '--store', store, '--namespace', NAMESPACE])
    assert.equal(built.status, 0, built.stderr)
    const profiles = (
      JSON.parse(built.stdout) as {
        profiles: Array<{
          name: string
          recordings: number
          incomplete: number
          syscalls: number
          written: {profile: string | null}
        }>
      }
    ).profiles
    assert.deepEqual(profiles.map((p) => p.name).sort(), [...PROFILES].sort(), built.stdout.slice(0, 2000))
    mkdirSync(kubeletRoot, {recursive: true})
    for (const profile of profiles) {
      assert.equal(profile.recordings, 2, `${profile.name}: coverage ${profile.recordings}/2`)
      assert.equal(profile.incomplete, 0, `${profile.name}: incomplete recordings`)
      assert.ok(profile.written.profile && existsSync(profile.written.profile), `${profile.name}: no profile written`)
      const diff = cli([
        'diff',
        profile.written.profile,
        '--against',
        'runtime-default:containerd',
        '--fail-on',
        'none',
        '--json',
      ])
      assert.equal(diff.status, 0, `${profile.name}: diff: ${diff.stderr}`)
      const report = JSON.parse(diff.stdout) as {
        runtimeDefault: {name: string}
        profile: {coverage: {recordings: number} | null}
        findings: {added: number; removed: number}
      }
      assert.equal(report.runtimeDefault.name, 'containerd')
      assert.equal(
        report.profile.coverage?.recordings,
        2,
        `${profile.name}: the diff reads coverage 2/2 from the sidecar`,
      )
      assert.ok(report.findings.removed > 0, `${profile.name}: no attack surface removed against containerd's default`)
      const published = cli([
        'publish',
        '--json',
        '--kubelet-root-dir',
        kubeletRoot,
        '--prefix',
        PREFIX,
        '--name',
        profile.name,
        profile.written.profile,
      ])
      assert.equal(published.status, 0, `${profile.name}: publish: ${published.stderr}`)
      const localhostProfile = (JSON.parse(published.stdout) as {profiles: Array<{localhostProfile: string}>})
        .profiles[0]!.localhostProfile
      assert.equal(localhostProfile, `${PREFIX}/${profile.name}.json`)
      assert.ok(existsSync(join(kubeletRoot, 'seccomp', localhostProfile)))
      localhostProfiles.set(profile.name.split('/').at(-1)!, localhostProfile)
    }
    // What serving the requests took: nginx accepted and answered the GET, redis accepted and answered over epoll.
    for (const [name, needed] of [
      ['shop/web/nginx', ['accept4', 'writev', 'setuid']],
      ['shop/web/redis', ['accept4', 'epoll_wait', 'write']],
    ] as const) {
      const profile = profiles.find((p) => p.name === name)!
      const names = (
        JSON.parse(readFileSync(profile.written.profile!, 'utf8')) as {syscalls: Array<{names: string[]}>}
      ).syscalls.flatMap((r) => r.names)
      for (const syscall of needed)
        assert.ok(names.includes(syscall), `${name}'s profile lacks ${syscall}: ${names.join(' ')}`)
    }
  })

  it('the same pods under their published profiles (Localhost, the path the kubelet computes) serve the same requests; one more syscall gets EPERM', async () => {
    // What the kubelet sends for `seccompProfile: {type: Localhost, localhostProfile: P}`: <root-dir>/seccomp/P.
    for (const name of ['nginx', 'redis', 'probe'])
      assert.ok(localhostProfiles.has(name), `${name}: nothing published (did the recording test pass?)`)
    const localhost = (name: string): SecurityProfile => ({
      profile_type: 'Localhost',
      localhost_ref: join(kubeletRoot, 'seccomp', localhostProfiles.get(name)!),
    })
    for (const pod of REPLICAS) {
      const replica = await startReplica(pod, {}, localhost, `${PROBE_WORK}; mkdir /tmp/denied`, 'enforce')
      for (const name of ['nginx', 'redis']) {
        const spec = await containerd!.client.containerRuntimeSpec(replica.containers.get(name)!)
        assert.equal(spec.linux?.seccomp?.defaultAction, 'SCMP_ACT_ERRNO', `${name} runs under its published profile`)
        assert.equal(spec.annotations?.['seccomp-recorder.io/record'], undefined, `${name} is not recorded again`)
      }
      await serveRequests(replica, pod)
      const probe = await waitExited(containerd!.client, replica.containers.get('probe')!)
      const log = containerLog(replica, 'probe')
      assert.notEqual(probe.exit_code, 0, `probe's mkdir was allowed: ${log}`)
      assert.match(log, /probe done\n.*mkdir: can't create directory '\/tmp\/denied': Operation not permitted/)
      await stopReplica(replica)
    }
    // The hooks ran for these containers too (containerd runs them for every one) and recorded nothing: none asked.
    const rebuilt = cli(['profiles', 'build', '--dry-run', '--json', '--store', store, '--namespace', NAMESPACE])
    assert.equal(rebuilt.status, 0, rebuilt.stderr)
    assert.deepEqual(
      (JSON.parse(rebuilt.stdout) as {profiles: Array<{name: string; recordings: number}>}).profiles
        .map((p) => [p.name, p.recordings])
        .sort(),
      PROFILES.map((name) => [name, 2]).sort(),
    )
  })
  it('the per-container pod annotation io.containers.trace-syscall/<container> records that container only', async () => {
    const profile = join(outputRoot, NAMESPACE, 'tools-probe.json')
    const pod = 'tools-6f8d9c7b4-m2x5k'
    const config = podConfig({
      namespace: NAMESPACE,
      name: pod,
      uid: `${pod}-uid`,
      annotations: {'io.containers.trace-syscall/probe': `of:${profile}`},
      logDirectory: join(work, 'pod-logs', pod),
      cgroupParent: `${containerd!.cgroupParent}/pod-${pod}`,
    })
    // containerd gives both containers the pod's key unchanged; only the probe is named by it, and only the other
    // container's run makes a directory (had it been recorded into the same file, its mkdir would show).
    const replica = await runPod(containerd!.client, config, [
      {name: 'probe', image: BUSYBOX_IMAGE, command: ['/bin/sh', '-c', 'echo probe > /tmp/probe']},
      {
        name: 'other',
        image: BUSYBOX_IMAGE,
        command: ['/bin/sh', '-c', 'mkdir /tmp/other; echo other > /tmp/other/file'],
      },
    ])
    running.push(replica)
    const otherSpec = await containerd!.client.containerRuntimeSpec(replica.containers.get('other')!)
    assert.equal(
      otherSpec.annotations?.['io.containers.trace-syscall/probe'],
      `of:${profile}`,
      'containerd passes the per-container key to every container of the pod',
    )
    for (const name of ['probe', 'other']) await waitExited(containerd!.client, replica.containers.get(name)!)
    await stopReplica(replica)
    assert.ok(existsSync(profile), `the probe was not recorded into ${profile}`)
    const names = (JSON.parse(readFileSync(profile, 'utf8')) as {syscalls: Array<{names: string[]}>}).syscalls.flatMap(
      (r) => r.names,
    )
    assert.ok(names.includes('execve'), `the probe's profile lacks its own execve: ${names.join(' ')}`)
    for (const syscall of ['mkdir', 'mkdirat'])
      assert.ok(!names.includes(syscall), "the other container was recorded into the probe's profile")
  })
})
