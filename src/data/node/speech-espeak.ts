/**
 * eSpeak NG (github.com/espeak-ng/espeak-ng; Debian package `espeak-ng`) as a child process: finding it,
 * its version and voices, and speaking one text into 16 kHz int16 samples. Node only.
 *
 * One process per utterance: `espeak-ng -b 1 -z -v <voice> -s <rate> -p <pitch> -w <file> --stdin`
 * with the text on stdin (so a text that starts with `-` is never taken for an option). `-b 1`: UTF-8
 * input; `-z`: no final sentence pause. espeak-ng writes 22,050 Hz mono 16-bit PCM (`--stdout` would give a
 * header with placeholder sizes, hence `-w`); it is read by readWav and resampled to 16 kHz by the
 * windowed-sinc resampler (src/data/audio/resample.ts) — espeak-ng has no output-rate option. The same
 * text, voice, rate and pitch give the same bytes every time (no randomness in espeak's synthesis).
 *
 * eSpeak falls back to its default voice, silently and with exit code 0, for a voice or variant it
 * does not know, so every voice is checked first against `--voices=en` (voice files, their basenames)
 * and `--voices=variant` (`!v/<variant>`). MBROLA voices (`mb/…`) are not offered: they need the separate
 * mbrola program.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import { DataError } from '../errors.js';
import { resample, type ResampleOptions } from '../audio/resample.js';
import { floatToInt16, readWav } from '../audio/wav.js';

/** Something went wrong with the speech synthesizer. A DataError: the CLI prints it and exits 2. */
export class SpeechSynthesisError extends DataError {
  constructor(detail: string, program = 'espeak-ng') {
    super(detail, program);
    this.name = 'SpeechSynthesisError';
  }
}

export const ESPEAK_INSTALL_HINT = 'install it with `sudo apt-get install espeak-ng` (Debian/Ubuntu; macOS: `brew install espeak-ng`), or name the program with MTL_ESPEAK=/path/to/espeak-ng';

/** espeak-ng is not installed (or not where it was said to be). */
export class SpeechSynthesizerMissingError extends SpeechSynthesisError {
  constructor(binary: string) {
    super(`the speech synthesizer \`${binary}\` was not found; spoken data is generated with espeak-ng: ${ESPEAK_INSTALL_HINT}`, binary);
    this.name = 'SpeechSynthesizerMissingError';
  }
}

/** The arguments every utterance is spoken with, besides voice, rate, pitch and output (recorded in manifests). */
export const ESPEAK_ARGS = ['-b', '1', '-z'] as const;

export interface Espeak {
  binary: string;
  /** `eSpeak NG text-to-speech: 1.51` (the first line of `--version`, without the data path). */
  version: string;
  /** English voice files by basename, lower-cased (`en-us`, `en-gb-x-rp`, …; MBROLA ones left out). */
  voices: Set<string>;
  /** Variant names (`m1`, `f3`, `klatt`, …), lower-cased. */
  variants: Set<string>;
}

/** The program to run: the `binary` given, else $MTL_ESPEAK, else `espeak-ng` on PATH. */
export function espeakBinary(binary?: string): string {
  return binary ?? process.env['MTL_ESPEAK'] ?? 'espeak-ng';
}

function run(binary: string, args: string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    execFile(binary, args, { encoding: 'utf8', maxBuffer: 1 << 22 }, (err, stdout, stderr) => {
      if (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === 'ENOENT' || code === 'EACCES') reject(new SpeechSynthesizerMissingError(binary));
        else reject(new SpeechSynthesisError(`\`${binary} ${args.join(' ')}\` failed: ${(stderr || err.message).trim()}`, binary));
        return;
      }
      resolve(stdout);
    });
  });
}

/** The `File` column of `espeak-ng --voices=…`: after Pty, Language and Age/Gender, the first field with a '/'. */
function voiceFiles(listing: string): string[] {
  const out: string[] = [];
  for (const line of listing.split('\n').slice(1)) {
    const file = line.trim().split(/\s+/).slice(3).find((f) => f.includes('/'));
    if (file) out.push(file);
  }
  return out;
}

const probes = new Map<string, Promise<Espeak>>();

/** Finds espeak-ng and lists its English voices and variants (once per program and PATH in a process). */
export function probeEspeak(binary?: string): Promise<Espeak> {
  const bin = espeakBinary(binary);
  const key = `${bin}\0${process.env['PATH'] ?? ''}`;
  let p = probes.get(key);
  if (!p) {
    p = probe(bin);
    p.catch(() => probes.delete(key));
    probes.set(key, p);
  }
  return p;
}

async function probe(bin: string): Promise<Espeak> {
  const versionText = await run(bin, ['--version']);
  const first = versionText.split('\n')[0]!.trim();
  if (!/espeak/i.test(first)) throw new SpeechSynthesisError(`\`${bin} --version\` printed ${JSON.stringify(first)}, not eSpeak NG's version line`, bin);
  const [en, variant] = await Promise.all([run(bin, ['--voices=en']), run(bin, ['--voices=variant'])]);
  const voices = new Set(voiceFiles(en).filter((f) => !f.startsWith('mb/')).map((f) => f.slice(f.lastIndexOf('/') + 1).toLowerCase()));
  const variants = new Set(voiceFiles(variant).filter((f) => f.startsWith('!v/')).map((f) => f.slice(3).toLowerCase()));
  return { binary: bin, version: first.replace(/\s+Data at:.*$/, ''), voices, variants };
}

/** Refuses voices this espeak-ng does not have (it would silently speak them with its default voice). */
export function checkVoicesInstalled(espeak: Espeak, voices: readonly string[]): void {
  const bad: string[] = [];
  for (const v of voices) {
    const [voice, variant] = v.toLowerCase().split('+');
    if (!espeak.voices.has(voice!)) bad.push(`${v} (no voice file '${voice}')`);
    else if (variant !== undefined && !espeak.variants.has(variant)) bad.push(`${v} (no variant '${variant}')`);
  }
  if (bad.length) {
    throw new SpeechSynthesisError(
      `unknown voice(s): ${bad.join(', ')}; English voice files here: ${[...espeak.voices].sort().join(' ')}; variants: ${[...espeak.variants].sort().join(' ')}`,
      espeak.binary,
    );
  }
}

export interface SpeakRequest {
  text: string;
  voice: string;
  rate: number;
  pitch: number;
}

/** The command line of one utterance (without the text, which goes to stdin). */
export function espeakArgs(req: Omit<SpeakRequest, 'text'>, wavPath: string): string[] {
  return [...ESPEAK_ARGS, '-v', req.voice, '-s', String(req.rate), '-p', String(req.pitch), '-w', wavPath, '--stdin'];
}

/**
 * Speaks one text with espeak-ng into `wavPath` (removed afterwards) and returns its samples at
 * `sampleRate` as int16, plus espeak's own output rate.
 */
export async function speak(espeak: Espeak, req: SpeakRequest, wavPath: string, sampleRate: number, resampler: ResampleOptions = {}): Promise<{ samples: Int16Array; sourceRate: number }> {
  await new Promise<void>((resolve, reject) => {
    const child = spawn(espeak.binary, espeakArgs(req, wavPath), { stdio: ['pipe', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.setEncoding('utf8');
    child.stderr.on('data', (d: string) => {
      if (stderr.length < 4000) stderr += d;
    });
    child.on('error', (e: NodeJS.ErrnoException) => reject(e.code === 'ENOENT' ? new SpeechSynthesizerMissingError(espeak.binary) : new SpeechSynthesisError(e.message, espeak.binary)));
    child.on('close', (code, signal) => {
      if (code === 0) resolve();
      else reject(new SpeechSynthesisError(`speaking ${JSON.stringify(req.text.slice(0, 80))} with voice ${req.voice} failed (${signal ?? `exit ${code}`}): ${stderr.trim()}`, espeak.binary));
    });
    child.stdin.on('error', () => {}); // a child that dies early closes the pipe; 'close' reports it
    child.stdin.end(req.text, 'utf8');
  });
  try {
    const wav = readWav(fs.readFileSync(wavPath), wavPath);
    const samples = wav.sampleRate === sampleRate ? wav.samples : resample(wav.samples, wav.sampleRate, sampleRate, resampler);
    return { samples: floatToInt16(samples), sourceRate: wav.sampleRate };
  } finally {
    fs.rmSync(wavPath, { force: true });
  }
}
