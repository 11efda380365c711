import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {chmodSync, mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {parse as parseToml} from 'smol-toml'
import {isUserError} from '../../src/core/errors.js'
import {EXIT} from '../../src/core/exit-codes.js'
import {fixture} from '../helpers/cli.js'
import {
  addToContainerdConfig,
  ANNOTATION_PASSTHROUGH,
  BLOCK_BEGIN,
  configLinesToAdd,
  defaultHandler,
  hasOurSettings,
  MAX_CONTAINERD_CONFIG_BYTES,
  readContainerdConfig,
  removeFromContainerdConfig,
  writeContainerdConfig,
} from '../../src/install/containerd.js'

const debian = readFileSync(fixture('containerd', 'debian-12-config.toml'), 'utf8')
const settings = {handler: 'runc', baseSpec: '/etc/seccomp-recorder/containerd-base-spec.json'}
const P = '/etc/containerd/config.toml'
const exitOf = (exit: number, code?: string) => (e: unknown) =>
  isUserError(e) && e.exit === exit && (code === undefined || e.code === code)
const runcTable = (text: string) =>
  JSON.parse(JSON.stringify((parseToml(text) as any).plugins['io.containerd.grpc.v1.cri'].containerd.runtimes.runc))

/** path.Match as containerd 1.6 uses it for pod_annotations: `*` is any run of characters but `/`. */
const pathMatch = (pattern: string, key: string) =>
  new RegExp(`^${pattern.replace(/[.+?^${}()|[\]\\]/g, '\\$&').replaceAll('*', '[^/]*')}$`).test(key)

describe('containerd config lines', () => {
  it('name the base spec and pass our annotation keys, and no containerd key, through', () => {
    assert.equal(
      configLinesToAdd(settings),
      [
        '[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]',
        '  base_runtime_spec = "/etc/seccomp-recorder/containerd-base-spec.json"',
        '  pod_annotations = ["seccomp-recorder.io/*", "io.containers.trace-syscall", "io.containers.trace-syscall/*"]',
        '  container_annotations = ["seccomp-recorder.io/*", "io.containers.trace-syscall", "io.containers.trace-syscall/*"]',
      ].join('\n'),
    )
    const passes = (key: string) => ANNOTATION_PASSTHROUGH.some((p) => pathMatch(p, key))
    for (const key of [
      'seccomp-recorder.io/record',
      'seccomp-recorder.io/runtime-tail',
      'io.containers.trace-syscall',
      'io.containers.trace-syscall/web',
    ])
      assert.ok(passes(key), key)
    for (const key of [
      'io.kubernetes.cri.sandbox-namespace',
      'io.kubernetes.cri.container-name',
      'io.kubernetes.cri-o.ContainerName',
      'io.container.manager',
      'io.containers.trace-syscallx/y',
    ])
      assert.ok(!passes(key), key)
  })

  it('quote a handler name that is not a bare key, and a path with quotes', () => {
    assert.match(
      configLinesToAdd({handler: 'my.runc', baseSpec: '/a "b"/s.json'}),
      /runtimes\."my\.runc"\]\n {2}base_runtime_spec = "\/a \\"b\\"\/s\.json"/,
    )
  })

  it("take containerd's default_runtime_name as the handler", () => {
    assert.equal(defaultHandler(parseToml(debian) as Record<string, unknown>), 'runc')
    assert.equal(
      defaultHandler(
        parseToml(
          'version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  default_runtime_name = "crun"\n',
        ) as Record<string, unknown>,
      ),
      'crun',
    )
  })
})

describe('editing a containerd config', () => {
  it("adds a new handler table to Debian's config, keeps every other byte, and uninstall gives the file back", () => {
    const {text, edit} = addToContainerdConfig(debian, settings, P)
    assert.ok(text.startsWith(debian), 'appended: the user text is untouched')
    assert.equal(edit.createdTable, true)
    assert.deepEqual(runcTable(text), {
      runtime_type: 'io.containerd.runc.v2',
      base_runtime_spec: settings.baseSpec,
      pod_annotations: [...ANNOTATION_PASSTHROUGH],
      container_annotations: [...ANNOTATION_PASSTHROUGH],
    })
    assert.ok(hasOurSettings(parseToml(text) as Record<string, unknown>, settings))
    assert.equal(removeFromContainerdConfig(text, edit), debian)
  })

  it('is idempotent: a second add changes nothing, and a changed base spec path replaces our block', () => {
    const first = addToContainerdConfig(debian, settings, P)
    const second = addToContainerdConfig(first.text, settings, P, first.edit)
    assert.equal(second.text, first.text)
    assert.equal(second.edit.block, first.edit.block)
    const moved = addToContainerdConfig(first.text, {...settings, baseSpec: '/opt/spec.json'}, P, first.edit)
    assert.equal(moved.text.split(BLOCK_BEGIN).length, 2, 'one block')
    assert.equal(runcTable(moved.text).base_runtime_spec, '/opt/spec.json')
    assert.equal(removeFromContainerdConfig(moved.text, moved.edit), debian)
  })

  it("inserts into an existing handler table after its header, keeping the user's settings and comments", () => {
    const user = `# my node\nversion = 2\n\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n  runtime_type = "io.containerd.runc.v2"\n  # keep me\n  [plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc.options]\n    SystemdCgroup = true\n`
    const {text, edit} = addToContainerdConfig(user, settings, P)
    assert.equal(edit.createdTable, false)
    assert.match(text, /# keep me/)
    const table = runcTable(text)
    assert.deepEqual(table.options, {SystemdCgroup: true})
    assert.equal(table.runtime_type, 'io.containerd.runc.v2')
    assert.equal(table.base_runtime_spec, settings.baseSpec)
    assert.equal(removeFromContainerdConfig(text, edit), user)
  })

  it('configures the handler asked for (another runtime class) and leaves runc alone', () => {
    const {text} = addToContainerdConfig(debian, {...settings, handler: 'recorded'}, P)
    const runtimes = (parseToml(text) as any).plugins['io.containerd.grpc.v1.cri'].containerd.runtimes
    assert.deepEqual(Object.keys(runtimes), ['recorded'])
  })

  it('refuses a handler with a base spec of its own (CONFLICT), and one that sets our keys (REFUSED)', () => {
    const own = `version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n  base_runtime_spec = "/etc/theirs.json"\n`
    assert.throws(() => addToContainerdConfig(own, settings, P), exitOf(EXIT.CONFLICT, 'conflict'))
    const annotations = `version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd.runtimes.runc]\n  pod_annotations = ["example.com/*"]\n`
    assert.throws(
      () => addToContainerdConfig(annotations, settings, P),
      (e: unknown) =>
        exitOf(EXIT.REFUSED, 'containerd-config-refused')(e) &&
        (e as {suggestions: string[]}).suggestions.join('\n').includes('base_runtime_spec'),
    )
  })

  it('refuses a handler declared by dotted keys or an inline table, and configs that are not version 2', () => {
    const inline = `version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  runtimes = {runc = {runtime_type = "io.containerd.runc.v2"}}\n`
    assert.throws(() => addToContainerdConfig(inline, settings, P), exitOf(EXIT.REFUSED, 'containerd-config-refused'))
    const dotted = `version = 2\n[plugins."io.containerd.grpc.v1.cri".containerd]\n  runtimes.runc.runtime_type = "io.containerd.runc.v2"\n`
    assert.throws(() => addToContainerdConfig(dotted, settings, P), exitOf(EXIT.REFUSED, 'containerd-config-refused'))
    for (const version of ['', 'version = 1\n', 'version = 3\n'])
      assert.throws(
        () => addToContainerdConfig(`${version}[plugins]\n`, settings, P),
        exitOf(EXIT.REFUSED, 'containerd-config-refused'),
        version,
      )
  })

  it('refuses TOML that does not parse, with its line (exit 2)', () => {
    assert.throws(
      () => addToContainerdConfig('version = 2\n[plugins\n', settings, P),
      (e: unknown) => exitOf(EXIT.USAGE, 'containerd-config-invalid')(e) && /line 2/.test((e as Error).message),
    )
  })

  it('uninstall takes out only our block, and nothing when it was changed by hand', () => {
    const {text, edit} = addToContainerdConfig(debian, settings, P)
    const userAddedAfter = `${text}[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n`
    assert.equal(
      removeFromContainerdConfig(userAddedAfter, edit),
      `${debian}[plugins."io.containerd.grpc.v1.cri".registry]\n  config_path = "/etc/containerd/certs.d"\n`,
    )
    assert.equal(
      removeFromContainerdConfig(text.replace('io.containers.trace-syscall/*"]\n# END', 'x"]\n# END'), edit),
      undefined,
    )
  })
})

describe('reading and writing the containerd config file', () => {
  const dir = mkdtempSync(join(tmpdir(), 'scr-containerd-unit-'))
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('reads a regular file; refuses a symlink to write through (exit 3) but reads through it', async () => {
    const file = join(dir, 'config.toml')
    writeFileSync(file, debian)
    const link = join(dir, 'link.toml')
    symlinkSync(file, link)
    assert.equal((await readContainerdConfig(link, {forWrite: false})).text, debian)
    await assert.rejects(readContainerdConfig(link, {forWrite: true}), exitOf(EXIT.REFUSED, 'symlink'))
  })

  it('refuses a FIFO, a device, a directory and a file over 1 MiB (exit 2), none opened for long', async () => {
    const fifo = join(dir, 'fifo')
    assert.equal(spawnSync('mkfifo', [fifo]).status, 0)
    const device = join(dir, 'null-device')
    assert.equal(spawnSync('mknod', ['-m', '666', device, 'c', '1', '3']).status, 0, 'mknod in the temp dir (root)')
    const huge = join(dir, 'huge.toml')
    writeFileSync(huge, `version = 2\n#${'x'.repeat(MAX_CONTAINERD_CONFIG_BYTES)}\n`)
    for (const path of [fifo, device, dir, huge]) {
      for (const forWrite of [false, true])
        await assert.rejects(readContainerdConfig(path, {forWrite}), exitOf(EXIT.USAGE), path)
    }
    await assert.rejects(
      readContainerdConfig(join(dir, 'missing.toml'), {forWrite: true}),
      exitOf(EXIT.USAGE, 'no-such-file'),
    )
  })

  it('writes atomically with the former mode', async () => {
    const file = join(dir, 'mode.toml')
    writeFileSync(file, debian)
    chmodSync(file, 0o600)
    const read = await readContainerdConfig(file, {forWrite: true})
    await writeContainerdConfig(file, addToContainerdConfig(read.text, settings, file).text, read)
    assert.equal(statSync(file).mode & 0o777, 0o600)
    assert.ok(hasOurSettings(parseToml(readFileSync(file, 'utf8')) as Record<string, unknown>, settings))
  })
})
