/**
 * Hostile tenants on one node, end to end through podman (runc and crun) and the installed hook: tenant A
 * (namespace `payments`) records its workload, builds and publishes its profile; tenant B (namespace `evil`) runs
 * pods beside it that try to write and read A's outputs, spoof A's identity and fill the kernel recorder. A's
 * outputs must be byte-identical with and without B, and every attempt of B is refused with a message at the start
 * of its container (the prestart), where its owner sees it.
 *
 * podman stands in for the Kubernetes container managers with their keys: CRI-O-style containers carry what CRI-O
 * writes (`io.container.manager: cri-o`, ContainerName, Labels); containerd-style ones containerd's
 * `io.kubernetes.cri.*` keys, with podman's own `io.container.manager: libpod` overridden by an empty value (a value
 * that claims no manager), as containerd writes none.
 */
import assert from 'node:assert/strict'
import {spawn} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, readdirSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {before, describe, it} from 'node:test'
import {runCli} from '../helpers/cli.js'
import {
  busyboxRootfs,
  nativeHelper,
  podmanRunArgs,
  prepareCgroupsForCrun,
  requireKernelPrerequisites,
  installTempHook,
  tempHook,
} from './harness.js'
import {buildMapFillers} from './map-fillers.js'

const work = mkdtempSync(join(tmpdir(), 'scr-e2e-tenants-'))
const rootfs = busyboxRootfs(work)
const WORKLOAD_A = 'echo payments; uname; cat /proc/uptime > /tmp/up'

type Annotations = Record<string, string>

const containerd = (namespace: string, pod: string, container: string): Annotations => ({
  'io.container.manager': '',
  'io.kubernetes.cri.container-type': 'container',
  'io.kubernetes.cri.sandbox-id': 'f00d',
  'io.kubernetes.cri.sandbox-namespace': namespace,
  'io.kubernetes.cri.sandbox-name': pod,
  'io.kubernetes.cri.container-name': container,
})

const crio = (namespace: string, pod: string, container: string): Annotations => ({
  'io.container.manager': 'cri-o',
  'io.kubernetes.cri-o.ContainerType': 'container',
  'io.kubernetes.cri-o.ContainerName': `k8s_${container}_${pod}_${namespace}_0d6f-11_0`,
  'io.kubernetes.cri-o.Labels': JSON.stringify({
    'io.kubernetes.container.name': container,
    'io.kubernetes.pod.name': pod,
    'io.kubernetes.pod.namespace': namespace,
  }),
})

/**
 * One node: its own hooks dir, config, store, output root, kubelet root. runtimeThreads is on so that A's profile
 * does not depend on the load B's pods add (runc starts a late thread under load; see the README).
 */
interface Node {
  env: NodeJS.ProcessEnv
  hooksDir: string
  out: string
  store: string
  kubelet: string
}

function makeNode(name: string): Node {
  const dir = join(work, name)
  const hook = tempHook(dir)
  installTempHook(hook, {extraConfig: 'onError: fail\nruntimeThreads: true\n'})
  return {...hook, kubelet: join(dir, 'kubelet-seccomp')}
}

function podmanRun(
  node: Node,
  runtime: 'runc' | 'crun',
  annotations: Annotations,
  script: string,
  options: {capAdd?: string[]; seccomp?: string} = {},
): Promise<{status: number | null; stderr: string}> {
  const child = spawn(
    'podman',
    podmanRunArgs({runtime, rootfs, hooksDir: node.hooksDir, annotations, ...options, args: ['/bin/sh', '-c', script]}),
    {stdio: ['ignore', 'ignore', 'pipe']},
  )
  let stderr = ''
  child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
  // The runtime returns before the finaliser writes the outputs: wait for them, as a script would.
  return new Promise((resolve) =>
    child.on('close', (status) => {
      const waited = runCli(['wait', '--all', '--timeout', '60'], {env: node.env})
      resolve({status, stderr: waited.status === 0 ? stderr : `${stderr}\nwait: ${waited.stderr}`})
    }),
  )
}

/** Tenant A's pods: a containerd-style and a CRI-O-style replica, each recording into the store and into its own of: file. */
function tenantA(node: Node, runtime: 'runc' | 'crun'): Array<Promise<{status: number | null; stderr: string}>> {
  return [
    podmanRun(
      node,
      runtime,
      {
        ...containerd('payments', 'api-7d4b9c8f6d-x2k4q', 'api'),
        'seccomp-recorder.io/record': 'auto',
        'io.containers.trace-syscall': `of:${node.out}/payments/api.json`,
      },
      WORKLOAD_A,
    ),
    podmanRun(
      node,
      runtime,
      {
        ...crio('payments', 'api-7d4b9c8f6d-b5n8m', 'api'),
        'seccomp-recorder.io/record': 'auto',
        'io.containers.trace-syscall': `of:${node.out}/payments/api-crio.json`,
      },
      WORKLOAD_A,
    ),
  ]
}

/** Tenant B's attempts, each with the refusal its container start must show. */
function tenantB(node: Node): Array<{what: string; annotations: Annotations; refusal: RegExp}> {
  const evil = containerd('evil', 'tool-5f6d7c8b9a-zq2wx', 'tool')
  return [
    {
      what: "writes A's output",
      annotations: {...evil, 'io.containers.trace-syscall': `of:${node.out}/payments/api.json`},
      refusal: /outside .*\/evil\/, the part of the output roots that belongs to the pod's namespace evil/,
    },
    {
      what: "reads A's output as its base",
      annotations: {
        ...evil,
        'io.containers.trace-syscall': `of:${node.out}/evil/x.json;if:${node.out}/payments/api.json`,
      },
      refusal: /belongs to the pod's namespace evil/,
    },
    {
      what: "rewrites A's CRI-O output as a superset",
      annotations: {
        ...crio('evil', 'tool-0', 'tool'),
        'io.containers.trace-syscall': `if:${node.out}/payments/api-crio.json;of:${node.out}/payments/api-crio.json`,
      },
      refusal: /belongs to the pod's namespace evil/,
    },
    {
      what: "spoofs A's name with CRI-O's keys under containerd",
      annotations: {
        ...evil,
        ...crio('payments', 'api-7d4b9c8f6d-x2k4q', 'api'),
        'io.container.manager': '',
        'seccomp-recorder.io/record': 'auto',
      },
      refusal: /contradictory keys \(CRI-O's and containerd's keys\)/,
    },
    {
      what: 'pretends to be a podman container',
      annotations: {
        ...crio('evil', 'tool-0', 'tool'),
        'io.container.manager': 'libpod',
        'io.containers.trace-syscall': `of:${node.out}/payments/api.json`,
      },
      refusal: /contradictory keys \(CRI-O's keys and io.container.manager=libpod\)/,
    },
  ]
}

/**
 * Tenant B's pods that record in their own namespace, as they may, but try to fill the kernel recorder's maps for
 * everyone: namespaces held open beyond the per-recording quota, thousands of abandoned ones, bogus syscall numbers.
 * Each may only flag its own recording incomplete (its poststop says so); A's recordings stay complete and exact.
 */
function tenantBFillers(node: Node, runtime: 'runc' | 'crun'): Array<Promise<{status: number | null; stderr: string}>> {
  const pod = (n: number) => ({
    ...containerd('evil', `filler-5f6d7c8b9a-zq2w${n}`, `filler${n}`),
    'seccomp-recorder.io/record': 'auto',
  })
  return [
    podmanRun(node, runtime, pod(1), '/bin/unshare-loop hold 40', {capAdd: ['SYS_ADMIN']}),
    podmanRun(node, runtime, pod(2), '/bin/unshare-loop fork 2000', {capAdd: ['SYS_ADMIN']}),
    // Without a seccomp filter: podman's default would turn the bogus numbers away before the recorder sees them.
    podmanRun(node, runtime, pod(3), '/bin/bogus-syscalls 512 20000', {seccomp: 'unconfined'}),
  ]
}

/** Which quotas the recording of filler pod n reached (the counts depend on the runtime's own namespaces). */
function quotaOf(node: Node, n: number): string {
  const [dir, ...more] = readdirSync(join(node.store, 'recordings')).filter(
    (d) => d.startsWith('evil_2F') && d.endsWith(`filler${n}`),
  )
  assert.ok(dir !== undefined && more.length === 0, `one recording name for filler ${n}`)
  const files = readdirSync(join(node.store, 'recordings', dir))
  assert.equal(files.length, 1, `one recording of filler ${n}`)
  const quota = (
    JSON.parse(readFileSync(join(node.store, 'recordings', dir, files[0]!), 'utf8')) as {
      quota?: {nested: number; words: number}
    }
  ).quota
  return [quota?.nested ? 'nested' : '', quota?.words ? 'words' : ''].filter(Boolean).join('+') || 'none'
}

/** Everything A ends up with: its of: files, its built profile and what publish wrote, as bytes. */
function outputsOfA(node: Node): Record<string, string> {
  const built = runCli(['profiles', 'build', '--store', node.store, '--namespace', 'payments'], {env: node.env})
  assert.equal(built.status, 0, built.stderr)
  const profiles = readdirSync(join(node.store, 'profiles')).filter(
    (f) => f.endsWith('.json') && !f.endsWith('.coverage.json'),
  )
  assert.deepEqual(profiles, ['payments_2Fapi_2Fapi.json'], 'A has exactly one profile, payments/api/api')
  const profile = join(node.store, 'profiles', profiles[0]!)
  const published = runCli(
    ['publish', '--root', node.kubelet, '--prefix', 'seccomp-recorder', '--name', 'payments/api/api', profile],
    {env: node.env},
  )
  assert.equal(published.status, 0, published.stderr)
  return {
    'of: containerd-style': readFileSync(join(node.out, 'payments', 'api.json'), 'utf8'),
    'of: CRI-O-style': readFileSync(join(node.out, 'payments', 'api-crio.json'), 'utf8'),
    'built profile': readFileSync(profile, 'utf8'),
    published: readFileSync(join(node.kubelet, 'seccomp-recorder', 'payments', 'api', 'api.json'), 'utf8'),
  }
}

describe('hostile tenants on one node (real kernel, podman)', {timeout: 600_000}, () => {
  before(async () => {
    requireKernelPrerequisites()
    prepareCgroupsForCrun()
    await nativeHelper()
    buildMapFillers(join(rootfs, 'bin'))
  })

  for (const runtime of ['runc', 'crun'] as const) {
    it(`${runtime}: A's recorded, built and published profile is byte-identical with and without B's pods; B is refused at start`, async () => {
      const alone = makeNode(`alone-${runtime}`)
      for (const run of await Promise.all(tenantA(alone, runtime))) assert.equal(run.status, 0, run.stderr)
      const expected = outputsOfA(alone)

      const shared = makeNode(`shared-${runtime}`)
      const attempts = tenantB(shared)
      const bRuns = attempts.map((a) => podmanRun(shared, runtime, a.annotations, 'echo evil'))
      const fillers = tenantBFillers(shared, runtime)
      const aRuns = tenantA(shared, runtime)
      const results = await Promise.all([...aRuns, ...bRuns])
      for (const run of await Promise.all(fillers)) assert.equal(run.status, 0, `a filler failed: ${run.stderr}`)
      // Each filler flags only its own recording: over its nested quota, over its words quota; the abandoned
      // namespaces of the loop were dropped as they died, so that one stays complete.
      assert.deepEqual(
        [1, 2, 3].map((n) => quotaOf(shared, n)),
        ['nested', 'none', 'words'],
      )
      for (const run of results.slice(0, aRuns.length)) assert.equal(run.status, 0, `A failed beside B: ${run.stderr}`)
      results.slice(aRuns.length).forEach((run, i) => {
        assert.notEqual(run.status, 0, `B ${attempts[i]!.what}: its container started`)
        // runc passes the hook's reason on; crun 1.8 drops what hooks print and says only that the hook failed.
        const reason =
          runtime === 'runc' ? attempts[i]!.refusal : /error executing hook .*seccomp-recorder-helper.*exit code: 2/
        assert.match(run.stderr, reason, `B ${attempts[i]!.what}: ${run.stderr}`)
      })
      assert.deepEqual(outputsOfA(shared), expected)
      // Nothing of B reached A: no output in A's part, nothing stored under any of A's names.
      assert.deepEqual(readdirSync(shared.out), ['payments'])
      const stored = readdirSync(join(shared.store, 'recordings')).sort()
      assert.deepEqual(
        stored.filter((name) => !name.startsWith('evil_2F')),
        ['payments_2Fapi_2Fapi'],
      )
      for (const node of [alone, shared]) {
        assert.equal(runCli(['uninstall', '--all'], {env: node.env}).status, 0)
        rmSync(join(node.out), {recursive: true, force: true})
      }
      assert.equal(existsSync(join(shared.out, 'evil')), false)
    })
  }
})
