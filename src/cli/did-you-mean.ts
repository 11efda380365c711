import levenshtein from 'fast-levenshtein'

/**
 * The candidate closest to what was typed (a command, a flag), when it is close enough to be what was meant:
 * at most a third of the typed length apart (2 edits for short words), or the typed text is its prefix.
 */
export function closestMatch(typed: string, candidates: readonly string[]): string | undefined {
  let best: {candidate: string; distance: number} | undefined
  for (const candidate of candidates) {
    const distance = candidate.startsWith(typed) && typed.length >= 3 ? 0.5 : levenshtein.get(typed, candidate)
    if (best === undefined || distance < best.distance) best = {candidate, distance}
  }
  if (best === undefined || best.distance > Math.max(2, Math.floor(typed.length / 3))) return undefined
  return best.candidate
}
