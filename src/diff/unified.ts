import type {ChalkInstance} from 'chalk'

/** A unified diff of two texts (the normalised profiles' JSON); '' when they are equal. `diff` loads only for --unified. */
export async function unifiedDiff(
  fromLabel: string,
  toLabel: string,
  fromText: string,
  toText: string,
): Promise<string> {
  if (fromText === toText) return ''
  const {createTwoFilesPatch} = await import('diff')
  return createTwoFilesPatch(fromLabel, toLabel, fromText, toText, undefined, undefined, {context: 3})
}

/** The patch with additions green, removals red, hunk headers cyan and file headers bold. */
export function colourUnifiedDiff(patch: string, c: ChalkInstance): string {
  return patch
    .split('\n')
    .map((line) => {
      if (line.startsWith('+++') || line.startsWith('---') || line.startsWith('===')) return c.bold(line)
      if (line.startsWith('@@')) return c.cyan(line)
      if (line.startsWith('+')) return c.green(line)
      if (line.startsWith('-')) return c.red(line)
      return line
    })
    .join('\n')
}
