import assert from 'node:assert/strict'
import {describe, it} from 'node:test'
import {buildProvenance} from '../../src/aggregate/provenance.js'
import {aggregate} from '../../src/aggregate/aggregate.js'
import {explainSyscall} from '../../src/aggregate/why.js'
import {createRecording, type Recording} from '../../src/store/model.js'
import {formatCoverageJson, parseCoverage, PROVENANCE_REFS, PROVENANCE_RUNS} from '../../src/store/coverage.js'
import {profileFromSyscalls} from '../../src/profile/from-syscalls.js'

function run(i: number, names: string[], extra: Partial<Parameters<typeof createRecording>[0]> = {}): Recording {
  return createRecording({
    id: `run-${String(i).padStart(5, '0')}`,
    source: 'hook',
    name: 'team/web',
    runtime: i % 2 ? 'runc' : 'crun',
    container: {id: `c${i}`, name: 'web', pod: `web-${i}`, namespace: 'team'},
    set: {names: {x86_64: names}, unknown: []},
    startedAt: new Date(Date.UTC(2026, 0, 1, 0, 0, i)),
    endedAt: new Date(Date.UTC(2026, 0, 1, 0, 1, i)),
    ...extra,
  })
}

describe('buildProvenance', () => {
  it('names, newest first, the runs that saw each syscall, with when, who, runtime and label', () => {
    const p = buildProvenance([
      run(1, ['read', 'write'], {label: 'e2e/a'}),
      run(2, ['read', 'ptrace'], {label: 'e2e/b'}),
    ])
    const labels = (name: string) => p.syscalls[name]!.map((i) => p.runs[i]!.label)
    assert.deepEqual(labels('read'), ['e2e/b', 'e2e/a'])
    assert.deepEqual(labels('ptrace'), ['e2e/b'])
    assert.deepEqual(labels('write'), ['e2e/a'])
    const b = p.runs[p.syscalls.ptrace![0]!]!
    assert.deepEqual(
      {pod: b.pod, namespace: b.namespace, runtime: b.runtime, recording: b.recording, endedAt: b.endedAt},
      {pod: 'web-2', namespace: 'team', runtime: 'crun', recording: 'run-00002', endedAt: '2026-01-01T00:01:02.000Z'},
    )
    assert.equal(p.cut, undefined)
  })

  it('does not depend on the order the recordings come in', () => {
    const rs = [run(1, ['read']), run(2, ['read', 'open']), run(3, ['close'])]
    assert.deepEqual(buildProvenance(rs), buildProvenance([...rs].reverse()))
  })

  it('keeps at most PROVENANCE_REFS runs per syscall and PROVENANCE_RUNS in all, rare syscalls first', () => {
    const rs = Array.from({length: 2 * PROVENANCE_RUNS}, (_, i) =>
      run(i, [`read`, `s${i}`.replace(/[0-9]/g, (d) => 'abcdefghij'[+d]!)]),
    )
    const rare = run(99_999, ['ptrace'])
    const p = buildProvenance([...rs, rare])
    assert.ok(p.runs.length <= PROVENANCE_RUNS)
    assert.equal(p.syscalls.read!.length, PROVENANCE_REFS)
    assert.deepEqual(
      p.syscalls.ptrace!.map((i) => p.runs[i]!.recording),
      ['run-99999'],
      'a rare syscall keeps its run',
    )
    assert.ok(p.cut?.includes('read'))
    // It is written and read back within the sidecar's schema and size bound.
    const text = formatCoverageJson({recordings: rs.length + 1, syscalls: {read: rs.length}, provenance: p})
    assert.ok(text.length < 1024 * 1024, `sidecar of ${text.length} bytes`)
    assert.deepEqual(parseCoverage(text)?.provenance, p)
  })

  it('cuts long commands and keeps argument tuples (recordings with `arguments`, issue 15)', () => {
    const r = run(1, ['socket'], {command: ['sh', '-c', 'x'.repeat(1000)]}) as Recording & {arguments?: unknown}
    r.arguments = {
      socket: {
        positions: [{index: 0}, {index: 1}],
        values: [
          ['2', '1'],
          ['10', '2'],
        ],
      },
    }
    const p = buildProvenance([r, run(2, ['socket'])])
    assert.equal(p.runs.find((x) => x.recording === 'run-00001')!.command!.length, 256)
    assert.deepEqual(Object.keys(p.arguments!.socket!), ['10,2', '2,1'])
    assert.equal(p.runs[p.arguments!.socket!['2,1']![0]!]!.recording, 'run-00001')
  })

  it('a sidecar whose provenance is out of bounds is not a coverage file', () => {
    const p = buildProvenance([run(1, ['read'])])
    const bad = {...p, syscalls: {read: [0, 1, 2, 3, 4, 5]}}
    assert.equal(parseCoverage(JSON.stringify({recordings: 1, syscalls: {read: 1}, provenance: bad})), null)
    const hostile = {...p, runs: [{...p.runs[0]!, label: 'x'.repeat(200)}]}
    assert.equal(parseCoverage(JSON.stringify({recordings: 1, syscalls: {read: 1}, provenance: hostile})), null)
  })
})

describe('explainSyscall (profiles why)', () => {
  const rs = [run(1, ['read'], {label: 'e2e/a'}), run(2, ['read', 'uname'], {label: 'e2e/b'})]
  const built = aggregate(rs)
  const coverage = {...built.coverage, provenance: built.provenance}
  const ask = (syscall: string, profile = built.profile, cov: typeof coverage | null = coverage) =>
    explainSyscall({profile, coverage: cov, syscall, label: 'team/web', path: 'x.json'})

  it('names the run and label of a syscall one run made', () => {
    const a = ask('uname')
    assert.equal(a.allowed, true)
    assert.deepEqual([a.recordings, a.seenBy], [2, 1])
    assert.deepEqual(
      a.runs.map((r) => r.label),
      ['e2e/b'],
    )
    assert.equal(a.note, null)
  })

  it('says so when the profile does not allow it, or allows it without a run', () => {
    assert.equal(ask('ptrace').allowed, false)
    assert.match(ask('ptrace').note!, /does not allow/)
    const wider = profileFromSyscalls({names: {x86_64: ['read', 'uname', 'ptrace']}, unknown: []})
    assert.match(ask('ptrace', wider).note!, /base profile/)
    assert.match(ask('read', built.profile, null).note!, /no coverage sidecar/)
    const {provenance: _p, ...old} = coverage
    assert.match(ask('read', built.profile, old as typeof coverage).note!, /no provenance/)
  })
})
