/**
 * The spoken-corpus generator (src/data/node/speech-corpus.ts) with the real espeak-ng (Debian's
 * package; .ci/run installs it): six SNIPS utterances with two voices, checked against espeak-ng run
 * here by hand; the manifest; the voice split; byte-identical regeneration; reuse of a cache (without
 * espeak-ng); a killed run's leftovers; a missing espeak-ng. Each generation speaks ≤ 6 utterances.
 */
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { readWav } from '../../../src/data/audio/wav.js';
import { resample } from '../../../src/data/audio/resample.js';
import { readSnips } from '../../../src/data/loaders/snips.js';
import { ensureSpokenCorpus, loadSpokenCorpus, loadSpokenSplits, type SpokenCorpusOptions } from '../../../src/data/node/speech-corpus.js';
import { probeEspeak, SpeechSynthesisError, SpeechSynthesizerMissingError } from '../../../src/data/node/speech-espeak.js';
import { checkVoiceSplit, DEFAULT_VOICES, planUtterance, SPOKEN_SPLITS } from '../../../src/data/speech/plan.js';

const TWO_VOICES = { train: ['en-us+m1'], dev: ['en-us+m1'], test: ['en-gb-x-rp+f2'] };
let tmp: string;
const base = (): SpokenCorpusOptions => ({ corpus: 'snips', limit: 2, voices: TWO_VOICES, cacheDir: path.join(tmp, 'cache'), progress: false });

beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-speech-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

describe('spoken corpus generator', () => {
  let first: Awaited<ReturnType<typeof loadSpokenSplits>>;
  const ticks: number[] = [];

  it('speaks 2 utterances per split with 2 voices, as espeak-ng itself does, with their SNIPS labels', async () => {
    first = await loadSpokenSplits({ ...base(), progress: (done, total) => ticks.push(done / total) });
    expect(ticks.at(-1)).toBe(1);
    const snips = await readSnips();
    for (const split of SPOKEN_SPLITS) {
      const us = first[split];
      expect(us.length).toBe(2);
      for (const u of us) {
        expect(u.voice).toBe(split === 'test' ? 'en-gb-x-rp+f2' : 'en-us+m1');
        expect(u.rate).toBeGreaterThanOrEqual(150);
        expect(u.rate).toBeLessThanOrEqual(200);
        expect(u.pitch).toBeGreaterThanOrEqual(35);
        expect(u.pitch).toBeLessThanOrEqual(65);
        const line = Number(u.id.split('/')[2]);
        expect(u.id).toBe(`snips/${split}/${line}`);
        expect(u.tokens).toEqual(snips[split].tokens[line]);
        expect(u.tags).toEqual(snips[split].tags[line]);
        expect(u.intent).toBe(snips[split].intents[line]);
        expect(u.text).toBe(u.tokens.join(' '));
        // 9-ish words at 150–200 wpm: seconds, not silence
        expect(u.samples.length / 16000).toBeGreaterThan(0.4);
        expect(u.samples.length / 16000).toBeLessThan(15);
        const rms = Math.sqrt(u.samples.reduce((a, x) => a + x * x, 0) / u.samples.length) / 32768;
        expect(rms).toBeGreaterThan(0.01);
      }
    }
    // The first test utterance, spoken here by hand with the recorded voice, rate and pitch, then resampled:
    const u = first.test[0]!;
    const wav = path.join(tmp, 'by-hand.wav');
    execFileSync('espeak-ng', ['-b', '1', '-z', '-v', u.voice, '-s', String(u.rate), '-p', String(u.pitch), '-w', wav, '--stdin'], { input: u.text });
    const w = readWav(fs.readFileSync(wav));
    expect(w.sampleRate).toBe(22050);
    const expected = resample(w.samples, 22050, 16000);
    expect(u.samples.length).toBe(expected.length);
    let worst = 0;
    for (let i = 0; i < expected.length; i++) worst = Math.max(worst, Math.abs(u.samples[i]! - expected[i]! * 32768));
    expect(worst).toBeLessThanOrEqual(0.5 + 1e-6); // int16 rounding only
  });

  it('records espeak-ng\'s version and every setting in manifest.json beside the packed splits', () => {
    const m = first.manifest;
    const version = execFileSync('espeak-ng', ['--version'], { encoding: 'utf8' });
    expect(version.startsWith(m.generator.version)).toBe(true);
    expect(m.generator.version).toMatch(/^eSpeak NG text-to-speech: \d+\.\d+/);
    expect(m.generator.sampleRate).toBe(22050);
    expect(m.settings).toMatchObject({ corpus: 'snips', seed: 0, voices: TWO_VOICES, rates: [150, 200], pitches: [35, 65], sampleRate: 16000, espeakArgs: ['-b', '1', '-z'] });
    expect(m.settings.resampler).toMatchObject({ method: 'kaiser-windowed sinc', zeroCrossings: 16 });
    expect(m.voiceSplit).toMatch(/dev is spoken by training voices/);
    expect(path.basename(first.dir)).toBe(`snips-${m.key}`);
    const onDisk = JSON.parse(fs.readFileSync(path.join(first.dir, 'manifest.json'), 'utf8'));
    expect(onDisk).toEqual(m);
    for (const s of SPOKEN_SPLITS) {
      const pcm = fs.readFileSync(path.join(first.dir, `${s}.pcm`));
      expect(m.splits[s]).toMatchObject({ count: 2, available: s === 'train' ? 13084 : 700, samples: pcm.length / 2, sha256: sha256(pcm) });
      expect(m.splits[s].samples).toBe(first[s].reduce((a, u) => a + u.samples.length, 0));
    }
    expect(fs.readdirSync(first.dir).sort()).toEqual(['dev.json', 'dev.pcm', 'manifest.json', 'test.json', 'test.pcm', 'train.json', 'train.pcm']);
  });

  it('keeps test voices out of training: in what it made, in 3,000 draws of the default voices, and by refusing a leak', () => {
    const heard = new Set([...first.train, ...first.dev].map((u) => u.voice));
    for (const u of first.test) expect(heard.has(u.voice)).toBe(false);
    const v = checkVoiceSplit();
    const used = { train: new Set<string>(), dev: new Set<string>(), test: new Set<string>() };
    for (const s of SPOKEN_SPLITS) for (let i = 0; i < 1000; i++) used[s].add(planUtterance(0, 'snips', s, i, v, [150, 200], [35, 65]).voice);
    expect([...used.train].sort()).toEqual([...DEFAULT_VOICES.train].sort()); // every voice is used
    expect([...used.test].sort()).toEqual([...DEFAULT_VOICES.test].sort());
    for (const x of used.test) expect(used.train.has(x) || used.dev.has(x)).toBe(false);
    // no voice file or variant of the test set is heard in train or dev
    const parts = (s: Set<string>) => new Set([...s].flatMap((x) => x.split('+')));
    const trainParts = parts(new Set([...used.train, ...used.dev]));
    for (const p of parts(used.test)) expect(trainParts.has(p)).toBe(false);
    expect(() => checkVoiceSplit({ train: ['en-us+m1', 'en+f2'], test: ['en+f2'] })).toThrow(/test voice\(s\) en\+f2 also speak train or dev/);
    expect(() => checkVoiceSplit({ dev: [] })).toThrow(/no dev voices/);
  });

  it('gives byte-identical audio for the same seed (a fresh generation), other audio for another seed', async () => {
    const again = await ensureSpokenCorpus({ ...base(), cacheDir: path.join(tmp, 'cache2') });
    expect(again.generated).toBe(true);
    expect(again.manifest.key).toBe(first.manifest.key);
    for (const s of SPOKEN_SPLITS) {
      expect(fs.readFileSync(path.join(again.dir, `${s}.pcm`)).equals(fs.readFileSync(path.join(first.dir, `${s}.pcm`)))).toBe(true);
      expect(fs.readFileSync(path.join(again.dir, `${s}.json`), 'utf8')).toBe(fs.readFileSync(path.join(first.dir, `${s}.json`), 'utf8'));
    }
    const other = await loadSpokenCorpus({ ...base(), split: 'test', limit: 1, seed: 1, cacheDir: path.join(tmp, 'cache3') });
    expect(other.manifest.key).not.toBe(first.manifest.key);
    expect(other.utterances[0]!.id).not.toBe(first.test[0]!.id);
  });

  it('reuses a cache that holds enough (no espeak-ng needed), and extends one that holds too few', async () => {
    const cached = await loadSpokenCorpus({ ...base(), split: 'dev', limit: 1, espeak: path.join(tmp, 'no-such-espeak') });
    expect(cached.dir).toBe(first.dir);
    expect(cached.utterances.length).toBe(1);
    expect(cached.utterances[0]!.samples).toEqual(first.dev[0]!.samples);
    await expect(loadSpokenCorpus({ ...base(), split: 'dev', limit: 3, generate: false })).rejects.toThrow(/not generated yet.*mtl data speak snips/);
    const bigger = await ensureSpokenCorpus({ ...base(), limit: 3, sizes: { train: 2, test: 2 } });
    expect(bigger.generated).toBe(true);
    expect(bigger.dir).toBe(first.dir);
    expect(SPOKEN_SPLITS.map((s) => bigger.manifest.splits[s].count)).toEqual([2, 3, 2]);
    const dev = (await loadSpokenCorpus({ ...base(), split: 'dev', limit: 3, sizes: { train: 2, test: 2 }, espeak: path.join(tmp, 'no-such-espeak') })).utterances;
    expect(dev.slice(0, 2).map((u) => [u.id, u.voice, [...u.samples]])).toEqual(first.dev.map((u) => [u.id, u.voice, [...u.samples]]));
  });

  it('redoes a damaged folder and removes the temporary folder of a killed run', async () => {
    const root = path.dirname(first.dir);
    const deadPid = 2 ** 22 + 1; // above Linux's largest pid_max (2^22) and macOS's 99,999: no such process
    const stale = path.join(root, `.tmp-${path.basename(first.dir)}-${deadPid}-0badc0de`);
    fs.mkdirSync(stale);
    fs.writeFileSync(path.join(stale, 'train.pcm'), Buffer.alloc(100));
    fs.truncateSync(path.join(first.dir, 'test.pcm'), 1000); // as if cut short
    const redone = await ensureSpokenCorpus(base());
    expect(redone.generated).toBe(true);
    expect(fs.existsSync(stale)).toBe(false);
    expect(fs.readdirSync(root).filter((n) => n.startsWith('.'))).toEqual([]);
    const test = fs.readFileSync(path.join(redone.dir, 'test.pcm'));
    expect(test.length).toBe(2 * redone.manifest.splits.test.samples);
    expect(sha256(test)).toBe(first.manifest.splits.test.sha256);
  });

  it('says how to install espeak-ng when it is missing (a named program, or none on PATH)', async () => {
    const opts = { ...base(), cacheDir: path.join(tmp, 'empty') };
    await expect(ensureSpokenCorpus({ ...opts, espeak: path.join(tmp, 'no-such-espeak') })).rejects.toThrow(SpeechSynthesizerMissingError);
    const saved = process.env['PATH'];
    process.env['PATH'] = path.join(tmp, 'empty-bin');
    try {
      const err = await ensureSpokenCorpus(opts).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(SpeechSynthesizerMissingError);
      expect((err as Error).message).toMatch(/`espeak-ng` was not found.*sudo apt-get install espeak-ng/);
    } finally {
      process.env['PATH'] = saved;
    }
    expect(fs.existsSync(path.join(tmp, 'empty', 'spoken', `snips-${first.manifest.key}`))).toBe(false);
  });

  it('refuses a voice espeak-ng does not have (it would silently use its default voice)', async () => {
    const espeak = await probeEspeak();
    expect(espeak.voices.has('en-us')).toBe(true);
    expect(espeak.variants.has('f2')).toBe(true);
    await expect(ensureSpokenCorpus({ ...base(), voices: { ...TWO_VOICES, test: ['en-gb+f2x'] } })).rejects.toThrow(SpeechSynthesisError);
    await expect(ensureSpokenCorpus({ ...base(), voices: { ...TWO_VOICES, test: ['en-xx+f2'] } })).rejects.toThrow(/unknown voice\(s\): en-xx\+f2 \(no voice file 'en-xx'\)/);
  });
});
