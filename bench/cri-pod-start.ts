/**
 * CRI pod start as the kubelet drives it, through a containerd of the bench's own (the e2e harness: its own config,
 * root, state and socket in a temp dir; the host's containerd is never touched), in four configurations,
 * interleaved round by round, the order turned by one each round (≥ 20 pods each):
 * - recording:      runtime handler `runc` with our hooks in its base runtime spec (`install --containerd`), the pod
 *                   asks for recording (`seccomp-recorder.io/record: auto`); the recorder is attached already (the
 *                   previous recorded pod ended less than LINGER_SECONDS ago: a stream of pods);
 * - not asked:      the same handler, the pod asks for nothing (the hooks run and must let it go at once);
 * - not installed:  runtime handler `runc-plain` of the same daemon, without a base spec (no hooks);
 * - recording, 1st: as recording, but the idle recorder is detached first (untimed): the first recorded pod on a
 *                   node, whose prestart pays the attach (loading the BPF programs).
 * start = RunPodSandbox → CreateContainer → StartContainer → ContainerStatus says CONTAINER_RUNNING (one busybox
 * `sleep` container); lifetime = start plus StopPodSandbox and RemovePodSandbox (where the poststop hook runs; it
 * runs inside StopPodSandbox, so it is over before the next pod starts). Each CRI call is timed too (the parts).
 *   Usage: node dist/bench/cri-pod-start.js [PODS]   (npm run bench:cri; root; run under flock /work/e2e.lock)
 */
import {execFileSync} from 'node:child_process'
import {readdirSync, mkdirSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {setTimeout as sleep} from 'node:timers/promises'
import {ANNOTATION_PASSTHROUGH} from '../src/install/containerd.js'
import {installHooksForContainerd} from '../test/e2e/containerd/install-hooks.js'
import {runCli} from '../test/helpers/cli.js'
import {nativeHelper, requireKernelPrerequisites} from '../test/e2e/harness.js'
import {Containerd, requireContainerdPrerequisites} from '../test/e2e/containerd/containerd-daemon.js'
import type {CriClient} from '../test/e2e/containerd/cri-client.js'
import {ociImageArchive} from '../test/e2e/containerd/images.js'
import {baseRootfs} from '../test/e2e/rootfs.js'
import {podConfig, removePod, runPod, type RunningPod} from '../test/e2e/containerd/pods.js'

const pods = Math.max(20, Number(process.argv[2] ?? 20))
const IMAGE = 'docker.io/seccomp-recorder-bench/busybox:1'
const NAMESPACE = 'bench'
const PLAIN_HANDLER = 'runc-plain'

interface Configuration {
  name: string
  handler: string
  annotations: Record<string, string>
  /** Whether our hooks must be in the container's spec (checked once, outside the timing). */
  hooked: boolean
  /** Detach the idle recorder first (untimed): the pod's prestart attaches it, as for the first recorded pod on a node. */
  detached?: boolean
}

const CONFIGURATIONS: Configuration[] = [
  {name: 'recording', handler: 'runc', annotations: {'seccomp-recorder.io/record': 'auto'}, hooked: true},
  {name: 'not asked', handler: 'runc', annotations: {}, hooked: true},
  {name: 'not installed', handler: PLAIN_HANDLER, annotations: {}, hooked: false},
  {
    name: 'recording, 1st',
    handler: 'runc',
    annotations: {'seccomp-recorder.io/record': 'auto'},
    hooked: true,
    detached: true,
  },
]

interface Timing {
  start: number
  lifetime: number
  /** The parts of start and lifetime, in ms: each CRI call (PARTS), `running` = StartContainer → status running. */
  parts: Record<Part, number>
}

/** The CRI calls of a pod's start and end, timed one by one (the prestart hooks run in RunPodSandbox for the
 * sandbox and in StartContainer for the container; the poststop hooks in StopPodSandbox). */
const PARTS = [
  'runPodSandbox',
  'createContainer',
  'startContainer',
  'running',
  'stopPodSandbox',
  'removePodSandbox',
] as const
type Part = (typeof PARTS)[number]

/** The client with each timed call's duration added into parts (a proxy: the harness's runPod and removePod drive it unchanged). */
function timedClient(client: CriClient, parts: Partial<Record<Part, number>>): CriClient {
  return new Proxy(client, {
    get(target, key, receiver) {
      const value = Reflect.get(target, key, receiver) as unknown
      if (typeof value !== 'function' || !(PARTS as readonly string[]).includes(key as string)) return value
      return async (...args: unknown[]) => {
        const t0 = performance.now()
        try {
          return await (value as (...a: unknown[]) => Promise<unknown>).apply(target, args)
        } finally {
          parts[key as Part] = (parts[key as Part] ?? 0) + performance.now() - t0
        }
      }
    },
  })
}

const work = mkdtempSync(join(tmpdir(), 'scr-bench-cri-'))
const env = {
  SECCOMP_RECORDER_LIBEXEC: join(work, 'libexec'),
  SECCOMP_RECORDER_INSTALL_MANIFEST: join(work, 'install.json'),
  SECCOMP_RECORDER_CONFIG: join(work, 'config.yaml'),
  SECCOMP_RECORDER_CONTAINERD_SPEC: join(work, 'containerd-base-spec.json'),
}
const store = join(work, 'store')

/** `install --containerd` as on a node, into temp paths (the e2e's installHooksForContainerd): its base spec for the `runc` handler. */
function installHooks(): string {
  writeFileSync(
    env.SECCOMP_RECORDER_CONFIG,
    `outputRoots: [${join(work, 'out')}]\nstore: ${store}\nspool: ${join(work, 'spool')}\n`,
  )
  return installHooksForContainerd(env, work).baseRuntimeSpec!
}

function busyboxImage(dir: string): string {
  const rootfs = baseRootfs(join(dir, 'rootfs'))
  return ociImageArchive(rootfs, dir, {name: IMAGE, cmd: ['/bin/sleep', '86400'], env: ['PATH=/bin']})
}

let counter = 0
async function startPod(
  containerd: Containerd,
  configuration: Configuration,
  parts: Partial<Record<Part, number>> = {},
): Promise<{pod: RunningPod; start: number; t0: number}> {
  const name = `pod-${configuration.name.replace(' ', '-')}-${++counter}`
  const config = podConfig({
    namespace: NAMESPACE,
    name,
    uid: `${name}-${process.pid}`,
    annotations: configuration.annotations,
    logDirectory: join(work, 'pod-logs', name),
    cgroupParent: `${containerd.cgroupParent}/${name}`,
  })
  const t0 = performance.now()
  const pod = await runPod(
    timedClient(containerd.client, parts),
    config,
    [{name: 'sleeper', image: IMAGE, command: ['/bin/sleep', '3600']}],
    configuration.handler,
  )
  const id = pod.containers.get('sleeper')!
  for (;;) {
    const status = await containerd.client.containerStatus(id)
    if (status.state === 'CONTAINER_RUNNING') break
    if (status.state !== 'CONTAINER_CREATED')
      throw new Error(`${name}: container ${status.state} (${status.reason} ${status.message})`)
    if (performance.now() - t0 > 30_000) throw new Error(`${name}: not running after 30 s`)
    await sleep(5)
  }
  const start = performance.now() - t0
  parts.running = start - (parts.runPodSandbox ?? 0) - (parts.createContainer ?? 0) - (parts.startContainer ?? 0)
  return {pod, start, t0}
}

/** "recording" pods that found the recorder detached (the previous recorded pod ended more than LINGER_SECONDS ago). */
let foundDetached = 0

async function measure(containerd: Containerd, configuration: Configuration): Promise<Timing> {
  if (configuration.detached) {
    const detached = runHelper(['detach-idle', '--after', '0'])
    if (!(JSON.parse(detached) as {detached: boolean}).detached)
      throw new Error(`the recorder did not detach: ${detached}`)
  } else if (configuration.name === 'recording' && !(JSON.parse(runHelper(['list'])) as {attached: boolean}).attached) {
    foundDetached++ // said in the output: such a pod paid the attach, as a "recording, 1st" one
  }
  const parts: Partial<Record<Part, number>> = {}
  const {pod, start, t0} = await startPod(containerd, configuration, parts)
  await removePod(timedClient(containerd.client, parts), pod)
  return {start, lifetime: performance.now() - t0, parts: parts as Record<Part, number>}
}

/** Once per configuration, untimed: the container's spec has our hooks exactly where it should. */
async function checkHooks(containerd: Containerd, configuration: Configuration): Promise<void> {
  const {pod} = await startPod(containerd, configuration)
  try {
    const spec = await containerd.client.containerRuntimeSpec(pod.containers.get('sleeper')!)
    const hooked =
      spec.hooks?.['prestart']?.some((h) => h.args?.includes('hook-prestart')) === true &&
      (spec.hooks['poststop']?.length ?? 0) > 0
    if (hooked !== configuration.hooked)
      throw new Error(
        `${configuration.name}: our hooks ${hooked ? 'present' : 'absent'} in the spec, expected ${configuration.hooked ? 'present' : 'absent'}: ${JSON.stringify(spec.hooks)}`,
      )
    const asked = spec.annotations?.['seccomp-recorder.io/record']
    if (asked !== configuration.annotations['seccomp-recorder.io/record'])
      throw new Error(`${configuration.name}: record annotation in the spec is ${asked}`)
  } finally {
    await removePod(containerd.client, pod)
  }
}

const sorted = (xs: number[]) => [...xs].sort((a, b) => a - b)
const median = (xs: number[]) => {
  const s = sorted(xs)
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2
}
/** Nearest rank. */
const p90 = (xs: number[]) => sorted(xs)[Math.ceil(0.9 * xs.length) - 1]!
const ms = (x: number) => x.toFixed(1).padStart(6)

/** Recordings the poststop hook stored (files below the store). */
function storedRecordings(dir: string): number {
  try {
    return readdirSync(dir, {recursive: true, withFileTypes: true}).filter(
      (e) => e.isFile() && e.name.endsWith('.json'),
    ).length
  } catch {
    return 0
  }
}

requireKernelPrerequisites()
requireContainerdPrerequisites()
const helper = await nativeHelper()
/** The helper on the machine's recorder, as the hooks use it. */
const runHelper = (args: string[]) => execFileSync(helper, args, {encoding: 'utf8'})
let containerd: Containerd | undefined
try {
  const baseRuntimeSpec = installHooks()
  const patterns = [...ANNOTATION_PASSTHROUGH]
  containerd = await Containerd.start({
    dir: join(work, 'containerd'),
    sandboxImage: IMAGE,
    baseRuntimeSpec,
    podAnnotations: patterns,
    containerAnnotations: patterns,
    otherHandlers: {[PLAIN_HANDLER]: {}},
  })
  mkdirSync(join(work, 'image'))
  containerd.importImage(busyboxImage(join(work, 'image')))
  // Untimed warm-up, and the check that each configuration is what it says.
  for (const configuration of CONFIGURATIONS) await checkHooks(containerd, configuration)
  const results = new Map(CONFIGURATIONS.map((c) => [c.name, [] as Timing[]]))
  // Interleaved, and the order turns by one each round: no configuration always follows the same one.
  for (let round = 0; round < pods; round++) {
    for (let i = 0; i < CONFIGURATIONS.length; i++) {
      const configuration = CONFIGURATIONS[(round + i) % CONFIGURATIONS.length]!
      results.get(configuration.name)!.push(await measure(containerd, configuration))
    }
  }
  const version = await containerd.client.version()
  console.log(
    `CRI pod start through containerd ${version.runtime_version} (runc), one busybox container per pod, ${pods} pods per configuration, interleaved`,
  )
  for (const {name} of CONFIGURATIONS) {
    const t = results.get(name)!
    const start = t.map((x) => x.start)
    const lifetime = t.map((x) => x.lifetime)
    console.log(
      `${name.padEnd(14)} start ${ms(median(start))} ms (p90 ${ms(p90(start))})   lifetime ${ms(median(lifetime))} ms (p90 ${ms(p90(lifetime))})   (median of ${t.length})`,
    )
  }
  console.log(`parts (median ms): ${PARTS.join(' · ')}`)
  for (const {name} of CONFIGURATIONS) {
    const t = results.get(name)!
    console.log(`${name.padEnd(14)} ${PARTS.map((part) => ms(median(t.map((x) => x.parts[part])))).join(' ')}`)
  }
  const base = results.get('not installed')!
  for (const name of ['not asked', 'recording', 'recording, 1st']) {
    const t = results.get(name)!
    const ratio = (pick: (x: Timing) => number) => (median(t.map(pick)) / median(base.map(pick))).toFixed(2)
    console.log(`${name} / not installed: start ${ratio((x) => x.start)}x, lifetime ${ratio((x) => x.lifetime)}x`)
  }
  console.log(`"recording" pods that found the recorder detached (and paid the attach): ${foundDetached} of ${pods}`)
  console.log(`recordings stored by the poststop hook: ${storedRecordings(store)} (expected ${2 * pods + 2})`)
} finally {
  await containerd?.stop()
  runCli(['uninstall', '--json'], {env})
  rmSync(work, {recursive: true, force: true})
}
