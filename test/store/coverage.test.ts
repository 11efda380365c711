import assert from 'node:assert/strict'
import {execFileSync} from 'node:child_process'
import {mkdirSync, rmSync, writeFileSync} from 'node:fs'
import {join} from 'node:path'
import {after, describe, it} from 'node:test'
import {
  coveragePathFor,
  formatCoverageJson,
  loadCoverage,
  parseCoverage,
  readCoverageFile,
} from '../../src/store/coverage.js'
import {fixture} from '../helpers/cli.js'
import {tempDir} from './helpers/recordings.js'

describe('coverage sidecar: path rule', () => {
  it('replaces a lowercase .json/.yaml/.yml extension, appends otherwise', () => {
    assert.equal(coveragePathFor('/x/web.json'), '/x/web.coverage.json')
    assert.equal(coveragePathFor('/x/web.yml'), '/x/web.coverage.json')
    assert.equal(coveragePathFor('/x/web.spo.yaml'), '/x/web.spo.coverage.json')
    assert.equal(coveragePathFor('/x/web'), '/x/web.coverage.json')
  })

  it('matches extensions case-sensitively, like the rest of the tool: x.JSON is another name', () => {
    assert.equal(coveragePathFor('/x/Web.JSON'), '/x/Web.JSON.coverage.json')
  })
})

describe('coverage sidecar: parser', () => {
  it('reads what the writer writes', () => {
    const coverage = {recordings: 5, syscalls: {futex: 4, read: 5}}
    assert.deepEqual(parseCoverage(formatCoverageJson(coverage)), coverage)
    assert.equal(
      formatCoverageJson(coverage),
      '{\n  "recordings": 5,\n  "syscalls": {\n    "futex": 4,\n    "read": 5\n  }\n}\n',
    )
  })

  it('refuses what is not a coverage document', () => {
    assert.equal(parseCoverage('{"recordings": -1, "syscalls": {}}'), null)
    assert.equal(parseCoverage('{"recordings": 2, "syscalls": {"read": "2"}}'), null)
    assert.equal(parseCoverage('{"recordings": 2, "syscalls": {"read": 1.5}}'), null)
    assert.equal(parseCoverage('{"recordings": 2}'), null)
    assert.equal(parseCoverage('{"recordings": 2, "syscalls": {}, "extra": 1}'), null)
    assert.equal(parseCoverage('[]'), null)
    assert.equal(parseCoverage('not json'), null)
  })

  it('accepts a count of 0 (the same as a name that is not there), so one such entry does not hide the rest', () => {
    assert.deepEqual(parseCoverage('{"recordings": 2, "syscalls": {"read": 2, "ptrace": 0}}'), {
      recordings: 2,
      syscalls: {read: 2, ptrace: 0},
    })
    assert.deepEqual(parseCoverage('{"recordings": 0, "syscalls": {}}'), {recordings: 0, syscalls: {}})
  })

  it('takes only lowercase syscall names, and only whole numbers a double holds exactly', () => {
    assert.equal(parseCoverage('{"recordings": 2, "syscalls": {"Read": 2}}'), null)
    assert.equal(parseCoverage('{"recordings": 2, "syscalls": {"\\u001b[31m": 2}}'), null)
    assert.equal(parseCoverage('{"recordings": 1e20, "syscalls": {}}'), null)
    assert.equal(parseCoverage('{"recordings": 2, "syscalls": {"read": 9007199254740993}}'), null)
  })
})

describe('coverage sidecar: reading it from disk', () => {
  const dir = tempDir('coverage-')
  after(() => rmSync(dir, {recursive: true, force: true}))

  it('finds <name>.coverage.json next to <name>.json, and nothing where there is none', () => {
    const {coverage} = loadCoverage(fixture('diff', 'app-v2.json'))
    assert.equal(coverage?.recordings, 5)
    assert.equal(coverage?.syscalls.ptrace, 2)
    assert.equal(coverage?.path, fixture('diff', 'app-v2.coverage.json'))
    assert.deepEqual(loadCoverage(fixture('diff', 'app-v1.json')), {coverage: null})
  })

  it('looks only where the writer writes: not at <name>.json.coverage.json', () => {
    const profile = join(dir, 'only-appended.json')
    writeFileSync(`${profile}.coverage.json`, '{"recordings": 1, "syscalls": {}}')
    assert.deepEqual(loadCoverage(profile), {coverage: null})
  })

  it('ignores a malformed or unreadable sidecar with a warning; readCoverageFile says null', () => {
    const bad = join(dir, 'bad.json')
    writeFileSync(coveragePathFor(bad), '{"recordings": 2, "syscalls": {"read": -1}}')
    const loaded = loadCoverage(bad)
    assert.equal(loaded.coverage, null)
    assert.match(loaded.warning ?? '', /is not a coverage file .*coverage not shown/)
    assert.equal(readCoverageFile(coveragePathFor(bad)), null)

    const dirAsSidecar = join(dir, 'dir.json')
    mkdirSync(coveragePathFor(dirAsSidecar))
    assert.match(loadCoverage(dirAsSidecar).warning ?? '', /not a regular file/)
    assert.equal(readCoverageFile(coveragePathFor(dirAsSidecar)), null)
  })

  it('never opens a FIFO put where the sidecar belongs', () => {
    const profile = join(dir, 'fifo.json')
    execFileSync('mkfifo', [coveragePathFor(profile)])
    assert.match(loadCoverage(profile).warning ?? '', /FIFO/)
    assert.equal(readCoverageFile(coveragePathFor(profile)), null)
  })
})
