import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {isUserError} from '../../src/core/errors.js'
import {EXIT} from '../../src/core/exit-codes.js'
import {
  bundleCommand,
  checkPodmanArguments,
  podmanCommand,
  podmanFlagValue,
} from '../../src/container-record/runtime-command.js'
import {bundleConfigForRun, RUN_ANNOTATION} from '../../src/container-record/one-time-hook.js'
import {hooksDConfigs, whenAnnotationIs} from '../../src/oci/hooks-config.js'

const usage = (fn: () => void) =>
  assert.throws(fn, (e: unknown) => isUserError(e) && e.exit === EXIT.USAGE && e.code === 'bad-arguments')

describe('record --podman arguments', () => {
  it('passes the user’s arguments through after ours, unchanged', () => {
    const args = [
      '--storage-driver',
      'vfs',
      '--ulimit',
      'nofile=1024:1024',
      '--rm',
      '--rootfs',
      '/r',
      '/bin/sh',
      '-c',
      'x -d',
    ]
    checkPodmanArguments(args)
    const command = podmanCommand({
      runtime: 'crun',
      hooksDir: '/h',
      cidfile: '/c',
      annotations: {[RUN_ANNOTATION]: 'ab'},
      args,
    })
    assert.deepEqual(command.slice(0, 9), [
      '--runtime',
      'crun',
      '--hooks-dir',
      '/h',
      'run',
      '--cidfile',
      '/c',
      '--annotation',
      `${RUN_ANNOTATION}=ab`,
    ])
    assert.deepEqual(command.slice(9), args)
  })

  it('refuses what defeats a one-run recording: --detach, -d in a cluster, another --hooks-dir, `run`, nothing', () => {
    usage(() => checkPodmanArguments(['-d', '--rootfs', '/r', 'true']))
    usage(() => checkPodmanArguments(['--name', 'x', '-itd', 'img']))
    usage(() => checkPodmanArguments(['--detach', 'img']))
    usage(() => checkPodmanArguments(['--hooks-dir=/etc/containers/oci/hooks.d', 'img']))
    usage(() => checkPodmanArguments(['--hooks-dir', '/x', 'img']))
    usage(() => checkPodmanArguments(['run', 'img']))
    usage(() => checkPodmanArguments([]))
  })

  it('reads only podman’s own flags: a -d of the container’s command is the command’s', () => {
    checkPodmanArguments(['--rm', 'img', 'ls', '-d', '/'])
    assert.equal(podmanFlagValue(['--cidfile', '/x', 'img'], 'cidfile'), '/x')
    assert.equal(podmanFlagValue(['--cidfile=/y', 'img'], 'cidfile'), '/y')
    assert.equal(podmanFlagValue(['img', '--cidfile', '/z'], 'cidfile'), undefined)
  })

  it('a bundle runs with a state directory of its own', () => {
    assert.deepEqual(bundleCommand({stateDir: '/s', bundle: '/b', id: 'i', args: []}), [
      '--root',
      '/s',
      'run',
      '--bundle',
      '/b',
      'i',
    ])
  })
})

describe('the one-time hook', () => {
  it('matches only the run’s annotation value, anchored and taken literally', () => {
    const commands = {prestart: {path: '/h', args: ['h']}, poststop: {path: '/p', args: ['p']}}
    const configs = hooksDConfigs(commands, whenAnnotationIs(RUN_ANNOTATION, 'a.b'))
    assert.deepEqual(configs.prestart.when, {annotations: {'^seccomp-recorder\\.io/run$': '^a\\.b$'}})
    assert.deepEqual(configs.poststop.stages, ['poststop'])
  })

  it('a bundle’s copy gets our hooks and annotations and an absolute root; the user’s hooks stay', () => {
    const user = {
      root: {path: 'rootfs', readonly: true},
      annotations: {keep: 'me'},
      hooks: {prestart: [{path: '/theirs'}]},
    }
    const commands = {prestart: {path: '/h', args: ['h']}, poststop: {path: '/p', args: ['p']}}
    const copy = bundleConfigForRun(user, '/bundles/app', {
      commands,
      annotations: {[RUN_ANNOTATION]: 'v'},
    }) as typeof user & {
      hooks: Record<string, Array<{path: string}>>
    }
    assert.deepEqual(copy.root, {path: '/bundles/app/rootfs', readonly: true})
    assert.deepEqual(copy.annotations, {keep: 'me', [RUN_ANNOTATION]: 'v'})
    assert.deepEqual(
      copy.hooks.prestart!.map((h) => h.path),
      ['/theirs', '/h'],
    )
    assert.deepEqual(
      copy.hooks.poststop!.map((h) => h.path),
      ['/p'],
    )
    assert.deepEqual(user.hooks.prestart, [{path: '/theirs'}], 'the user’s config is not changed')
  })
})
