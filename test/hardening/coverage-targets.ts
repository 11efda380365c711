/**
 * Entry points of the coverage-guided fuzz runs (Jazzer.js: libFuzzer driven by the branch coverage of the
 * instrumented dist/src; see coverage-fuzz.ts). Each takes libFuzzer's bytes, decodes them the way
 * the poststop hook decodes its stdin (UTF-8, invalid bytes → U+FFFD) and classifies the outcome with
 * fuzz-targets.ts: accepted within the parser's promises, refused with the documented error class, or a named
 * known bug (KNOWN_BUGS) return normally; a crash or broken promise is thrown, which Jazzer reports as a finding
 * and saves the input for. On top of the classification, refusals must carry messages as the hostile corpus
 * demands of them (one line, no control characters, no stack, < 1000 characters: they reach the runtime's log).
 *
 * Targets: fuzzState (parseOciState), fuzzAnnotations (the annotation parsers), fuzzProfile (checkProfileText and
 * normalisation), fuzzStrictJson (parseStrictJson against JSON.parse and jsonc-parser's tree).
 */
import {writeFileSync} from 'node:fs'
import {getNodeValue} from 'jsonc-parser'
import {AnnotationError, parseRecordName, parseTraceSyscall} from '../../src/oci/annotations.js'
import {parseOciState, StateError} from '../../src/oci/state.js'
import {MAX_JSON_DEPTH, parseStrictJson} from '../../src/json/strict-json.js'
import {decodeStdin} from './corpus.js'
import {BrokenPromise, classify, KNOWN_BUGS, type TargetName} from './fuzz-targets.js'

// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/

/** Outcome counts of this process, written to SCR_FUZZ_OUTCOMES (JSON) every 1000 inputs. */
const outcomes = new Map<string, number>()
let inputs = 0
function count(outcome: string): void {
  outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1)
  if (++inputs % 1000 === 0) flushOutcomes()
}
function flushOutcomes(): void {
  const path = process.env.SCR_FUZZ_OUTCOMES
  if (path) writeFileSync(path, JSON.stringify({inputs, outcomes: Object.fromEntries([...outcomes].sort())}))
}

function checkMessage(what: string, message: string): void {
  if (CONTROL.test(message))
    throw new BrokenPromise(
      `${what}: control characters in the refusal message ${JSON.stringify(message.slice(0, 200))}`,
    )
  if (/\n\s+at /.test(message)) throw new BrokenPromise(`${what}: a stack trace in the refusal message`)
  if (message.length >= 1000) throw new BrokenPromise(`${what}: a refusal message of ${message.length} characters`)
}

/** The refusal error a parser throws for the input (the classification only keeps its class). */
function refusal(fn: () => unknown): Error | undefined {
  try {
    fn()
    return undefined
  } catch (error) {
    return error as Error
  }
}

function run(target: TargetName, data: Buffer): void {
  const input = decodeStdin(data)
  const {outcome, error} = classify(target, input)
  count(outcome)
  if (outcome.startsWith('CRASH')) throw error instanceof Error ? error : new Error(`${outcome}: ${String(error)}`)
  // Refusals: the message is checked too (re-running the parser, which the classification does not keep).
  if (target === 'state' && outcome === 'refused:StateError') {
    const e = refusal(() => parseOciState(input))
    if (e instanceof StateError) checkMessage('parseOciState', e.message)
  } else if (target === 'annotations') {
    if (outcome.includes('trace:refused')) {
      const e = refusal(() => parseTraceSyscall(input))
      if (e instanceof AnnotationError) checkMessage('parseTraceSyscall', e.message)
    }
    if (outcome.includes('record:refused')) {
      const e = refusal(() => parseRecordName(input))
      if (e instanceof AnnotationError) checkMessage('parseRecordName', e.message)
    }
  }
}

export const fuzzState = (data: Buffer): void => run('state', data)
export const fuzzAnnotations = (data: Buffer): void => run('annotations', data)
export const fuzzProfile = (data: Buffer): void => run('profile', data)

/** Keys repeated in one object of a document JSON.parse accepted (written apart from strict-json.ts's check). */
function hasDuplicateKeys(text: string): boolean {
  const stack: Array<Set<string> | null> = []
  let expectKey = false
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '"') {
      let j = i + 1
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      const top = stack.at(-1)
      if (expectKey && top) {
        const key = JSON.parse(text.slice(i, j + 1)) as string
        if (top.has(key)) return true
        top.add(key)
      }
      expectKey = false
      i = j
    } else if (c === '{') {
      stack.push(new Set())
      expectKey = true
    } else if (c === '[') {
      stack.push(null)
    } else if (c === '}' || c === ']') {
      stack.pop()
    } else if (c === ',') {
      expectKey = stack.at(-1) !== null && stack.length > 0
    }
  }
  return false
}

function maxDepth(text: string): number {
  let depth = 0
  let max = 0
  for (let i = 0; i < text.length; i++) {
    const c = text[i]
    if (c === '"') {
      let j = i + 1
      while (text[j] !== '"') j += text[j] === '\\' ? 2 : 1
      i = j
    } else if (c === '{' || c === '[') max = Math.max(max, ++depth)
    else if (c === '}' || c === ']') depth--
  }
  return max
}

/**
 * parseStrictJson: never throws; accepts only what JSON.parse accepts, with the same value, jsonc-parser's tree of
 * the same value (locations and the duplicate check are read from it), no key repeated in an object and no more
 * than MAX_JSON_DEPTH levels; refuses with at least one error whose message is one line without control characters.
 */
export function fuzzStrictJson(data: Buffer): void {
  const text = decodeStdin(data)
  let outcome: string
  try {
    outcome = strictJsonOutcome(text)
  } catch (error) {
    const known = KNOWN_BUGS.find((b) => b.matches(error))
    if (!known) {
      count(`CRASH:${(error as Error)?.name}`)
      throw error
    }
    outcome = `known-bug:${known.name}`
  }
  count(outcome)
}

function strictJsonOutcome(text: string): string {
  const parsed = parseStrictJson(text)
  let reference: {ok: true; value: unknown} | {ok: false}
  try {
    reference = {ok: true, value: JSON.parse(text)}
  } catch {
    reference = {ok: false}
  }
  if (!parsed.ok) {
    if (parsed.errors.length === 0) throw new BrokenPromise('refused without an error')
    for (const e of parsed.errors) checkMessage('parseStrictJson', e.message)
    if (reference.ok && !hasDuplicateKeys(text) && maxDepth(text) <= MAX_JSON_DEPTH)
      throw new BrokenPromise(
        `refused a document JSON.parse accepts, without repeated keys or deep nesting: ${parsed.errors[0]?.message}`,
      )
    return 'refused'
  }
  if (!reference.ok) throw new BrokenPromise('accepted a document JSON.parse refuses')
  const expected = JSON.stringify(reference.value)
  if (JSON.stringify(parsed.value) !== expected) throw new BrokenPromise('the value differs from JSON.parse')
  if (JSON.stringify(getNodeValue(parsed.tree)) !== expected)
    throw new BrokenPromise("jsonc-parser's tree holds another value than JSON.parse")
  if (hasDuplicateKeys(text)) throw new BrokenPromise('accepted a document with a repeated key')
  if (maxDepth(text) > MAX_JSON_DEPTH)
    throw new BrokenPromise(`accepted a document nested deeper than ${MAX_JSON_DEPTH}`)
  return 'accepted'
}
