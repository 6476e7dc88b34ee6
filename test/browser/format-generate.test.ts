/**
 * The shared answer formatter (server and browser runtime) on a generate task: the ids up to <eos> as tokens, copy
 * tokens read back as the row's own tokens, and a frame-shaped sequence written as a frame.
 */
import { describe, expect, it } from 'vitest';
import { formatRows, taskUnits } from '../../src/browser/format.js';
import { copyToken, GENERATE_IDS } from '../../src/data/generate-targets.js';

// <pad> <bos> <eos>, then the frame vocabulary, then copies of input positions 0..3.
const vocab = ['<pad>', '<bos>', '<eos>', 'PlayMusic', '(', ')', '=', ';', 'artist', 'service', 'spotify', copyToken(0), copyToken(1), copyToken(2), copyToken(3)];
const id = (t: string) => vocab.indexOf(t);
const task = { name: 'frame', kind: 'generate', width: 10, outputSize: vocab.length, labelNames: vocab };

describe('formatRows: generate', () => {
  it('reads ids to <eos>, copies as the row tokens, and writes a frame', () => {
    expect(taskUnits(task)).toBe(10);
    // PlayMusic ( artist = <copy:1> <copy:2> ; service = spotify ) <eos> — for "play daft punk on spotify" the copies are "daft punk".
    const row = ['PlayMusic', '(', 'artist', '=', copyToken(1), copyToken(2), ';', 'service', '=', 'spotify'].map(id);
    const withEos = [...row.slice(0, 9), GENERATE_IDS.eos];
    const [a, b] = formatRows([task], { frame: [...row, ...withEos] }, 2, [['play', 'daft', 'punk', 'on', 'spotify'], ['play', 'daft', 'punk']]);
    expect(a!.frame).toEqual({ tokens: ['PlayMusic', '(', 'artist', '=', 'daft', 'punk', ';', 'service', '=', 'spotify'], text: 'PlayMusic ( artist = daft punk ; service = spotify' }); // width 10: no room for ')'
    // Cut at <eos>: the tokens before it; not frame-shaped (no closing parenthesis) → joined by spaces.
    expect(b!.frame).toEqual({ tokens: ['PlayMusic', '(', 'artist', '=', 'daft', 'punk', ';', 'service', '='], text: 'PlayMusic ( artist = daft punk ; service =' });
  });

  it('writes a closed frame compactly and leaves copies as tokens without the row tokens', () => {
    const ids = ['PlayMusic', '(', 'artist', '=', copyToken(0), ')'].map(id).concat([GENERATE_IDS.eos, 0, 0, 0]);
    expect(formatRows([task], { frame: ids }, 1, [['queen']])[0]!.frame).toEqual({ tokens: ['PlayMusic', '(', 'artist', '=', 'queen', ')'], text: 'PlayMusic(artist=queen)' });
    expect(formatRows([task], { frame: ids }, 1)[0]!.frame).toMatchObject({ tokens: ['PlayMusic', '(', 'artist', '=', copyToken(0), ')'] });
  });
});
