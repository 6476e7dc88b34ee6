import { describe, expect, it } from 'vitest';
import { loadSnips, readSnips } from '../../../src/data/loaders/snips.js';
import { frameCopyTokens, frameString, frameText, frameTokens, snipsFrame } from '../../../src/data/loaders/snips-frame.js';
import { copyCount, decodeIds, generateVocabulary } from '../../../src/data/generate-targets.js';
import { extractSpans } from '../../../src/tasks/spans.js';

describe('SNIPS text-to-frame', () => {
  it('turns intent + BIO slots into the frame string and its target tokens (hand examples)', () => {
    const f = snipsFrame('PlayMusic', ['play', 'daft', 'punk', 'on', 'spotify'], ['O', 'B-artist', 'I-artist', 'O', 'B-service']);
    expect(frameString(f)).toBe('PlayMusic(artist=daft punk; service=spotify)');
    expect(frameTokens(f)).toEqual(['PlayMusic', '(', 'artist', '=', 'daft', 'punk', ';', 'service', '=', 'spotify', ')']);
    expect(frameText(frameTokens(f))).toBe(frameString(f));
    // No slot; two adjacent spans of one type (B starts a new one); an I- that does not continue its type starts one.
    expect(frameString(snipsFrame('SearchCreativeWork', ['find', 'it'], ['O', 'O']))).toBe('SearchCreativeWork()');
    expect(frameText(frameTokens(snipsFrame('SearchCreativeWork', ['find', 'it'], ['O', 'O'])))).toBe('SearchCreativeWork()');
    const g = snipsFrame('AddToPlaylist', ['add', 'a', 'b', 'c', 'd'], ['O', 'B-x', 'B-x', 'I-y', 'I-y']);
    expect(g.slots).toEqual([{ type: 'x', value: 'a' }, { type: 'x', value: 'b' }, { type: 'y', value: 'c d' }]);
    expect(frameString(g)).toBe('AddToPlaylist(x=a; x=b; y=c d)');
    expect(() => snipsFrame('X', ['a'], [])).toThrow(/1 tokens but 0 tags/);
  });

  it('copy targets: each value word as the copy token of its input position; a word past L stays itself', () => {
    const tokens = ['play', 'daft', 'punk', 'on', 'spotify'], tags = ['O', 'B-artist', 'I-artist', 'O', 'B-service'];
    expect(frameCopyTokens('PlayMusic', tokens, tags, 5)).toEqual(['PlayMusic', '(', 'artist', '=', '<copy:1>', '<copy:2>', ';', 'service', '=', '<copy:4>', ')']);
    expect(frameCopyTokens('PlayMusic', tokens, tags, 4).slice(-2)).toEqual(['spotify', ')']);
    // Read back with the utterance: the frame itself.
    const names = generateVocabulary(frameCopyTokens('PlayMusic', tokens, tags, 5), { copy: 5 });
    const ids = frameCopyTokens('PlayMusic', tokens, tags, 5).map((t) => names.indexOf(t));
    expect(frameText(decodeIds([...ids, 2], names, tokens))).toBe('PlayMusic(artist=daft punk; service=spotify)');
    expect(() => frameCopyTokens('X', ['a'], [], 3)).toThrow(/1 tokens but 0 tags/);
  });

  it('reads the slots as conlleval does (src/tasks/spans.ts) on every SNIPS training utterance', async () => {
    const raw = await readSnips();
    raw.train.tokens.forEach((tokens, i) => {
      const tags = raw.train.tags[i]!;
      const want = extractSpans(tags).map((s) => ({ type: s.type, value: tokens.slice(s.start, s.end + 1).join(' ') }));
      expect(snipsFrame(raw.train.intents[i]!, tokens, tags).slots).toEqual(want);
    });
  });

  it('loadSnips({ frame: true }) adds the frame task: the first training line, U and the vocabulary from the training split', async () => {
    const split = await loadSnips({ frame: true, limit: 500 });
    const spec = split.train.tasks.find((t) => t.name === 'frame')!;
    expect(spec.kind).toBe('generate');
    expect(split.test.tasks.map((t) => t.name)).toEqual(['intent', 'slots', 'frame']);
    const U = spec.width, names = spec.labelNames!, L = split.train.inputShape[0]!;
    expect(names.slice(0, 4)).toEqual(['<pad>', '<bos>', '<eos>', '<unk>']);
    // Copy targets: the vocabulary is the frame's own tokens (7 intents, slot types, ( ) = ;) and L copy tokens.
    expect(copyCount(names)).toBe(L);
    expect(names.length).toBeLessThan(4 + 7 + 40 + 4 + L);
    // "listen to westbam alumb allergic on google music" / O O B-artist O B-album O B-service I-service, PlayMusic
    const raw = await readSnips();
    const first = decodeIds(split.train.labels.frame!.subarray(0, U), names);
    expect(first.join(' ')).toBe('PlayMusic ( artist = <copy:2> ; album = <copy:4> ; service = <copy:6> <copy:7> )');
    expect(frameText(decodeIds(split.train.labels.frame!.subarray(0, U), names, raw.train.tokens[0]))).toBe('PlayMusic(artist=westbam; album=allergic; service=google music)');
    // U = the longest training target + <eos>: some row fills it, none is longer.
    let longest = 0;
    for (let i = 0; i < split.train.n; i++) longest = Math.max(longest, decodeIds(split.train.labels.frame!.subarray(i * U, (i + 1) * U), names).length);
    expect(longest).toBe(U - 1);
    expect(split.dev!.labels.frame!.length).toBe(700 * U);
    const plain = await loadSnips({ limit: 500 });
    expect(plain.train.tasks.map((t) => t.name)).toEqual(['intent', 'slots']);
  });
});
