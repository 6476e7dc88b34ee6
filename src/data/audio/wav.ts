/**
 * WAV files: reading 16-bit PCM RIFF/WAVE into mono floats, and writing them. Browser-safe (bytes in,
 * bytes out; no file system).
 *
 * Layout read (Microsoft RIFF, "WAVE" form): `RIFF <size> WAVE`, then chunks `<id:4> <size:u32 LE>
 * <body, padded to an even length>`; the `fmt ` chunk (format code, channels, sample rate, byte rate,
 * block align, bits per sample) must come before `data`; other chunks (LIST, fact, …) are skipped.
 * Only integer PCM with 16 bits per sample is accepted: format code 1, or 0xFFFE (WAVE_FORMAT_EXTENSIBLE)
 * whose sub-format GUID is PCM. Channels are averaged into one (stereo → mono). Samples are scaled by
 * 1/32768, so every int16 maps into [−1, 1) exactly and writeWav(readWav(x)) gives back the same bytes.
 *
 * Anything else is a DataError that says what the file is instead: not RIFF (and, by its magic bytes,
 * Ogg, FLAC, MP3, RIFX, RF64), 8/24/32-bit PCM, IEEE float, A-law, µ-law, ADPCM, MPEG or another format
 * code, a missing chunk, or a truncated file (a chunk that claims more bytes than the file holds).
 */
import { DataError } from '../errors.js';

export interface WavAudio {
  /** Samples per second, as the file says. */
  sampleRate: number;
  /** Channels in the file (the samples are their mean). */
  channels: number;
  /** Mono samples in [−1, 1). */
  samples: Float32Array;
}

const FORMAT_NAMES: Record<number, string> = {
  0x0002: 'Microsoft ADPCM',
  0x0003: 'IEEE float',
  0x0006: 'A-law',
  0x0007: 'µ-law',
  0x0011: 'IMA ADPCM',
  0x0031: 'GSM 6.10',
  0x0050: 'MPEG',
  0x0055: 'MPEG Layer 3 (MP3)',
};

/** The KSDATAFORMAT_SUBTYPE_PCM GUID's tail (bytes 2..15; bytes 0..1 hold the format code). */
const GUID_TAIL = [0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71];

function ascii(bytes: Uint8Array, at: number, n = 4): string {
  let s = '';
  for (let i = at; i < at + n && i < bytes.length; i++) s += String.fromCharCode(bytes[i]!);
  return s;
}

function notRiff(bytes: Uint8Array): string {
  const head = ascii(bytes, 0);
  if (head === 'OggS') return 'an Ogg file (Vorbis/Opus), not RIFF/WAVE';
  if (head === 'fLaC') return 'a FLAC file, not RIFF/WAVE';
  if (head.startsWith('ID3') || (bytes[0] === 0xff && ((bytes[1] ?? 0) & 0xe0) === 0xe0)) return 'an MP3 file, not RIFF/WAVE';
  if (head === 'RIFX') return 'a big-endian RIFX file; only little-endian RIFF/WAVE is read';
  if (head === 'RF64') return 'an RF64 (64-bit RIFF) file; only RIFF/WAVE is read';
  if (head === 'RIFF') return `a RIFF file of form '${ascii(bytes, 8)}', not WAVE`;
  return `not a RIFF/WAVE file (it starts with ${JSON.stringify(head)})`;
}

function formatName(code: number): string {
  return FORMAT_NAMES[code] ?? `format code 0x${code.toString(16).padStart(4, '0')}`;
}

/**
 * Reads a 16-bit PCM WAV file. `name` labels errors (a file name). Throws DataError for anything
 * else (see the module comment).
 */
export function readWav(bytes: Uint8Array, name = 'wav'): WavAudio {
  const fail = (why: string): never => {
    throw new DataError(why, name);
  };
  if (bytes.length < 12) fail(bytes.length >= 4 && ascii(bytes, 0) === 'RIFF' ? `truncated: ${bytes.length} bytes, shorter than a RIFF header` : notRiff(bytes));
  if (ascii(bytes, 0) !== 'RIFF' || ascii(bytes, 8) !== 'WAVE') fail(notRiff(bytes));
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  let fmt: { code: number; channels: number; sampleRate: number; blockAlign: number; bits: number } | undefined;
  let pos = 12;
  while (pos + 8 <= bytes.length) {
    const id = ascii(bytes, pos);
    const size = view.getUint32(pos + 4, true);
    const body = pos + 8;
    if (body + size > bytes.length) fail(`truncated: the '${id}' chunk declares ${size} bytes but the file holds ${bytes.length - body} after its header`);
    if (id === 'fmt ') {
      if (size < 16) fail(`the 'fmt ' chunk has ${size} bytes, fewer than 16`);
      let code = view.getUint16(body, true);
      const channels = view.getUint16(body + 2, true);
      const sampleRate = view.getUint32(body + 4, true);
      const blockAlign = view.getUint16(body + 12, true);
      const bits = view.getUint16(body + 14, true);
      if (code === 0xfffe) {
        if (size < 40) fail(`WAVE_FORMAT_EXTENSIBLE with a ${size}-byte 'fmt ' chunk (40 expected)`);
        const sub = view.getUint16(body + 24, true);
        const tailOk = GUID_TAIL.every((b, i) => bytes[body + 26 + i] === b);
        code = tailOk ? sub : -1;
        if (code === -1) fail('WAVE_FORMAT_EXTENSIBLE with a non-PCM sub-format GUID; only 16-bit PCM is read');
      }
      fmt = { code, channels, sampleRate, blockAlign, bits };
    } else if (id === 'data') {
      if (!fmt) fail("the 'data' chunk comes before any 'fmt ' chunk");
      const f = fmt!;
      if (f.code !== 1) fail(`${formatName(f.code)} audio; only 16-bit integer PCM is read (convert it, e.g. \`ffmpeg -i in -ac 1 -ar 16000 -c:a pcm_s16le out.wav\`)`);
      if (f.bits !== 16) fail(`${f.bits}-bit PCM; only 16-bit PCM is read`);
      if (f.channels < 1) fail('0 channels');
      if (f.sampleRate < 1) fail('sample rate 0');
      if (f.blockAlign !== 2 * f.channels) fail(`block align ${f.blockAlign} does not match ${f.channels} channel(s) of 16 bits`);
      if (size % f.blockAlign !== 0) fail(`truncated: the 'data' chunk holds ${size} bytes, not a whole number of ${f.blockAlign}-byte frames`);
      const frames = size / f.blockAlign;
      const samples = new Float32Array(frames);
      const scale = 1 / (32768 * f.channels);
      for (let i = 0, p = body; i < frames; i++) {
        let s = 0;
        for (let c = 0; c < f.channels; c++, p += 2) s += view.getInt16(p, true);
        samples[i] = s * scale;
      }
      return { sampleRate: f.sampleRate, channels: f.channels, samples };
    }
    pos = body + size + (size & 1);
  }
  return fail(fmt ? "no 'data' chunk (truncated?)" : "no 'fmt ' chunk (truncated?)");
}

/** Float samples (clipped to [−1, 1]) → int16: round(x·32768), clamped to [−32768, 32767]. */
export function floatToInt16(samples: ArrayLike<number>): Int16Array {
  const out = new Int16Array(samples.length);
  for (let i = 0; i < samples.length; i++) {
    const v = Math.round(samples[i]! * 32768);
    out[i] = v > 32767 ? 32767 : v < -32768 ? -32768 : v;
  }
  return out;
}

/** int16 → floats in [−1, 1): x / 32768. */
export function int16ToFloat(samples: Int16Array): Float32Array {
  const out = new Float32Array(samples.length);
  for (let i = 0; i < samples.length; i++) out[i] = samples[i]! / 32768;
  return out;
}

/**
 * A mono 16-bit PCM WAV file (44-byte header + data). Floats are converted by floatToInt16; an
 * Int16Array is written as it is.
 */
export function writeWav(samples: Float32Array | Int16Array, sampleRate: number): Uint8Array {
  if (!Number.isInteger(sampleRate) || sampleRate < 1) throw new Error(`writeWav: sampleRate must be a positive integer, got ${sampleRate}`);
  const pcm = samples instanceof Int16Array ? samples : floatToInt16(samples);
  const dataBytes = pcm.length * 2;
  const out = new Uint8Array(44 + dataBytes);
  const view = new DataView(out.buffer);
  const put = (at: number, s: string) => {
    for (let i = 0; i < 4; i++) out[at + i] = s.charCodeAt(i);
  };
  put(0, 'RIFF');
  view.setUint32(4, 36 + dataBytes, true);
  put(8, 'WAVE');
  put(12, 'fmt ');
  view.setUint32(16, 16, true);
  view.setUint16(20, 1, true); // PCM
  view.setUint16(22, 1, true); // mono
  view.setUint32(24, sampleRate, true);
  view.setUint32(28, sampleRate * 2, true);
  view.setUint16(32, 2, true);
  view.setUint16(34, 16, true);
  put(36, 'data');
  view.setUint32(40, dataBytes, true);
  for (let i = 0; i < pcm.length; i++) view.setInt16(44 + 2 * i, pcm[i]!, true);
  return out;
}
