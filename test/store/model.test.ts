import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {readFileSync} from 'node:fs'
import {join} from 'node:path'
import {incompleteReasons} from '../../src/store/incomplete.js'
import {createRecording, isIncomplete, newRecordingId, RECORDING_ID, validateRecording} from '../../src/store/model.js'
import {REPO_ROOT} from '../helpers/cli.js'
import {makeRecording} from './helpers/recordings.js'
import {KERNEL_QUOTAS} from '../../src/kernel/quotas.js'
import type {KernelTarget} from '../../src/kernel/native-helper.js'

describe('Recording', () => {
  it('createRecording fills in id, arch, kernel and sorts names', () => {
    const r = createRecording({
      source: 'record',
      name: 'tools/ls',
      runtime: 'record',
      set: {names: {x86_64: ['write', 'read', 'read']}, unknown: [{abi: 'x86_64', nr: 1000}]},
      startedAt: new Date('2026-05-01T10:00:00Z'),
      endedAt: new Date('2026-05-01T10:00:01.5Z'),
      command: ['ls', '-l'],
      exitCode: 0,
    })
    assert.match(r.id, RECORDING_ID)
    assert.match(r.id, /^20260501T100001500Z-[0-9a-f]{12}$/)
    assert.match(r.arch, /^SCMP_ARCH_/)
    assert.deepEqual(r.syscalls, {x86_64: ['read', 'write']})
    assert.deepEqual(r.container, {id: null, name: '', pod: null, namespace: null, workload: null})
    assert.equal(validateRecording(r).valid, true)
  })

  it('ids are unique, file-safe and sort by time', () => {
    const ids = new Set<string>()
    for (let i = 0; i < 5000; i++) ids.add(newRecordingId(new Date(2026, 0, 1), 'abc/def:ghi'))
    assert.equal(ids.size, 5000)
    for (const id of ids) assert.match(id, RECORDING_ID)
    assert.ok(newRecordingId(new Date('2026-01-01T00:00:00Z')) < newRecordingId(new Date('2026-01-01T00:00:01Z')))
  })

  it('a quota reached makes the recording incomplete, with the quota named; none reached keeps it out', () => {
    const base = {
      source: 'record' as const,
      name: 'tools/x',
      runtime: 'record',
      set: {names: {x86_64: ['read']}, unknown: []},
      startedAt: new Date(),
      endedAt: new Date(),
    }
    const complete = createRecording({...base, quota: {nested: 0, words: 0}})
    assert.equal(complete.quota, undefined)
    assert.equal(isIncomplete(complete), false)
    const flagged = createRecording({...base, quota: {nested: 3, words: 0}})
    assert.deepEqual(flagged.quota, {nested: 3, words: 0})
    assert.equal(validateRecording(flagged).valid, true)
    assert.equal(isIncomplete(flagged), true)
    assert.deepEqual(incompleteReasons(flagged), [
      `it reached its quota of ${KERNEL_QUOTAS.nestedNamespaces} live nested mount namespaces: 3 more were not followed (their syscalls are missing)`,
    ])
    assert.match(
      incompleteReasons({lost: 0, quota: {nested: 0, words: 7}}).join(),
      /quota of 256 syscall numbers no ABI has: 7 more such calls were not stored/,
    )
  })

  it("the quotas named to users are the kernel recorder's (bpf/recorder.h)", () => {
    const header = readFileSync(join(REPO_ROOT, 'bpf', 'recorder.h'), 'utf8')
    const define = (name: string) => Number(new RegExp(`#define ${name} (\\d+)`).exec(header)?.[1])
    assert.equal(KERNEL_QUOTAS.nestedNamespaces, define('SCR_NESTED_QUOTA'))
    assert.equal(KERNEL_QUOTAS.unknownNumbers, define('SCR_WORDS_QUOTA') * 64)
  })

  it('rejects documents that are not recordings, saying where', () => {
    const good = makeRecording({})
    const cases: Array<[string, unknown, RegExp]> = [
      ['not an object', [], /must be object/],
      ['unknown key', {...good, extra: 1}, /unknown property "extra"/],
      ['future version', {...good, version: 2}, /\/version: must be 1/],
      ['id with a path', {...good, id: '../x'}, /\/id: must match pattern/],
      ['bad source', {...good, source: 'magic'}, /\/source/],
      ['bad time', {...good, endedAt: 'yesterday'}, /\/endedAt/],
      ['impossible time', {...good, endedAt: '2026-13-45T99:00:00Z'}, /\/endedAt: not a real date/],
      ['unsorted names', {...good, syscalls: {x86_64: ['write', 'read']}}, /sorted and unique/],
      ['duplicate names', {...good, syscalls: {x86_64: ['read', 'read']}}, /sorted and unique/],
      ['unknown ABI', {...good, syscalls: {mips: ['read']}}, /unknown property "mips"/],
      ['__proto__ as a syscall name', {...good, syscalls: {x86_64: ['__proto__']}}, /pattern/],
      ['empty name segment', {...good, name: 'a//b'}, /\/name: .*empty segments/],
      ['missing container field', {...good, container: {name: 'x'}}, /missing property "id"/],
      ['negative lost', {...good, lost: -1}, /\/lost/],
      ['quota without words', {...good, quota: {nested: 1}}, /\/quota: missing property "words"/],
      ['negative quota', {...good, quota: {nested: -1, words: 0}}, /\/quota\/nested/],
    ]
    for (const [what, document, pattern] of cases) {
      const check = validateRecording(document)
      assert.equal(check.valid, false, what)
      assert.match(check.errors.join('\n'), pattern, what)
    }
  })

  describe('arguments (issue 15)', () => {
    const helperRead = JSON.parse(
      readFileSync(join(REPO_ROOT, 'fixtures', 'arguments', 'helper-read.json'), 'utf8'),
    ) as KernelTarget
    const natives = ['clone', 'ioctl', 'personality', 'prctl', 'read', 'setns', 'socket', 'unshare', 'write']
    const withArguments = (names: string[] = natives) =>
      createRecording({
        source: 'record',
        name: 'tools/args',
        runtime: 'record',
        set: {names: {x86_64: names, x86: ['socketcall']}, unknown: []},
        arguments: helperRead.args,
        startedAt: new Date('2026-05-01T10:00:00Z'),
        endedAt: new Date('2026-05-01T10:00:01Z'),
      })

    it("createRecording keeps the kernel's args as arguments, overflow included, and they validate", () => {
      const r = withArguments()
      assert.deepEqual(Object.keys(r.arguments!), [
        'clone',
        'ioctl',
        'personality',
        'prctl',
        'setns',
        'socket',
        'unshare',
      ])
      assert.deepEqual(r.arguments!.socket, helperRead.args!.socket)
      assert.equal(r.arguments!.ioctl!.overflow, true)
      assert.equal(validateRecording(JSON.parse(JSON.stringify(r))).valid, true)
    })

    it('keeps only syscalls made on x86_64 (absent when none): a syscall without arguments is allowed by name', () => {
      assert.deepEqual(Object.keys(withArguments(['read', 'socket']).arguments!), ['socket'])
      assert.equal(withArguments(['read']).arguments, undefined)
      assert.equal('arguments' in makeRecording({}), false)
    })

    it('refuses hostile and oversized arguments, saying where', () => {
      const good = withArguments()
      const socket = good.arguments!.socket!
      const hostile = JSON.parse(
        readFileSync(join(REPO_ROOT, 'fixtures', 'arguments', 'hostile-args.json'), 'utf8'),
      ) as Record<string, unknown>
      for (const [what, args] of Object.entries(hostile)) {
        const check = validateRecording({...good, arguments: args})
        assert.equal(check.valid, false, what)
        assert.match(check.errors.join('\n'), /\/arguments/, what)
      }
      const cases: Array<[string, unknown, RegExp]> = [
        ['a syscall not made', {...socket}, /\/arguments\/mount: not in \/syscalls\/x86_64/],
        ['a huge value string', {...socket, values: [['1'.repeat(100_000), '1']]}, /must NOT have more than 20/],
        ['2^64 exactly', {...socket, values: [['18446744073709551616', '1']]}, /\/arguments\/mount|decimal u64 string/],
      ]
      for (const [what, recorded, pattern] of cases) {
        const check = validateRecording({...good, arguments: {...good.arguments, mount: recorded}})
        assert.equal(check.valid, false, what)
        assert.match(check.errors.join('\n'), pattern, what)
      }
      const many = Array.from({length: 2000}, (_, i) => [String(i), '1'])
      const check = validateRecording({...good, arguments: {...good.arguments, socket: {...socket, values: many}}})
      assert.match(check.errors.join('\n'), /\/arguments\/socket\/values: must NOT have more than 1024 items/)
    })
  })
})
