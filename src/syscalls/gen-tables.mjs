#!/usr/bin/env node
// Generates src/syscalls/tables.generated.ts from libseccomp's syscalls.csv (LGPL-2.1 data).
//
// Usage:
//   node src/syscalls/gen-tables.mjs [CSV] [--out FILE] [--commit SHA] [--check]
//
//   CSV       libseccomp's src/syscalls.csv; default src/syscalls/syscalls.csv in the repo.
//   --out     the TypeScript file to write (or compare); default src/syscalls/tables.generated.ts.
//   --commit  the libseccomp commit the CSV was taken from, recorded in the output (default below;
//             update LIBSECCOMP_COMMIT together with shared/syscalls/syscalls.csv).
//   --check   write nothing; exit 1 if the file differs from what would be generated.
//
// Exit codes: 0 ok, 1 --check found the file missing or out of date, 2 bad arguments or bad CSV.
// Plain Node ESM without dependencies, so it runs before `npm install` and from CI as is.
import {readFileSync, writeFileSync, mkdirSync} from 'node:fs'
import {dirname, relative, resolve} from 'node:path'
import {fileURLToPath} from 'node:url'

const LIBSECCOMP_COMMIT = '90d3f7d'

/** ABIs emitted, in output order: [name in the generated file, CSV column, exported constant]. */
const ABIS = [
  ['x86_64', 'x86_64', 'X86_64'],
  ['x86', 'x86', 'X86'],
  ['x32', 'x32', 'X32'],
  ['aarch64', 'aarch64', 'AARCH64'],
  ['arm', 'arm', 'ARM'],
]

const NAME_RE = /^[a-z_][a-z0-9_]*$/
const NUMBER_RE = /^(0|[1-9][0-9]*)$/
const ABSENT = 'PNR'

const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..')

class UsageError extends Error {}

function parseArgs(argv) {
  const options = {
    csv: resolve(repoRoot, 'src', 'syscalls', 'syscalls.csv'),
    out: resolve(repoRoot, 'src', 'syscalls', 'tables.generated.ts'),
    commit: LIBSECCOMP_COMMIT,
    check: false,
  }
  const positional = []
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]
    if (arg === '--check') options.check = true
    else if (arg === '--out' || arg === '--commit') {
      const value = argv[++i]
      if (value === undefined || value === '') throw new UsageError(`${arg} needs a value`)
      if (arg === '--out') options.out = resolve(value)
      else options.commit = value
    } else if (arg === '-h' || arg === '--help') {
      options.help = true
    } else if (arg.startsWith('-')) throw new UsageError(`unknown option ${arg}`)
    else positional.push(arg)
  }
  if (positional.length > 1) throw new UsageError(`expected at most one CSV path, got ${positional.length}`)
  if (positional[0] !== undefined) options.csv = resolve(positional[0])
  if (!/^[0-9a-f]{7,40}$/.test(options.commit))
    throw new UsageError(`--commit must be a hex commit id, got ${options.commit}`)
  return options
}

/** Code-unit order: deterministic, independent of the locale (unlike localeCompare). */
function compareNames(a, b) {
  return a < b ? -1 : a > b ? 1 : 0
}

/**
 * Parses libseccomp's CSV. Returns {version, date, tables: Map<abi, [name, nr][]>} with every table sorted by name.
 * Throws an Error naming the line on anything unexpected rather than guessing.
 */
export function parseCsv(text, source = 'syscalls.csv') {
  const lines = text.split(/\r?\n/)
  const header = lines[0]?.split(',') ?? []
  const title = header[0] ?? ''
  const match = /^#syscall \((v[^\s)]+)(?:\s+([^)]*))?\)$/.exec(title.trim())
  if (!match)
    throw new Error(`${source}:1: expected a header starting with "#syscall (vX.Y …)", got ${JSON.stringify(title)}`)
  const version = match[1]
  const date = (match[2] ?? '').trim()
  const columns = new Map()
  for (const [abi, column] of ABIS) {
    const index = header.indexOf(column)
    if (index < 1) throw new Error(`${source}:1: no column ${JSON.stringify(column)} in the header`)
    columns.set(abi, index)
  }
  const tables = new Map(ABIS.map(([abi]) => [abi, []]))
  const seen = new Set()
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]
    if (line.trim() === '') continue
    const where = `${source}:${i + 1}`
    const cells = line.split(',')
    if (cells.length !== header.length)
      throw new Error(`${where}: ${cells.length} columns, the header has ${header.length}`)
    const name = cells[0]
    if (!NAME_RE.test(name) || name === '__proto__')
      throw new Error(`${where}: unexpected syscall name ${JSON.stringify(name)}`)
    if (seen.has(name)) throw new Error(`${where}: duplicate syscall name ${name}`)
    seen.add(name)
    for (const [abi, index] of columns) {
      const cell = cells[index]
      if (cell === ABSENT) continue
      if (!NUMBER_RE.test(cell))
        throw new Error(`${where}: ${abi} number of ${name} is ${JSON.stringify(cell)}, expected digits or ${ABSENT}`)
      const nr = Number(cell)
      if (!Number.isSafeInteger(nr) || nr > 0xffffffff)
        throw new Error(`${where}: ${abi} number of ${name} out of range: ${cell}`)
      tables.get(abi).push([name, nr])
    }
  }
  for (const [abi, entries] of tables) {
    entries.sort((a, b) => compareNames(a[0], b[0]))
    const byNumber = new Map()
    for (const [name, nr] of entries) {
      const other = byNumber.get(nr)
      if (other !== undefined) throw new Error(`${source}: ${abi} number ${nr} used by both ${other} and ${name}`)
      byNumber.set(nr, name)
    }
    if (entries.length === 0) throw new Error(`${source}: no syscalls for ${abi}`)
  }
  return {version, date, tables}
}

/** Renders the TypeScript module. Pure: the same input gives the same bytes. */
export function render({version, date, tables}, commit = LIBSECCOMP_COMMIT) {
  const out = []
  const counts = ABIS.map(([abi]) => `${abi} ${tables.get(abi).length}`).join(', ')
  out.push(
    '// GENERATED FILE - DO NOT EDIT. Regenerate with `npm run gen:syscalls`;',
    '// `node src/syscalls/gen-tables.mjs --check` fails when this file is stale.',
    '//',
    `// Generated by src/syscalls/gen-tables.mjs from libseccomp's src/syscalls.csv at commit ${commit}`,
    `// (header "${version}${date ? ` ${date}` : ''}"), copied to shared/syscalls/syscalls.csv.`,
    '// The syscall data comes from libseccomp and is licensed under LGPL-2.1.',
    '//',
    '// One frozen name -> number record per ABI, sorted by name (code-unit order); syscalls that do not',
    '// exist on an ABI are left out. x32 numbers are WITHOUT the 0x40000000 X32_SYSCALL_BIT, as in the CSV.',
    '// arm includes the ARM-private syscalls at 0x0f0000 + n (983041 = breakpoint, ...).',
    `// Counts: ${counts}.`,
    '',
    `export const SOURCE_COMMIT = '${commit}'`,
    `export const SOURCE_KERNEL_VERSION = '${version}'`,
    `export const SOURCE_DATE = '${date}'`,
    '',
    '/** Syscall name -> number for one ABI. Look names up with Object.hasOwn: this is a plain object. */',
    'export type GeneratedSyscallTable = Readonly<Record<string, number>>',
    '',
  )
  for (const [abi, , constant] of ABIS) {
    out.push(`/** ${abi}: ${tables.get(abi).length} syscalls. */`)
    out.push(`export const ${constant}: GeneratedSyscallTable = Object.freeze({`)
    for (const [name, nr] of tables.get(abi)) out.push(`  ${name}: ${nr},`)
    out.push('})', '')
  }
  out.push('export const GENERATED_TABLES = Object.freeze({')
  for (const [abi, , constant] of ABIS) out.push(`  ${abi}: ${constant},`)
  out.push('})', '')
  return out.join('\n')
}

function main(argv) {
  let options
  try {
    options = parseArgs(argv)
  } catch (error) {
    if (!(error instanceof UsageError)) throw error
    process.stderr.write(`gen-syscall-tables: ${error.message}\n`)
    return 2
  }
  if (options.help) {
    process.stdout.write('usage: node src/syscalls/gen-tables.mjs [CSV] [--out FILE] [--commit SHA] [--check]\n')
    return 0
  }
  let generated
  try {
    generated = render(
      parseCsv(readFileSync(options.csv, 'utf8'), relative(process.cwd(), options.csv) || options.csv),
      options.commit,
    )
  } catch (error) {
    process.stderr.write(
      `gen-syscall-tables: cannot generate from ${options.csv}: ${error instanceof Error ? error.message : String(error)}\n`,
    )
    return 2
  }
  const shown = relative(process.cwd(), options.out) || options.out
  if (options.check) {
    let current
    try {
      current = readFileSync(options.out, 'utf8')
    } catch (error) {
      process.stderr.write(
        `gen-syscall-tables: ${shown} cannot be read (${error.code ?? error}); run \`npm run gen:syscalls\`\n`,
      )
      return 1
    }
    if (current !== generated) {
      process.stderr.write(
        `gen-syscall-tables: ${shown} is out of date with ${options.csv}; run \`npm run gen:syscalls\`\n`,
      )
      return 1
    }
    process.stdout.write(`${shown} is up to date\n`)
    return 0
  }
  mkdirSync(dirname(options.out), {recursive: true})
  writeFileSync(options.out, generated)
  process.stdout.write(`wrote ${shown}\n`)
  return 0
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  process.exitCode = main(process.argv.slice(2))
}
