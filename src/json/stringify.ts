/**
 * JSON text as JSON.stringify writes it, except that a bigint is written as its exact decimal digits
 * (JSON.stringify throws on bigint; Node 20 has no JSON.rawJSON). Seccomp argument values are u64 and held
 * as bigint, so every JSON that can carry a profile is written through here. `indent` as JSON.stringify's
 * `space` (a number of spaces; 0 for one line).
 */
export function stringifyJson(value: unknown, indent = 0): string {
  return write(value, '', ' '.repeat(Math.min(Math.max(indent, 0), 10))) ?? 'null'
}

function write(value: unknown, currentIndent: string, step: string): string | undefined {
  if (value !== null && typeof value === 'object' && typeof (value as {toJSON?: unknown}).toJSON === 'function') {
    value = (value as {toJSON: () => unknown}).toJSON()
  }
  switch (typeof value) {
    case 'bigint':
      return value.toString()
    case 'number':
      return Number.isFinite(value) ? JSON.stringify(value) : 'null'
    case 'string':
    case 'boolean':
      return JSON.stringify(value)
    case 'object':
      if (value === null) return 'null'
      return Array.isArray(value)
        ? writeArray(value, currentIndent, step)
        : writeObject(value as Record<string, unknown>, currentIndent, step)
    default:
      return undefined // undefined, functions and symbols: left out of objects, null in arrays
  }
}

function writeArray(items: unknown[], currentIndent: string, step: string): string {
  if (items.length === 0) return '[]'
  const inner = currentIndent + step
  const parts = items.map((item) => write(item, inner, step) ?? 'null')
  return step === '' ? `[${parts.join(',')}]` : `[\n${inner}${parts.join(`,\n${inner}`)}\n${currentIndent}]`
}

function writeObject(object: Record<string, unknown>, currentIndent: string, step: string): string {
  const inner = currentIndent + step
  const parts: string[] = []
  for (const key of Object.keys(object)) {
    const text = write(object[key], inner, step)
    if (text !== undefined) parts.push(`${JSON.stringify(key)}:${step === '' ? '' : ' '}${text}`)
  }
  if (parts.length === 0) return '{}'
  return step === '' ? `{${parts.join(',')}}` : `{\n${inner}${parts.join(`,\n${inner}`)}\n${currentIndent}}`
}
