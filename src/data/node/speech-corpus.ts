/**
 * Spoken corpora, made locally: the SNIPS utterances or the UCI review sentences spoken by eSpeak NG
 * with several English voices, rates and pitches (all seeded), resampled to 16 kHz mono int16 and packed
 * per split, generated on first use into the data cache. Node only. (Issue 22: ears for `mtl agent`.)
 *
 * API (also what `mtl data speak` runs):
 *
 *   loadSpokenCorpus({ corpus: 'snips' | 'sentiment', split: 'train' | 'dev' | 'test', limit?, sizes?,
 *                      seed?, voices?, rates?, pitches?, dataDir?, cacheDir?, espeak?, concurrency?,
 *                      progress?, generate?, force? })
 *     → { utterances: SpokenUtterance[], manifest, dir }
 *   loadSpokenSplits(same, without split) → { train, dev, test, manifest, dir }
 *   ensureSpokenCorpus(same) → { dir, manifest, counts, generated, where }   (generates, loads nothing)
 *
 *   SpokenUtterance = { id, text (as spoken), tokens, voice, rate, pitch, samples: Int16Array (16 kHz),
 *                       intent?, tags? (SNIPS: one BIO tag per token), sentiment? (0 | 1), domain? }
 *   (divide samples by 32768 for floats; logMel in src/data/audio takes the Int16Array as it is).
 *
 * Which utterances: per split the first n of a seeded order (./speech-texts.ts), n = min(sizes[split]
 * (DEFAULT_SIZES in src/data/speech/plan.ts), limit, the split's size). Voices, rates, pitches and the voice
 * split (no test voice in train or dev): src/data/speech/plan.ts.
 *
 * The cache: `<cache>/spoken/<corpus>-<key>/` where <cache> is dataCacheDir() (or `cacheDir`) and <key>
 * the first 12 hex digits of the sha256 of the settings that determine the audio (seed, voices, ranges,
 * sample rate, resampler, espeak arguments, digest of the texts — not the sizes). It holds manifest.json
 * (settings, espeak-ng's version, per split count / samples / seconds / sha256 of the pcm), and per split
 * `<split>.pcm` (int16 little-endian, utterances back to back) and `<split>.json` (each utterance's text,
 * labels, voice, rate, pitch, offset and length in samples). A data folder (`dataDir`, $MTL_DATA_DIR)
 * holding `spoken/<corpus>-<key>/` is used as it is. Nothing is generated when a folder with these
 * settings holds at least the utterances asked for (only those are read); otherwise the folder is made
 * again with the larger counts, the utterances it already had copied over (they are the same: every draw
 * depends only on the utterance's position), the rest spoken by `concurrency` espeak-ng processes
 * (default 2–4) with a progress bar on stderr. It is written into `spoken/.tmp-…` and renamed into place
 * at the end, so a killed run leaves no folder that looks complete (its temporary folder is removed by the
 * next run once its process is gone); a folder whose manifest or file sizes do not check out is made
 * again. espeak-ng is needed only to generate: a complete cache loads without it. espeak-ng's version is
 * recorded, not part of the key (an upgrade does not throw away a cache; `force` regenerates).
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { resampleSettings } from '../audio/resample.js';
import { DataError } from '../errors.js';
import {
  checkRange, checkVoiceSplit, DEFAULT_PITCHES, DEFAULT_RATES, DEFAULT_SIZES, planUtterance, SPOKEN_CORPORA, SPOKEN_SAMPLE_RATE, SPOKEN_SPLITS,
  type SpokenCorpusName, type SpokenIndexEntry, type SpokenManifest, type SpokenSettings, type SpokenSplit, type SpokenSplitSummary, type SpokenUtterance, type VoiceSplit,
} from '../speech/plan.js';
import { DataUnavailableError } from '../store/download.js';
import { dataCacheDir, explicitDataDir } from '../store/paths.js';
import { stderrCountProgress } from '../store/progress.js';
import { checkVoicesInstalled, ESPEAK_ARGS, probeEspeak, speak, type Espeak } from './speech-espeak.js';
import { readSpokenTexts, type SpokenText } from './speech-texts.js';

export interface SpokenCorpusOptions {
  corpus: SpokenCorpusName;
  /** Seeds the order of the texts, the sentiment split and every voice / rate / pitch draw. Default 0. */
  seed?: number;
  /** Utterances per split (default DEFAULT_SIZES[corpus]; more than a split has means all of it). */
  sizes?: Partial<Record<SpokenSplit, number>>;
  /** At most this many utterances in every split. */
  limit?: number;
  voices?: Partial<VoiceSplit>;
  /** Words per minute [min, max], default [150, 200]. */
  rates?: [number, number];
  /** eSpeak pitch [min, max] in 0..99, default [35, 65]. */
  pitches?: [number, number];
  /** Where the texts are (and a pre-made spoken/ folder may be): as every loader's dataDir. */
  dataDir?: string;
  /** Folder holding spoken/ (default: the data cache, dataCacheDir()). */
  cacheDir?: string;
  /** The espeak-ng program (default $MTL_ESPEAK, else `espeak-ng` on PATH). */
  espeak?: string;
  /** espeak-ng processes at once (default min(4, max(2, CPUs))). */
  concurrency?: number;
  /** Progress on stderr (default true), or a callback (done, total). */
  progress?: boolean | ((done: number, total: number) => void);
  /** Generate what is missing (default true); false: a missing corpus is a DataUnavailableError. */
  generate?: boolean;
  /** Regenerate even when the cache holds the corpus. */
  force?: boolean;
}

export interface SpokenCorpusInfo {
  dir: string;
  manifest: SpokenManifest;
  /** The utterances asked for, per split (≤ the manifest's counts). */
  counts: Record<SpokenSplit, number>;
  /** Made by this call. */
  generated: boolean;
  where: 'data-dir' | 'cache';
}

const MANIFEST = 'manifest.json';
const LITTLE_ENDIAN = new Uint8Array(new Uint16Array([1]).buffer)[0] === 1;

function positiveInt(v: unknown, what: string): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < 1) throw new Error(`spoken corpus: ${what} must be a positive integer, got ${String(v)}`);
  return v;
}

interface Resolved {
  corpus: SpokenCorpusName;
  settings: SpokenSettings;
  key: string;
  name: string;
  texts: Record<SpokenSplit, SpokenText[]>;
  counts: Record<SpokenSplit, number>;
}

async function resolve(options: SpokenCorpusOptions): Promise<Resolved> {
  const corpus = options.corpus;
  if (!SPOKEN_CORPORA.includes(corpus)) throw new Error(`spoken corpus: unknown corpus '${String(corpus)}' (${SPOKEN_CORPORA.join(' or ')})`);
  const seed = options.seed ?? 0;
  if (!Number.isInteger(seed) || seed < 0) throw new Error(`spoken corpus: seed must be a non-negative integer, got ${seed}`);
  const voices = checkVoiceSplit(options.voices);
  const rates = checkRange(options.rates, DEFAULT_RATES, 'rates (words per minute)', 80, 450);
  const pitches = checkRange(options.pitches, DEFAULT_PITCHES, 'pitches', 0, 99);
  const limit = options.limit === undefined ? Infinity : positiveInt(options.limit, 'limit');
  const text = await readSpokenTexts(corpus, seed, options.dataDir);
  const settings: SpokenSettings = {
    format: 1, corpus, seed, voices, rates, pitches, sampleRate: SPOKEN_SAMPLE_RATE,
    resampler: resampleSettings(), espeakArgs: [...ESPEAK_ARGS], textDigest: text.digest,
  };
  const key = createHash('sha256').update(JSON.stringify(settings)).digest('hex').slice(0, 12);
  const counts = {} as Record<SpokenSplit, number>;
  for (const s of SPOKEN_SPLITS) {
    const size = options.sizes?.[s] === undefined ? DEFAULT_SIZES[corpus][s] : positiveInt(options.sizes[s], `sizes.${s}`);
    counts[s] = Math.min(size, limit, text.splits[s].length);
  }
  return { corpus, settings, key, name: `${corpus}-${key}`, texts: text.splits, counts };
}

/** The manifest of a complete corpus folder with this key, or undefined (missing, half-written, damaged). */
export function readSpokenManifest(dir: string, key?: string): SpokenManifest | undefined {
  try {
    const m = JSON.parse(fs.readFileSync(path.join(dir, MANIFEST), 'utf8')) as SpokenManifest;
    if (m.format !== 'mtljs-spoken-corpus' || (key !== undefined && m.key !== key)) return undefined;
    for (const s of SPOKEN_SPLITS) {
      const split = m.splits?.[s];
      if (!split || !Number.isInteger(split.count) || !Number.isInteger(split.samples)) return undefined;
      if (fs.statSync(path.join(dir, `${s}.pcm`)).size !== 2 * split.samples) return undefined;
      if (!fs.statSync(path.join(dir, `${s}.json`)).isFile()) return undefined;
    }
    return m;
  } catch {
    return undefined;
  }
}

const covers = (m: SpokenManifest, counts: Record<SpokenSplit, number>) => SPOKEN_SPLITS.every((s) => m.splits[s].count >= counts[s]);

/** Removes temporary folders of generations whose process is gone (killed runs). */
function removeStale(root: string): void {
  let names: string[];
  try {
    names = fs.readdirSync(root);
  } catch {
    return;
  }
  for (const name of names) {
    const m = /^\.(?:tmp|old)-.*-(\d+)-[0-9a-f]{8}$/.exec(name);
    if (!m) continue;
    const pid = Number(m[1]);
    let alive = pid === process.pid;
    if (!alive) {
      try {
        process.kill(pid, 0);
        alive = true;
      } catch (e) {
        alive = (e as NodeJS.ErrnoException).code === 'EPERM';
      }
    }
    if (!alive) fs.rmSync(path.join(root, name), { recursive: true, force: true });
  }
}

function toLittleEndianBytes(samples: Int16Array): Buffer {
  const b = Buffer.from(samples.buffer, samples.byteOffset, samples.byteLength);
  if (LITTLE_ENDIAN) return b;
  const copy = Buffer.from(b);
  copy.swap16();
  return copy;
}

function fromLittleEndianBytes(bytes: Buffer): Int16Array {
  const aligned = LITTLE_ENDIAN && bytes.byteOffset % 2 === 0 ? bytes : Buffer.from(bytes);
  if (!LITTLE_ENDIAN) aligned.swap16();
  return new Int16Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 2);
}

interface SplitIndex {
  utterances: SpokenIndexEntry[];
}

/**
 * The first `count` utterances (default all) of one split of a corpus folder; reads only their part of
 * `<split>.pcm`.
 */
export function readSpokenSplit(dir: string, split: SpokenSplit, count?: number): SpokenUtterance[] {
  const label = path.join(dir, `${split}.json`);
  let index: SplitIndex;
  try {
    index = JSON.parse(fs.readFileSync(label, 'utf8')) as SplitIndex;
  } catch (e) {
    throw new DataError(`cannot read the spoken corpus index (${(e as Error).message}); delete ${dir} or run \`mtl data speak --force\``, label);
  }
  const entries = index.utterances.slice(0, count ?? index.utterances.length);
  let end = 0;
  for (const [i, e] of entries.entries()) {
    if (e.offset !== end || !Number.isInteger(e.length) || e.length < 0) throw new DataError(`utterance ${i} is not where the index says (offset ${e.offset}, expected ${end})`, label);
    end += e.length;
  }
  const pcmPath = path.join(dir, `${split}.pcm`);
  const bytes = Buffer.alloc(2 * end);
  const fd = fs.openSync(pcmPath, 'r');
  try {
    const got = bytes.length ? fs.readSync(fd, bytes, 0, bytes.length, 0) : 0;
    if (got !== bytes.length) throw new DataError(`truncated: ${got} of the ${bytes.length} bytes the index needs; delete ${dir} or run \`mtl data speak --force\``, pcmPath);
  } finally {
    fs.closeSync(fd);
  }
  const pcm = fromLittleEndianBytes(bytes);
  return entries.map(({ offset, length, ...rest }) => ({ ...rest, samples: pcm.subarray(offset, offset + length) }));
}

function describeVoiceSplit(v: VoiceSplit): string {
  const train = new Set(v.train);
  const devShared = v.dev.filter((x) => train.has(x));
  const dev = devShared.length === 0 ? 'dev has its own voices, heard in no other split' : devShared.length === v.dev.length ? 'dev is spoken by training voices' : `dev shares ${devShared.join(', ')} with train`;
  return `test voices (${v.test.join(', ')}) speak no train or dev utterance; ${dev}`;
}

interface Progress {
  tick: () => void;
  done: (ok: boolean) => void;
}

function progressFor(option: SpokenCorpusOptions['progress'], label: string, total: number): Progress {
  let n = 0;
  if (typeof option === 'function') {
    option(0, total);
    return { tick: () => option(++n, total), done: () => {} };
  }
  if (option === false) return { tick: () => {}, done: () => {} };
  const bar = stderrCountProgress(label, total, 'utterances');
  return { tick: () => bar.update(++n, total), done: (ok) => bar.done(ok) };
}

async function generate(r: Resolved, espeak: Espeak, root: string, options: SpokenCorpusOptions, previous: { dir: string; manifest: SpokenManifest } | undefined): Promise<string> {
  const counts = { ...r.counts };
  if (previous) for (const s of SPOKEN_SPLITS) counts[s] = Math.max(counts[s], previous.manifest.splits[s].count);
  const concurrency = options.concurrency === undefined ? Math.min(4, Math.max(2, os.availableParallelism())) : positiveInt(options.concurrency, 'concurrency');
  const tmp = path.join(root, `.tmp-${r.name}-${process.pid}-${randomBytes(4).toString('hex')}`);
  fs.mkdirSync(tmp, { recursive: true });
  const total = SPOKEN_SPLITS.reduce((a, s) => a + counts[s], 0);
  const progress = progressFor(options.progress, `mtljs: speaking ${r.corpus} with espeak-ng (${concurrency} processes)`, total);
  const { voices, rates, pitches, seed, resampler } = r.settings;
  const splits = {} as Record<SpokenSplit, SpokenSplitSummary>;
  let sourceRate = 0;
  try {
    for (const split of SPOKEN_SPLITS) {
      const n = counts[split];
      let reused: SpokenUtterance[] = [];
      try {
        if (previous) reused = readSpokenSplit(previous.dir, split);
      } catch {
        // a damaged index: speak everything again
      }
      const entries: SpokenIndexEntry[] = [];
      const ready = new Map<number, Int16Array>();
      const pcmPath = path.join(tmp, `${split}.pcm`);
      const fd = fs.openSync(pcmPath, 'w');
      const hash = createHash('sha256');
      let written = 0, offset = 0, next = 0, failed: unknown;
      const flush = () => {
        for (let s = ready.get(written); s; s = ready.get(written)) {
          ready.delete(written);
          const bytes = toLittleEndianBytes(s);
          for (let at = 0; at < bytes.length; ) at += fs.writeSync(fd, bytes, at);
          hash.update(bytes);
          const text = r.texts[split][written]!;
          entries.push({ ...text, ...planUtterance(seed, r.corpus, split, written, voices, rates, pitches), offset, length: s.length });
          offset += s.length;
          written++;
          progress.tick();
        }
      };
      const worker = async () => {
        while (failed === undefined && next < n) {
          const i = next++;
          const text = r.texts[split][i]!;
          const plan = planUtterance(seed, r.corpus, split, i, voices, rates, pitches);
          const old = reused[i];
          let samples: Int16Array;
          if (old && old.id === text.id && old.text === text.text && old.voice === plan.voice && old.rate === plan.rate && old.pitch === plan.pitch) {
            samples = old.samples;
          } else {
            const out = await speak(espeak, { text: text.text, ...plan }, path.join(tmp, `${split}-${i}.wav`), SPOKEN_SAMPLE_RATE, resampler);
            samples = out.samples;
            sourceRate = out.sourceRate;
          }
          ready.set(i, samples);
          flush();
        }
      };
      const results = await Promise.allSettled(Array.from({ length: Math.min(concurrency, Math.max(n, 1)) }, () => worker().catch((e: unknown) => {
        failed ??= e;
        throw e;
      })));
      fs.closeSync(fd);
      const rejected = results.find((x): x is PromiseRejectedResult => x.status === 'rejected');
      if (failed !== undefined || rejected) throw failed ?? rejected!.reason;
      fs.writeFileSync(path.join(tmp, `${split}.json`), JSON.stringify({ utterances: entries }));
      splits[split] = { count: n, available: r.texts[split].length, samples: offset, seconds: Math.round((offset / SPOKEN_SAMPLE_RATE) * 10) / 10, sha256: hash.digest('hex') };
    }
    const manifest: SpokenManifest = {
      format: 'mtljs-spoken-corpus',
      corpus: r.corpus,
      key: r.key,
      settings: r.settings,
      generator: {
        program: 'espeak-ng',
        version: espeak.version,
        sampleRate: sourceRate || (previous?.manifest.generator.sampleRate ?? 0),
        command: `${path.basename(espeak.binary)} ${ESPEAK_ARGS.join(' ')} -v <voice> -s <rate> -p <pitch> -w <file> --stdin  (text on stdin; resampled to ${SPOKEN_SAMPLE_RATE} Hz by ${resampler.method})`,
      },
      voiceSplit: describeVoiceSplit(voices),
      splits,
      files: [MANIFEST, ...SPOKEN_SPLITS.flatMap((s) => [`${s}.pcm`, `${s}.json`])],
      generatedAt: new Date().toISOString(),
    };
    fs.writeFileSync(path.join(tmp, MANIFEST), JSON.stringify(manifest, null, 2) + '\n');
    progress.done(true);
  } catch (e) {
    progress.done(false);
    fs.rmSync(tmp, { recursive: true, force: true });
    throw e;
  }
  const final = path.join(root, r.name);
  try {
    if (fs.existsSync(final)) {
      const old = path.join(root, `.old-${r.name}-${process.pid}-${randomBytes(4).toString('hex')}`);
      fs.renameSync(final, old);
      fs.renameSync(tmp, final);
      fs.rmSync(old, { recursive: true, force: true });
    } else {
      fs.renameSync(tmp, final);
    }
  } catch (e) {
    // Another process may have put a complete folder in place meanwhile.
    fs.rmSync(tmp, { recursive: true, force: true });
    const there = readSpokenManifest(final, r.key);
    if (!there || !covers(there, r.counts)) throw e;
  }
  return final;
}

/** Makes sure the corpus is on this machine (generating it when needed); reads no audio. */
export async function ensureSpokenCorpus(options: SpokenCorpusOptions): Promise<SpokenCorpusInfo> {
  const r = await resolve(options);
  const explicit = explicitDataDir(options.dataDir);
  if (explicit && !options.force) {
    const dir = path.join(explicit, 'spoken', r.name);
    const m = readSpokenManifest(dir, r.key);
    if (m && covers(m, r.counts)) return { dir, manifest: m, counts: r.counts, generated: false, where: 'data-dir' };
  }
  const root = path.join(options.cacheDir ? path.resolve(options.cacheDir) : dataCacheDir(), 'spoken');
  const dir = path.join(root, r.name);
  const existing = readSpokenManifest(dir, r.key);
  if (existing && !options.force && covers(existing, r.counts)) return { dir, manifest: existing, counts: r.counts, generated: false, where: 'cache' };
  if (options.generate === false) {
    throw new DataUnavailableError(`not generated yet (${existing ? 'the cache holds fewer utterances than asked for' : `no ${dir}`}); run \`mtl data speak ${r.corpus}\``, `spoken/${r.name}`);
  }
  const espeak = await probeEspeak(options.espeak);
  checkVoicesInstalled(espeak, [...new Set(SPOKEN_SPLITS.flatMap((s) => r.settings.voices[s]))]);
  fs.mkdirSync(root, { recursive: true });
  removeStale(root);
  const previous = existing && !options.force ? { dir, manifest: existing } : undefined;
  const made = await generate(r, espeak, root, options, previous);
  const manifest = readSpokenManifest(made, r.key);
  if (!manifest) throw new DataError('the generated corpus does not check out (manifest or file sizes)', made);
  return { dir: made, manifest, counts: r.counts, generated: true, where: 'cache' };
}

/** One split of a spoken corpus (generated first when needed): its utterances and the manifest. */
export async function loadSpokenCorpus(options: SpokenCorpusOptions & { split: SpokenSplit }): Promise<{ utterances: SpokenUtterance[]; manifest: SpokenManifest; dir: string }> {
  if (!SPOKEN_SPLITS.includes(options.split)) throw new Error(`spoken corpus: split must be train, dev or test, got '${String(options.split)}'`);
  const info = await ensureSpokenCorpus(options);
  return { utterances: readSpokenSplit(info.dir, options.split, info.counts[options.split]), manifest: info.manifest, dir: info.dir };
}

/** All three splits of a spoken corpus (generated first when needed). */
export async function loadSpokenSplits(options: SpokenCorpusOptions): Promise<Record<SpokenSplit, SpokenUtterance[]> & { manifest: SpokenManifest; dir: string }> {
  const info = await ensureSpokenCorpus(options);
  const read = (s: SpokenSplit) => readSpokenSplit(info.dir, s, info.counts[s]);
  return { train: read('train'), dev: read('dev'), test: read('test'), manifest: info.manifest, dir: info.dir };
}
