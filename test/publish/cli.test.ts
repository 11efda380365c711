import assert from 'node:assert/strict'
import {spawn, spawnSync} from 'node:child_process'
import {chmodSync, chownSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {describe, it} from 'node:test'
import {Ajv} from 'ajv'
import {parseAllDocuments} from 'yaml'
import {EXIT} from '../../src/core/exit-codes.js'
import {ERROR_OUTPUT_SCHEMA} from '../../src/cli/output-schemas/common.js'
import {PUBLISH_OUTPUT, PUBLISHED_LIST_OUTPUT, UNPUBLISH_OUTPUT} from '../../src/cli/output-schemas/publish.js'
import {MANIFEST_FILE, type Manifest} from '../../src/publish/manifest.js'
import {REPO_ROOT, runCli} from '../helpers/cli.js'
import {inParallel, runCliAsync, snapshot, tempDir} from './helpers.js'

const ajv = new Ajv({allErrors: true, strict: false})
const ALLOW = 'fixtures/publish/busybox-allow.json'
const DENY = 'fixtures/publish/busybox-deny-uname-mkdir.json'

function json(args: string[], schema: object, status: number = EXIT.OK): any {
  const run = runCli(args)
  assert.equal(run.status, status, `${args.join(' ')}: ${run.stderr}${run.stdout}`)
  const output = JSON.parse(run.stdout) as unknown
  assert.ok(ajv.validate(schema, output), `${args.join(' ')}: ${ajv.errorsText()}`)
  return output
}

async function jsonAsync(args: string[], schema: object, status: number = EXIT.OK): Promise<any> {
  const run = await runCliAsync(args)
  assert.equal(run.status, status, `${args.join(' ')}: ${run.stderr}${run.stdout}`)
  const output = JSON.parse(run.stdout) as unknown
  assert.ok(ajv.validate(schema, output), `${args.join(' ')}: ${ajv.errorsText()}`)
  return output
}

describe('publish, published list, unpublish from the CLI', () => {
  it('prints only JSON matching their schemas (the runs proposed for test/cli/cli.test.ts included)', async () => {
    // The JSON_RUNS proposed for the shared CLI test: read-only, against the repository's fixtures.
    const fixtureRoot = snapshot(join(REPO_ROOT, 'fixtures/publish/root'))
    const [dry, k8s, list] = await Promise.all([
      jsonAsync(
        [
          'publish',
          '--json',
          '--dry-run',
          '--root',
          'fixtures/publish/root',
          '--prefix',
          'sr',
          '--name',
          'team/app/web',
          ALLOW,
        ],
        PUBLISH_OUTPUT,
      ),
      jsonAsync(['publish', '--json', '--kubernetes', '--prefix', 'sr', ALLOW, DENY], PUBLISH_OUTPUT),
      jsonAsync(['published', 'list', '--json', '--root', 'fixtures/publish/root'], PUBLISHED_LIST_OUTPUT),
      jsonAsync(
        ['unpublish', '--json', '--dry-run', '--root', 'fixtures/publish/root', 'sr/team/app/web.json'],
        UNPUBLISH_OUTPUT,
      ),
    ])
    assert.equal(dry.profiles[0].action, 'unchanged')
    assert.equal(parseAllDocuments(k8s.kubernetes.yaml).length, 2)
    assert.deepEqual(
      list.profiles.map((p: {localhostProfile: string; status: string}) => [p.localhostProfile, p.status]),
      [
        ['sr/busybox-deny-uname-mkdir.json', 'ok'],
        ['sr/team/app/web.json', 'ok'],
      ],
    )
    assert.deepEqual(snapshot(join(REPO_ROOT, 'fixtures/publish/root')), fixtureRoot, 'the fixture root is untouched')

    // And the real thing, in a scratch root.
    const root = join(tempDir(), 'seccomp')
    const created = json(
      ['publish', '--json', '--root', root, '--prefix', 'sr', '--name', 'team/app/web', ALLOW],
      PUBLISH_OUTPUT,
    )
    assert.equal(created.profiles[0].action, 'create')
    assert.deepEqual(created.profiles[0].securityContext, {
      seccompProfile: {type: 'Localhost', localhostProfile: 'sr/team/app/web.json'},
    })
    const [again, listed] = await Promise.all([
      jsonAsync(
        ['publish', '--json', '--root', root, '--prefix', 'sr', '--name', 'team/app/web', ALLOW],
        PUBLISH_OUTPUT,
      ),
      jsonAsync(['published', 'list', '--json', '--root', root], PUBLISHED_LIST_OUTPUT),
    ])
    assert.equal(again.profiles[0].action, 'unchanged')
    assert.equal(listed.profiles.length, 1)
    assert.equal(
      json(['unpublish', '--json', '--root', root, '--prefix', 'sr', 'team/app/web'], UNPUBLISH_OUTPUT).profiles[0]
        .action,
      'removed',
    )
    assert.deepEqual(json(['published', 'list', '--json', '--root', root], PUBLISHED_LIST_OUTPUT).profiles, [])
  })

  it('prints the localhostProfile and a securityContext to paste, honouring NO_COLOR', () => {
    const root = tempDir()
    const run = runCli(['publish', '--root', root, '--prefix', 'seccomp-recorder', '--name', 'team/app/web', ALLOW], {
      env: {NO_COLOR: '1', FORCE_COLOR: '1'},
    })
    assert.equal(run.status, EXIT.OK, run.stderr)
    assert.match(run.stdout, /^created {2}seccomp-recorder\/team\/app\/web\.json → /m)
    assert.ok(
      run.stdout.includes(
        '  securityContext:\n    seccompProfile:\n      type: Localhost\n      localhostProfile: seccomp-recorder/team/app/web.json',
      ),
      run.stdout,
    )
    assert.doesNotMatch(run.stdout, /\u001b\[/)
  })

  it('publishes into <kubelet --root-dir>/seccomp with --kubelet-root-dir', () => {
    const kubelet = tempDir()
    const out = json(['publish', '--json', '--kubelet-root-dir', kubelet, ALLOW], PUBLISH_OUTPUT)
    assert.equal(out.root, join(kubelet, 'seccomp'))
    assert.ok(existsSync(join(kubelet, 'seccomp', 'busybox-allow.json')))
    assert.equal(runCli(['publish', '--root', kubelet, '--kubelet-root-dir', kubelet, ALLOW]).status, EXIT.USAGE)
  })

  it('refuses hostile names and symlinked prefixes with exit REFUSED, writing nothing', async () => {
    const base = tempDir()
    const root = join(base, 'seccomp')
    mkdirSync(join(base, 'elsewhere'))
    mkdirSync(root)
    symlinkSync(join(base, 'elsewhere'), join(root, 'linked'))
    const before = snapshot(base)
    const hostile: string[][] = [
      ['--name', '../x'],
      ['--name', '../../etc/cron.d/x'],
      ['--name', '/etc/x'],
      ['--name', 'x'.repeat(4096)],
      ['--name', `${'d/'.repeat(2048)}x`],
      ['--name', 'a/./b'],
      ['--name', 'sp ace'],
      ['--prefix', '../up'],
      ['--prefix', '/abs'],
      ['--prefix', 'linked'],
      ['--name', 'linked/web'],
      ['--prefix', 'ok', '--name', '.seccomp-recorder-published'],
    ]
    const runs = await inParallel(
      hostile.map((args) => () => runCliAsync(['publish', '--json', '--root', root, ...args, ALLOW])),
    )
    for (const [i, run] of runs.entries()) {
      const args = hostile[i]!
      assert.equal(run.status, EXIT.REFUSED, `${args.join(' ').slice(0, 80)}: ${run.stdout.slice(0, 300)}`)
      const output = JSON.parse(run.stdout) as {error: {message: string}}
      assert.ok(ajv.validate(ERROR_OUTPUT_SCHEMA, output), ajv.errorsText())
      assert.ok(output.error.message.length < 600, 'the message stays readable even for a 4 KiB name')
    }
    assert.deepEqual(snapshot(base), before)
    // Human output: a message, no stack trace.
    const run = runCli(['publish', '--root', root, '--name', '../x', ALLOW])
    assert.match(run.stderr, /^Error: the profile name "\.\.\/x" contains "\.\."/)
    assert.doesNotMatch(run.stderr, /\n\s+at .*\.js:\d+/)
  })

  it('exits CONFLICT on a foreign file, replaces it with --force and says where the backup is', () => {
    const root = tempDir()
    writeFileSync(join(root, 'busybox-allow.json'), '{"defaultAction":"SCMP_ACT_ALLOW"}\n')
    const conflict = runCli(['publish', '--root', root, ALLOW])
    assert.equal(conflict.status, EXIT.CONFLICT)
    assert.match(conflict.stderr, /was not published by seccomp-recorder/)
    assert.match(conflict.stderr, /try: Add --force/)
    const forced = runCli(['publish', '--root', root, '--force', ALLOW])
    assert.equal(forced.status, EXIT.OK, forced.stderr)
    assert.match(forced.stdout, /^replaced/m)
    assert.match(forced.stdout, /kept as .*busybox-allow\.json\.bak-\d{8}T\d{6}Z/)
  })

  it('refuses docker-format profiles (REFUSED) and invalid ones (USAGE); usage errors exit USAGE', async () => {
    const root = tempDir()
    const cases: Array<[string[], number, RegExp?]> = [
      [['publish', '--root', root, 'profiles/runtime-default/moby-default.json'], EXIT.REFUSED, /docker\/moby-format/],
      [
        ['publish', '--root', root, 'fixtures/profiles/invalid/truncated.json'],
        EXIT.USAGE,
        /is not a valid seccomp profile/,
      ],
      [['publish', '--root', root, 'fixtures/nope.json'], EXIT.USAGE, /no such file/],
      [['publish', '--root', root, '--output', '-', ALLOW], EXIT.USAGE, /--output only applies with --kubernetes/],
      [['publish', '--kubernetes', '--force', ALLOW], EXIT.USAGE, /--force only applies/],
      [['publish', '--kubernetes', '--resource-name', 'Bad_Name', ALLOW], EXIT.USAGE, /DNS label/],
      [['publish', '--kubernetes', '--kubelet-root-dir', 'relative/kubelet', ALLOW], EXIT.USAGE, /absolute path/],
      [['publish', '--root', root, '--name', 'x', ALLOW, DENY], EXIT.USAGE, /--name names one profile/],
      [['publish'], EXIT.USAGE],
      [['unpublish', '--root', root, 'never-published'], EXIT.REFUSED, /not published into/],
    ]
    const runs = await inParallel(
      cases.map(
        ([args]) =>
          () =>
            runCliAsync(args),
      ),
    )
    for (const [i, run] of runs.entries()) {
      const [args, status, pattern] = cases[i]!
      assert.equal(run.status, status, `${args.join(' ')}: ${run.stderr}`)
      if (pattern) assert.match(run.stderr, pattern, args.join(' '))
    }
    assert.deepEqual(snapshot(root), {'.': 'dir 700'})
  })

  it('--kubernetes writes YAML to stdout (summary on stderr) or into --output DIR', () => {
    const piped = runCli(['publish', '--kubernetes', ALLOW])
    assert.equal(piped.status, EXIT.OK, piped.stderr)
    assert.deepEqual(
      parseAllDocuments(piped.stdout).map((d) => (d.toJS() as {kind: string}).kind),
      ['ConfigMap', 'DaemonSet'],
    )
    assert.match(piped.stderr, /DaemonSet kube-system\/seccomp-recorder-profiles/)
    const dir = join(tempDir(), 'manifests')
    const written = runCli([
      'publish',
      '--kubernetes',
      '--output',
      dir,
      '--namespace',
      'security',
      '--resource-name',
      'team-profiles',
      ALLOW,
    ])
    assert.equal(written.status, EXIT.OK, written.stderr)
    const docs = parseAllDocuments(readFileSync(join(dir, 'team-profiles.yaml'), 'utf8')).map(
      (d) => d.toJS() as {metadata: {namespace: string}},
    )
    assert.deepEqual(
      docs.map((d) => d.metadata.namespace),
      ['security', 'security'],
    )
    assert.match(written.stdout, /kubectl apply -f .*team-profiles\.yaml/)
  })

  it('loses no manifest entry when publishers run concurrently', async () => {
    const root = tempDir()
    const names = Array.from({length: 6}, (_, i) => `team/w${i}`)
    const runs = names.map(
      (name) =>
        new Promise<number>((done) => {
          const child = spawn(
            process.execPath,
            [join(REPO_ROOT, 'bin', 'run.js'), 'publish', '--root', root, '--name', name, ALLOW],
            {cwd: REPO_ROOT, stdio: 'ignore'},
          )
          child.on('exit', (code) => done(code ?? -1))
        }),
    )
    assert.deepEqual(
      await Promise.all(runs),
      names.map(() => 0),
    )
    const manifest = JSON.parse(readFileSync(join(root, MANIFEST_FILE), 'utf8')) as Manifest
    assert.deepEqual(Object.keys(manifest.profiles).sort(), names.map((n) => `${n}.json`).sort())
  })

  it('reports a seccomp root it may not write to as a missing prerequisite (exit 4)', () => {
    const root = tempDir()
    chmodSync(root, 0o755)
    const args = [join(REPO_ROOT, 'bin', 'run.js'), 'publish', '--root', join(root, 'seccomp'), join(REPO_ROOT, ALLOW)]
    // As root, run the CLI as nobody (root could write anywhere); otherwise make the directory read-only.
    const asRoot = process.getuid?.() === 0
    if (asRoot) chownSync(root, 0, 0)
    else chmodSync(root, 0o555)
    const run = spawnSync(process.execPath, args, {
      cwd: '/',
      encoding: 'utf8',
      env: {...process.env, NO_COLOR: '1', HOME: '/tmp'},
      ...(asRoot ? {uid: 65534, gid: 65534} : {}),
    })
    assert.equal(run.status, EXIT.PREREQUISITE, run.stderr)
    assert.match(run.stderr, /permission denied/)
    assert.match(run.stderr, /run as root, or publish into a directory you own with --root/)
  })
})
