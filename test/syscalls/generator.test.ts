import {describe, it, before, after} from 'node:test'
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {ABIS, SYSCALL_TABLE_SOURCE, syscallName, syscallNames, syscallNumber} from '../../src/syscalls/index.js'

/** The repo root: the nearest directory above this file (src or dist) whose package.json is ours. */
function findRepoRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url))
  for (;;) {
    const pkg = join(dir, 'package.json')
    if (existsSync(pkg)) {
      const parsed: unknown = JSON.parse(readFileSync(pkg, 'utf8'))
      if (typeof parsed === 'object' && parsed !== null && 'name' in parsed && parsed.name === 'seccomp-recorder')
        return dir
    }
    const parent = dirname(dir)
    if (parent === dir) throw new Error(`no seccomp-recorder package.json above ${fileURLToPath(import.meta.url)}`)
    dir = parent
  }
}

const ROOT = findRepoRoot()
const SCRIPT = join(ROOT, 'src', 'syscalls', 'gen-tables.mjs')
const CSV = join(ROOT, 'src', 'syscalls', 'syscalls.csv')
const GENERATED = join(ROOT, 'src', 'syscalls', 'tables.generated.ts')

interface Run {
  status: number | null
  stdout: string
  stderr: string
}

function generator(...args: string[]): Run {
  const result = spawnSync(process.execPath, [SCRIPT, ...args], {cwd: ROOT, encoding: 'utf8'})
  if (result.error) throw result.error
  return {status: result.status, stdout: result.stdout, stderr: result.stderr}
}

function show(run: Run): string {
  return `exit ${String(run.status)}\nstdout: ${run.stdout}\nstderr: ${run.stderr}`
}

const CSV_ABI_COLUMNS = ['x86', 'x86_64', 'x32', 'arm', 'aarch64', 'riscv64'] as const

/** A small CSV in libseccomp's layout: a number and a kver column per ABI. */
function fixtureCsv(
  rows: ReadonlyArray<readonly [string, ...string[]]>,
  header = '#syscall (v6.9.0 2024-05-12)',
): string {
  const head = [header, ...CSV_ABI_COLUMNS.flatMap((abi) => [abi, `${abi}_kver`])].join(',')
  const body = rows.map(([name, ...numbers]) => [name, ...numbers.flatMap((nr) => [nr, 'SCMP_KV_UNDEF'])].join(','))
  return [head, ...body, ''].join('\n')
}

// Columns: x86, x86_64, x32, arm, aarch64, riscv64.
const ROWS: ReadonlyArray<readonly [string, ...string[]]> = [
  ['write', '4', '1', '1', '4', '64', '64'],
  ['open', '5', '2', '2', '5', 'PNR', 'PNR'],
  ['_llseek', '140', 'PNR', 'PNR', '140', 'PNR', 'PNR'],
  ['breakpoint', 'PNR', 'PNR', 'PNR', '983041', 'PNR', 'PNR'],
  ['rt_sigaction', '174', '13', '512', '174', '134', '134'],
  ['read', '3', '0', '0', '3', '63', '63'],
]

describe('gen-syscall-tables', () => {
  let dir = ''
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'gen-syscalls-'))
  })
  after(() => {
    rmSync(dir, {recursive: true, force: true})
  })

  it('finds the checked-in tables.generated.ts up to date (--check)', () => {
    assert.ok(
      existsSync(CSV),
      `${CSV} is missing: the tables are generated from shared/syscalls/syscalls.csv beside the repo`,
    )
    const run = generator('--check')
    assert.equal(run.status, 0, `src/syscalls/tables.generated.ts is stale, run \`npm run gen:syscalls\`\n${show(run)}`)
  })

  it('matches the CSV exactly, read independently of the generator', () => {
    const lines = readFileSync(CSV, 'utf8')
      .split('\n')
      .filter((line) => line !== '')
    const header = (lines[0] ?? '').split(',')
    const version = /^#syscall \((v\S+)/.exec(header[0] ?? '')?.[1]
    assert.ok(version !== undefined, `header: ${header[0]}`)
    assert.ok(SYSCALL_TABLE_SOURCE.endsWith(`(kernel ${version})`), SYSCALL_TABLE_SOURCE)
    for (const abi of ABIS) {
      const column = header.indexOf(abi)
      assert.ok(column > 0, `column ${abi}`)
      const expected = new Map<string, number>()
      for (const line of lines.slice(1)) {
        const cells = line.split(',')
        const name = cells[0] ?? ''
        const cell = cells[column] ?? ''
        if (cell !== 'PNR') expected.set(name, Number(cell))
      }
      assert.equal(syscallNames(abi).length, expected.size, abi)
      for (const [name, nr] of expected) {
        assert.equal(syscallNumber(abi, name), nr, `${abi} ${name}`)
        assert.equal(syscallName(abi, nr), name, `${abi} ${nr}`)
      }
    }
  })

  it('writes a sorted, compact module with a provenance header', () => {
    const csv = join(dir, 'fixture.csv')
    const out = join(dir, 'out', 'tables.generated.ts')
    writeFileSync(csv, fixtureCsv(ROWS))
    const run = generator(csv, '--out', out)
    assert.equal(run.status, 0, show(run))
    const text = readFileSync(out, 'utf8')
    for (const needle of [
      'GENERATED FILE',
      'DO NOT EDIT',
      'npm run gen:syscalls',
      'libseccomp',
      '90d3f7d',
      'LGPL-2.1',
      'v6.9.0 2024-05-12',
    ]) {
      assert.ok(text.includes(needle), `header mentions ${needle}`)
    }
    assert.ok(text.includes("export const SOURCE_KERNEL_VERSION = 'v6.9.0'"))
    assert.ok(text.includes("export const SOURCE_DATE = '2024-05-12'"))
    const block = (constant: string): string[] => {
      const match = new RegExp(
        `export const ${constant}: GeneratedSyscallTable = Object\\.freeze\\(\\{\\n([^}]*)\\}\\)`,
      ).exec(text)
      assert.ok(match?.[1] !== undefined, `block ${constant}`)
      return match[1].split('\n').filter((line) => line !== '')
    }
    assert.deepEqual(block('X86_64'), ['  open: 2,', '  read: 0,', '  rt_sigaction: 13,', '  write: 1,'])
    assert.deepEqual(block('X86'), [
      '  _llseek: 140,',
      '  open: 5,',
      '  read: 3,',
      '  rt_sigaction: 174,',
      '  write: 4,',
    ])
    assert.deepEqual(block('X32'), ['  open: 2,', '  read: 0,', '  rt_sigaction: 512,', '  write: 1,'])
    assert.deepEqual(block('AARCH64'), ['  read: 63,', '  rt_sigaction: 134,', '  write: 64,'])
    assert.deepEqual(block('ARM'), [
      '  _llseek: 140,',
      '  breakpoint: 983041,',
      '  open: 5,',
      '  read: 3,',
      '  rt_sigaction: 174,',
      '  write: 4,',
    ])
    assert.ok(!text.includes('riscv'), 'other ABIs are left out')
    assert.ok(!text.includes('PNR'))
  })

  it('is deterministic: same bytes from a reordered CSV, --check agrees, and reports stale or missing files', () => {
    const csvA = join(dir, 'a.csv')
    const csvB = join(dir, 'b.csv')
    const outA = join(dir, 'a.ts')
    const outB = join(dir, 'b.ts')
    writeFileSync(csvA, fixtureCsv(ROWS))
    writeFileSync(csvB, fixtureCsv([...ROWS].reverse()).replaceAll('\n', '\r\n'))
    assert.equal(generator(csvA, '--out', outA).status, 0)
    assert.equal(generator(csvB, '--out', outB).status, 0)
    assert.equal(readFileSync(outA, 'utf8'), readFileSync(outB, 'utf8'))

    let run = generator(csvA, '--out', outA, '--check')
    assert.equal(run.status, 0, show(run))
    writeFileSync(outA, readFileSync(outA, 'utf8').replace('  write: 1,', '  write: 2,'))
    run = generator(csvA, '--check', '--out', outA)
    assert.equal(run.status, 1, show(run))
    assert.match(run.stderr, /out of date.*npm run gen:syscalls/)
    run = generator(csvA, '--out', join(dir, 'missing.ts'), '--check')
    assert.equal(run.status, 1, show(run))
    assert.ok(!existsSync(join(dir, 'missing.ts')), '--check writes nothing')
  })

  it('rejects malformed CSVs and arguments with exit 2', () => {
    const cases: Array<[string, string]> = [
      ['bad header', fixtureCsv(ROWS, 'syscall,whatever')],
      ['duplicate name', fixtureCsv([...ROWS, ['read', '3', '0', '0', '3', '63', '63']])],
      ['bad number', fixtureCsv([['read', '3', '0x0', '0', '3', '63', '63']])],
      ['negative number', fixtureCsv([['read', '3', '-1', '0', '3', '63', '63']])],
      ['bad name', fixtureCsv([['Read', '3', '0', '0', '3', '63', '63']])],
      ['__proto__', fixtureCsv([['__proto__', '3', '0', '0', '3', '63', '63']])],
      ['number used twice', fixtureCsv([...ROWS, ['readv', '145', '0', '19', '145', '65', '65']])],
      ['short row', `${fixtureCsv(ROWS)}read2,1,2\n`],
      ['missing ABI column', fixtureCsv(ROWS).replace(',aarch64,', ',arm64,')],
    ]
    for (const [label, text] of cases) {
      const csv = join(dir, 'bad.csv')
      writeFileSync(csv, text)
      const run = generator(csv, '--out', join(dir, 'bad.ts'))
      assert.equal(run.status, 2, `${label}\n${show(run)}`)
      assert.ok(!existsSync(join(dir, 'bad.ts')), `${label}: nothing written`)
    }
    assert.equal(generator(join(dir, 'does-not-exist.csv'), '--out', join(dir, 'bad.ts')).status, 2)
    // Each with --out into the temporary directory, so a regression cannot overwrite the real module.
    const out = join(dir, 'bad.ts')
    assert.equal(generator('--bogus', '--out', out).status, 2)
    assert.equal(generator('--out').status, 2)
    assert.equal(generator('a.csv', 'b.csv', '--out', out).status, 2)
    assert.equal(generator('--commit', 'not-a-commit', '--out', out).status, 2)
    assert.ok(!existsSync(out))
  })

  it('leaves the checked-in module untouched when only checking', () => {
    const before = readFileSync(GENERATED, 'utf8')
    generator('--check')
    assert.equal(readFileSync(GENERATED, 'utf8'), before)
  })
})
