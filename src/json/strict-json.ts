import {parseTree, printParseErrorCode, type Node as JsonNode, type ParseError} from 'jsonc-parser'
import {escapePointerSegment, limitPerCode, MAX_VIOLATIONS_PER_CODE, type Violation} from './violations.js'

/**
 * Strict JSON for documents we must not misread: syntax errors with line:column (only the first one: the rest
 * follow from it), and duplicate keys refused (parsers disagree on which value wins, so a reviewer and a runtime
 * could see two different documents). Used for profiles and for the OCI state the hook receives.
 */
export type StrictJson =
  | {ok: true; value: unknown; tree: JsonNode; locate: (offset: number) => {line: number; column: number}}
  | {ok: false; errors: Violation[]}

/**
 * Hostile text made safe for a one-line message (refusals reach the runtime's log and terminals): C0 and C1
 * control characters, DEL and the Unicode line separators become \uXXXX escapes.
 */
export function escapeControls(text: string): string {
  // eslint-disable-next-line no-control-regex
  return text.replace(
    /[\u0000-\u001f\u007f-\u009f\u2028\u2029]/g,
    (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`,
  )
}

/** A hostile string quoted for a message: JSON.stringify leaves DEL, C1 controls and line separators as they are. */
export const quoteForMessage = (text: string): string => escapeControls(JSON.stringify(text))

/** Deeper documents are refused before parsing (the parser recurses per level; no real document nests this deep). */
export const MAX_JSON_DEPTH = 512

export function parseStrictJson(text: string): StrictJson {
  const starts = lineStarts(text)
  const locate = (offset: number) => offsetToLineColumn(starts, offset)
  const tooDeep = depthExceeded(text, MAX_JSON_DEPTH)
  if (tooDeep !== undefined) {
    return {
      ok: false,
      errors: [
        {
          severity: 'error',
          code: 'json.too-deep',
          pointer: '',
          message: `not accepted: nested deeper than ${MAX_JSON_DEPTH} levels`,
          ...locate(tooDeep),
        },
      ],
    }
  }
  const syntaxErrors: ParseError[] = []
  const tree = parseTree(text, syntaxErrors, {
    disallowComments: true,
    allowTrailingComma: false,
    allowEmptyContent: false,
  })
  if (syntaxErrors.length > 0 || tree === undefined) {
    const first = syntaxErrors[0]
    if (first === undefined)
      return {
        ok: false,
        errors: [
          {
            severity: 'error',
            code: 'json.syntax',
            pointer: '',
            message: 'not valid JSON: empty document',
            line: 1,
            column: 1,
          },
        ],
      }
    const atEnd = first.offset + first.length >= text.trimEnd().length ? ' at the end of the document (truncated?)' : ''
    return {
      ok: false,
      errors: [
        {
          severity: 'error',
          code: 'json.syntax',
          pointer: '',
          message: `not valid JSON: ${describeSyntaxError(printParseErrorCode(first.error))}${atEnd}`,
          ...locate(first.offset),
        },
      ],
    }
  }
  let value: unknown
  try {
    value = JSON.parse(text)
  } catch (error) {
    // V8's message quotes the input around the error.
    return {
      ok: false,
      errors: [
        {
          severity: 'error',
          code: 'json.syntax',
          pointer: '',
          message: `not valid JSON: ${escapeControls((error as Error).message.slice(0, 200))}`,
        },
      ],
    }
  }
  const duplicates = duplicateKeys(tree, locate)
  if (duplicates.length > 0) return {ok: false, errors: duplicates}
  return {ok: true, value, tree, locate}
}

/** Offset where nesting first exceeds `limit` ([ and { outside strings, as the parser sees strings), or undefined. */
function depthExceeded(text: string, limit: number): number | undefined {
  let depth = 0
  let inString = false
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i)
    if (inString) {
      if (c === 92)
        i++ // backslash: skip the escaped character
      else if (c === 34 || c === 10 || c === 13) inString = false // the parser also ends a string at a line break
    } else if (c === 34) inString = true
    else if (c === 91 || c === 123) {
      if (++depth > limit) return i
    } else if (c === 93 || c === 125) depth--
  }
  return undefined
}

function describeSyntaxError(code: string): string {
  const words: Record<string, string> = {
    InvalidSymbol: 'unexpected character',
    InvalidNumberFormat: 'malformed number',
    PropertyNameExpected: 'property name expected',
    ValueExpected: 'value expected',
    ColonExpected: "':' expected",
    CommaExpected: "',' expected",
    CloseBraceExpected: "'}' expected",
    CloseBracketExpected: "']' expected",
    EndOfFileExpected: 'unexpected content after the end of the document',
    InvalidCommentToken: 'comments are not JSON',
    UnexpectedEndOfComment: 'unterminated comment',
    UnexpectedEndOfString: 'unterminated string',
    UnexpectedEndOfNumber: 'unterminated number',
    InvalidUnicode: 'invalid \\u escape',
    InvalidEscapeCharacter: 'invalid escape character',
    InvalidCharacter: 'control character in a string',
  }
  return words[code] ?? code
}

function duplicateKeys(tree: JsonNode, locate: (offset: number) => {line: number; column: number}): Violation[] {
  const found: Violation[] = []
  let count = 0
  const walk = (node: JsonNode, pointer: string) => {
    if (node.type === 'object') {
      const seen = new Set<string>()
      for (const property of node.children ?? []) {
        const [keyNode, valueNode] = property.children ?? []
        const key = String(keyNode?.value)
        const childPointer = `${pointer}/${escapePointerSegment(key)}`
        // The first few are listed, the rest counted (limitPerCode turns them into "… and K more").
        if (seen.has(key) && ++count <= MAX_VIOLATIONS_PER_CODE)
          found.push({
            severity: 'error',
            code: 'json.duplicate-key',
            pointer: childPointer,
            message: `duplicate key ${quoteForMessage(key.slice(0, 100))}: parsers disagree on which value wins`,
            ...locate(property.offset),
          })
        seen.add(key)
        if (valueNode) walk(valueNode, childPointer)
      }
    } else if (node.type === 'array') {
      node.children?.forEach((child, index) => walk(child, `${pointer}/${index}`))
    }
  }
  walk(tree, '')
  if (count > found.length)
    found.push({severity: 'error', code: 'json.duplicate-key', pointer: '', message: '', more: count - found.length})
  return limitPerCode(found)
}

function lineStarts(text: string): number[] {
  const starts = [0]
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) === 10) starts.push(i + 1)
  return starts
}

function offsetToLineColumn(starts: number[], offset: number): {line: number; column: number} {
  let low = 0
  let high = starts.length - 1
  while (low < high) {
    const mid = (low + high + 1) >> 1
    if (starts[mid]! <= offset) low = mid
    else high = mid - 1
  }
  return {line: low + 1, column: offset - starts[low]! + 1}
}
