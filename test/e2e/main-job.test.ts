import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, realpathSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {OUTPUT_SCHEMAS} from '../../src/cli/output-schemas/index.js'
import type {Status} from '../../src/install/doctor.js'
import {REPO_ROOT} from '../helpers/cli.js'
import {requireKernelPrerequisites} from './harness.js'

/**
 * The README's first command, as a newcomer runs it: `bash .ci/setup && npm run main-job` in a HOME of its own and
 * with the PATH as it is (setup puts `seccomp-recorder` on it). The summary's results directory holds what the summary
 * says, and each next step it prints runs as printed. Setup finds node_modules matching the lockfile and dist/ up to
 * date here (npm test built it), so it neither reinstalls nor rebuilds under the running test runner.
 */

const home = mkdtempSync(join(tmpdir(), 'scr-newcomer-home-'))
let results: string | undefined
after(() => {
  rmSync(home, {recursive: true, force: true})
  if (results?.startsWith(join(REPO_ROOT, 'build', 'main-job'))) rmSync(results, {recursive: true, force: true})
})

const env = {...process.env, HOME: home}
const shell = (command: string) =>
  spawnSync('bash', ['-c', command], {cwd: REPO_ROOT, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024})

describe("the README's first command, from setup to the summary's next steps", () => {
  it('runs the main job, keeps its results where it says, and every printed next step works', () => {
    requireKernelPrerequisites()
    const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8')
    const first = /```sh\n(.+?)\s+#/.exec(readme)?.[1]
    assert.equal(first, 'bash .ci/setup && npm run main-job', "README's first command")

    const run = shell(first!)
    const out = `${run.stdout}\n${run.stderr}`
    assert.equal(run.status, 0, out.slice(-4000))
    assert.match(run.stdout, /^setup: seccomp-recorder on the PATH: /m)
    assert.match(run.stdout, /^setup: npm packages: node_modules matches package-lock.json \(npm ci skipped\)$/m)
    assert.equal(
      realpathSync(shell('command -v seccomp-recorder').stdout.trim()),
      join(REPO_ROOT, 'bin', 'run.js'),
      'setup linked this clone',
    )
    assert.equal((run.stdout.match(/^recorded: demo\/web, \d+ syscalls → \S+\.json$/gm) ?? []).length, 3)

    const summary = run.stdout.slice(run.stdout.lastIndexOf('== summary'))
    results = /^results in (\/\S+)$/m.exec(summary)?.[1]
    assert.ok(results, summary)
    assert.match(summary, /store\/recordings\/: 3 containers recorded \(demo\/web\), \d+–\d+ syscalls each/)
    const syscalls = Number(/profile +store\/profiles\/demo_2Fweb\.json: (\d+) syscalls/.exec(summary)?.[1])
    assert.ok(syscalls > 20, summary)
    assert.match(summary, /vs runtime default +removes \d+ of the \d+ syscalls podman's default allows \(\d+\.\d% /)
    assert.match(summary, /published +kubelet\/seccomp\/seccomp-recorder\/demo\/web\.json/)

    assert.equal(readdirSync(join(results, 'store', 'recordings', 'demo_2Fweb')).length, 3)
    const profile = JSON.parse(readFileSync(join(results, 'store', 'profiles', 'demo_2Fweb.json'), 'utf8')) as {
      syscalls: Array<{names: string[]}>
    }
    assert.equal(new Set(profile.syscalls.flatMap((rule) => rule.names)).size, syscalls)
    assert.match(readFileSync(join(results, 'diff-vs-runtime-default.md'), 'utf8'), /\|/)
    assert.ok(existsSync(join(results, 'kubelet', 'seccomp', 'seccomp-recorder', 'demo', 'web.json')))
    assert.equal(existsSync(join(results, 'install.json')), false, 'uninstalled at the end')

    const steps = [...summary.matchAll(/^ {2}\d\. .+\n {5}(.+)$/gm)].map((m) => m[1]!)
    assert.equal(steps.length, 3, summary)
    for (const step of steps) {
      assert.match(step, /^seccomp-recorder /, 'written as it works after setup')
      const ran = shell(step)
      assert.equal(ran.status, 0, `${step}\n${ran.stdout}\n${ran.stderr}`)
    }

    // status: every line that is not ok has a level and says what to do.
    const status = JSON.parse(shell('seccomp-recorder status --json').stdout) as Status
    assert.ok(new Ajv().validate(OUTPUT_SCHEMAS.status!, status))
    for (const check of status.checks.filter((c) => c.level !== 'ok')) assert.ok(check.fix, check.name)
  })
})
