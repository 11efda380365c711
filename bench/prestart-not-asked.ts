/**
 * What the hooks cost a container that asks for no recording. containerd runs them for every CRI container (the
 * base spec has no hooks.d `when` filter), so both must let such a container go at once.
 * - prestart: the native helper's `hook-prestart` (the arguments install gives it) on a containerd OCI state with
 *   containerd's io.kubernetes.cri.* annotations and no recording annotation, vs /bin/true (the floor: one exec);
 * - poststop: the native helper's `hook-poststop` (the hook installs put in config.json and hooks.d, with the
 *   arguments install gives it) on the same state vs /bin/true;
 * - the Node poststop, bin/hook-poststop.js (now only the native poststop's `--fallback`), vs `node -e 0` (the floor:
 *   Node's start), for comparison.
 * Interleaved, median of RUNS (≥ 200) each; it checks that neither hook wrote anything (no spool was created).
 *   Usage: node dist/bench/prestart-not-asked.js [RUNS]   (npm run bench:prestart; no root needed)
 */
import {spawnSync} from 'node:child_process'
import {randomBytes} from 'node:crypto'
import {existsSync, mkdtempSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {helperPath} from '../src/kernel/native-helper.js'
import {PACKAGE_ROOT} from '../src/core/paths.js'

const runs = Math.max(200, Number(process.argv[2] ?? 200))
const work = mkdtempSync(join(tmpdir(), 'scr-bench-not-asked-'))
const spool = join(work, 'spool')
const config = join(work, 'config.yaml')
writeFileSync(config, `outputRoots: [${join(work, 'out')}]\nstore: ${join(work, 'store')}\nspool: ${spool}\n`)

/** A state as runc gives a hook of a containerd CRI container (containerd 1.6: these keys, a 64-hex id). */
function containerdState(): string {
  const id = randomBytes(32).toString('hex')
  const sandbox = randomBytes(32).toString('hex')
  return JSON.stringify({
    ociVersion: '1.0.2-dev',
    id,
    status: 'created',
    pid: process.pid,
    bundle: `/run/containerd/io.containerd.runtime.v2.task/k8s.io/${id}`,
    annotations: {
      'io.kubernetes.cri.container-type': 'container',
      'io.kubernetes.cri.container-name': 'web',
      'io.kubernetes.cri.image-name': 'docker.io/library/nginx:1.25',
      'io.kubernetes.cri.sandbox-id': sandbox,
      'io.kubernetes.cri.sandbox-name': 'web-7c9f8d6b5-abcde',
      'io.kubernetes.cri.sandbox-namespace': 'shop',
      'io.kubernetes.cri.sandbox-uid': '0b7a1c8e-3f0d-4f5e-9a55-5c3f1f0b2d11',
    },
  })
}

const helper = helperPath()
const prestartArgs = ['hook-prestart', '--spool', spool, '--output-root', join(work, 'out'), '--on-error', 'fail']
const nodePoststopJs = join(PACKAGE_ROOT, 'bin', 'hook-poststop.js')
const finaliser = join(PACKAGE_ROOT, 'bin', 'finaliser.js')
const poststopArgs = ['hook-poststop', '--spool', spool, '--finaliser', finaliser, '--fallback', nodePoststopJs]
const env = {...process.env, SECCOMP_RECORDER_CONFIG: config, SECCOMP_RECORDER_HELPER: helper}

function time(command: string, args: string[], input?: string): number {
  const t0 = performance.now()
  const run = spawnSync(command, args, {input, env, encoding: 'utf8'})
  const elapsed = performance.now() - t0
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')} exited ${run.status}: ${run.stderr}`)
  return elapsed
}

const samples = {
  floor: [] as number[],
  prestart: [] as number[],
  poststop: [] as number[],
  node: [] as number[],
  nodePoststop: [] as number[],
}
for (let i = 0; i < runs; i++) {
  const state = containerdState()
  samples.floor.push(time('/bin/true', []))
  samples.prestart.push(time(helper, prestartArgs, state))
  samples.poststop.push(time(helper, poststopArgs, state))
  samples.node.push(time(process.execPath, ['-e', '0']))
  samples.nodePoststop.push(time(process.execPath, [nodePoststopJs], state))
}
if (existsSync(spool)) throw new Error(`a hook touched the spool (${spool}) for a container that asked for nothing`)
rmSync(work, {recursive: true, force: true})

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!
const ms = (x: number) => `${x.toFixed(2)} ms`
const [floor, prestart, poststop, node, nodePoststop] = [
  median(samples.floor),
  median(samples.prestart),
  median(samples.poststop),
  median(samples.node),
  median(samples.nodePoststop),
]
console.log(`containerd state, no recording annotation; median of ${runs} interleaved runs each`)
console.log(
  `prestart  helper hook-prestart ${ms(prestart)}   /bin/true ${ms(floor)}   ratio ${(prestart / floor).toFixed(2)}x   (+${ms(prestart - floor)})`,
)
console.log(
  `poststop  helper hook-poststop ${ms(poststop)}   /bin/true ${ms(floor)}   ratio ${(poststop / floor).toFixed(2)}x   (+${ms(poststop - floor)})`,
)
console.log(
  `fallback  bin/hook-poststop.js (Node) ${ms(nodePoststop)}   node -e 0 ${ms(node)}   ratio ${(nodePoststop / node).toFixed(2)}x   (+${ms(nodePoststop - node)})`,
)
