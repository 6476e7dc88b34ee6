/**
 * A semantic frame as tokens ↔ as text. The SNIPS frame targets (src/data/loaders/snips-frame.ts) are the tokens
 * `PlayMusic ( artist = daft punk ; service = spotify )`; people read `PlayMusic(artist=daft punk; service=spotify)`.
 * Pure code (no tfjs, no Node): the answer formatter of the server and the browser runtime uses it too.
 */

/** Frame tokens (generated or gold) back to the frame string: `PlayMusic ( artist = daft punk )` → `PlayMusic(artist=daft punk)`. */
export function frameText(tokens: readonly string[]): string {
  if (tokens.length === 0) return '';
  const rest = tokens.slice(1).join(' ').replace(/^\( ?/, '(').replace(/ ?\)$/, ')').replace(/ = /g, '=').replace(/ ; /g, '; ');
  return `${tokens[0]}${rest}`;
}

/** Whether tokens have a frame's shape: a name, then `(` … `)`. */
export function isFrameShaped(tokens: readonly string[]): boolean {
  return tokens.length >= 3 && tokens[1] === '(' && tokens[tokens.length - 1] === ')';
}

/** Generated tokens as text: a frame-shaped sequence as its frame string, anything else joined by spaces. */
export function generatedText(tokens: readonly string[]): string {
  return isFrameShaped(tokens) ? frameText(tokens) : tokens.join(' ');
}
