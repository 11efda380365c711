import {describe, it} from 'node:test'
import assert from 'node:assert/strict'
import {spawnSync} from 'node:child_process'
import {existsSync, mkdtempSync, readdirSync, readFileSync, rmSync} from 'node:fs'
import {tmpdir} from 'node:os'
import {dirname, join} from 'node:path'
import {fileURLToPath} from 'node:url'

import {EXIT} from '../../src/core/exit-codes.js'
import {HELPER_EXIT_CODE, HELPER_REASONS} from '../../src/core/helper-codes.generated.js'
import {helperErrorCode, helperFailure, parseHelperError} from '../../src/kernel/native-helper.js'

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
const BPF = join(ROOT, 'bpf')
const SCRIPT = join(BPF, 'gen-helper-codes.mjs')
const GENERATED = join(ROOT, 'src', 'core', 'helper-codes.generated.ts')

/** The table as the C sees it: exit names (EX_<name>) and reasons by C name (R_<name>). */
function readTable(): {exits: Map<string, number>; reasons: Map<string, string>} {
  const text = readFileSync(join(BPF, 'helper-codes.def'), 'utf8')
  const exits = new Map([...text.matchAll(/^SCR_EXIT\((\w+), (\d+), /gm)].map((m) => [m[1]!, Number(m[2])]))
  const reasons = new Map([...text.matchAll(/^SCR_REASON\((\w+), "([^"]+)", /gm)].map((m) => [m[1]!, m[2]!]))
  return {exits, reasons}
}

interface FailCall {
  where: string
  code: string
  reason: string
}

/** Every fail(CODE, REASON, …) call in a C text: its first two arguments, as written. */
function failCalls(text: string, file: string): FailCall[] {
  const calls: FailCall[] = []
  for (const match of text.matchAll(/(?<![\w])fail\(/g)) {
    const args: string[] = []
    let depth = 0
    let current = ''
    let quote: string | undefined
    for (let i = match.index + match[0].length; i < text.length; i++) {
      const c = text[i]!
      if (quote) {
        current += c
        if (c === '\\') current += text[++i] ?? ''
        else if (c === quote) quote = undefined
      } else if (c === '"' || c === "'") {
        quote = c
        current += c
      } else if (c === '(') {
        depth++
        current += c
      } else if (c === ')' && depth > 0) {
        depth--
        current += c
      } else if (c === ',' && depth === 0) {
        args.push(current.trim())
        current = ''
        if (args.length === 2) break
      } else if (c === ')') {
        break
      } else {
        current += c
      }
    }
    if (args[0]?.startsWith('enum ')) continue // the definition
    const line = text.slice(0, match.index).split('\n').length
    calls.push({where: `${file}:${line}`, code: args[0] ?? '', reason: args[1] ?? ''})
  }
  return calls
}

/** What is wrong with the calls against the table (an empty list: nothing). */
function checkCalls(calls: FailCall[], table: ReturnType<typeof readTable>): string[] {
  const problems: string[] = []
  for (const {where, code, reason} of calls) {
    if (/^"/.test(reason))
      problems.push(`${where}: reason ${reason} is a string; use its R_ name from bpf/helper-codes.def`)
    else if (!/^R_\w+$/.test(reason) || !table.reasons.has(reason.slice(2)))
      problems.push(`${where}: reason ${reason} is not in bpf/helper-codes.def`)
    const exits = [...code.matchAll(/\bEX_(\w+)/g)].map((m) => m[1]!)
    if (exits.length === 0) problems.push(`${where}: exit code ${code} names no EX_ constant`)
    for (const name of exits)
      if (!table.exits.has(name)) problems.push(`${where}: exit code EX_${name} is not in bpf/helper-codes.def`)
  }
  return problems
}

const helperSources = () =>
  readdirSync(BPF)
    .filter((name) => name.endsWith('.c') && !name.endsWith('.bpf.c'))
    .map((name) => ({name: `bpf/${name}`, text: readFileSync(join(BPF, name), 'utf8')}))

describe("bpf/helper-codes.def: one table of the helper's exit codes and reasons", () => {
  it('src/core/helper-codes.generated.ts is what the generator makes of the table now', () => {
    const dir = mkdtempSync(join(tmpdir(), 'helper-codes-'))
    try {
      const out = join(dir, 'helper-codes.generated.ts')
      const run = spawnSync(process.execPath, [SCRIPT, '--out', out], {cwd: ROOT, encoding: 'utf8'})
      assert.equal(run.status, 0, run.stderr)
      assert.equal(
        readFileSync(GENERATED, 'utf8'),
        readFileSync(out, 'utf8'),
        'stale: run `npm run gen:helper-codes` and commit the result',
      )
    } finally {
      rmSync(dir, {recursive: true, force: true})
    }
  })

  it('the generated module holds every exit code and reason of the table', () => {
    const table = readTable()
    assert.deepEqual(Object.entries(HELPER_EXIT_CODE), [...table.exits])
    assert.deepEqual(Object.keys(HELPER_REASONS), [...table.reasons.values()])
  })

  it("every fail(…) in the helper's C files uses an exit code and a reason of the table", () => {
    const table = readTable()
    const calls = helperSources().flatMap(({name, text}) => failCalls(text, name))
    assert.ok(calls.length > 50, `only ${calls.length} fail(…) calls found: is the scan still reading the right files?`)
    assert.deepEqual(checkCalls(calls, table), [])
  })

  it('every reason of the table is used by some fail(…) (the union lists only what the helper can print)', () => {
    const used = new Set(
      helperSources()
        .flatMap(({name, text}) => failCalls(text, name))
        .map((call) => call.reason),
    )
    const unused = [...readTable().reasons.keys()].filter((name) => !used.has(`R_${name}`))
    assert.deepEqual(unused, [])
  })

  it('the scan catches a reason missing from the table, a string reason and an unknown exit code', () => {
    const text = [
      'fail(EX_RUNTIME, R_NO_SUCH_THING, errno, "x");',
      'fail(EX_USAGE, "usage", 0, "a, b (%d)", f(1, 2));',
      'fail(errno == ENOENT ? EX_GONE : EX_RUNTIME, R_LOCK, 0, "y");',
    ].join('\n')
    const problems = checkCalls(failCalls(text, 'fixture.c'), readTable())
    assert.deepEqual(problems, [
      'fixture.c:1: reason R_NO_SUCH_THING is not in bpf/helper-codes.def',
      'fixture.c:2: reason "usage" is a string; use its R_ name from bpf/helper-codes.def',
      'fixture.c:3: exit code EX_GONE is not in bpf/helper-codes.def',
    ])
  })

  it('only json-out.c writes the "reason" key', () => {
    const writers = helperSources()
      .filter(({text}) => text.includes('\\"reason\\"'))
      .map(({name}) => name)
    assert.deepEqual(writers, ['bpf/json-out.c'])
  })
})

describe("native-helper.ts reads the helper's failures through the table", () => {
  it('parseHelperError types the reason; one not in the table is "unknown"', () => {
    assert.deepEqual(parseHelperError('{"warning":"w"}\n{"error":"gone","reason":"no-such-target","errno":2}\n'), {
      error: 'gone',
      reason: 'no-such-target',
      errno: 2,
    })
    assert.equal(parseHelperError('{"error":"odd","reason":"not-a-reason","errno":0}')?.reason, 'unknown')
    assert.equal(parseHelperError('{"error":"old helper"}')?.reason, 'unknown')
    assert.equal(parseHelperError('not json'), undefined)
  })

  it("helperFailure maps each exit code of the table onto the CLI's", () => {
    const cases: Array<[number, number]> = [
      [HELPER_EXIT_CODE.USAGE, EXIT.USAGE],
      [HELPER_EXIT_CODE.NO_TARGET, EXIT.RUNTIME],
      [HELPER_EXIT_CODE.NO_BPF, EXIT.PREREQUISITE],
      [HELPER_EXIT_CODE.FULL, EXIT.RUNTIME],
      [HELPER_EXIT_CODE.RUNTIME, EXIT.RUNTIME],
      [HELPER_EXIT_CODE.EXEC, EXIT.CANNOT_EXECUTE],
      [HELPER_EXIT_CODE.OK, EXIT.RUNTIME],
      [99, EXIT.RUNTIME],
    ]
    for (const [helperExit, cliExit] of cases)
      assert.equal(helperFailure(helperExit, '', 'x').exit, cliExit, `helper exit ${helperExit}`)
  })

  it('helperFailure names the reason in its code', () => {
    const error = helperFailure(
      HELPER_EXIT_CODE.NO_TARGET,
      '{"error":"no target for mount namespace 7","reason":"no-such-target","errno":2}',
      'reading recording 7',
    )
    assert.equal(error.code, helperErrorCode('no-such-target'))
    assert.equal(error.code, 'helper.no-such-target')
    assert.match(error.message, /^reading recording 7: no target for mount namespace 7$/)
    assert.equal(helperFailure(6, 'plain text', 'x').code, 'helper.failed')
  })
})
