/**
 * readWav / writeWav (src/data/audio/wav.ts): round trips, stereo mix-down, skipped chunks, and each
 * refusal naming what the file is. The files are assembled byte by byte here, independently of writeWav.
 */
import { describe, expect, it } from 'vitest';
import { DataError } from '../../../src/data/errors.js';
import { readWav, writeWav } from '../../../src/data/audio/wav.js';

interface Spec {
  code?: number;
  channels?: number;
  rate?: number;
  bits?: number;
  /** Interleaved sample bytes. */
  data: Uint8Array;
  /** WAVE_FORMAT_EXTENSIBLE with this sub-format code. */
  extensibleSub?: number;
  /** Chunks placed before 'fmt '. */
  extra?: { id: string; body: Uint8Array }[];
  /** Declared size of the data chunk (default: its real size). */
  dataSize?: number;
}

function chunk(id: string, body: Uint8Array, declared = body.length): number[] {
  const out = [...id].map((c) => c.charCodeAt(0));
  out.push(declared & 255, (declared >>> 8) & 255, (declared >>> 16) & 255, (declared >>> 24) & 255, ...body);
  if (body.length & 1) out.push(0);
  return out;
}

const u16 = (v: number) => [v & 255, (v >>> 8) & 255];
const u32 = (v: number) => [v & 255, (v >>> 8) & 255, (v >>> 16) & 255, (v >>> 24) & 255];

function wavBytes(s: Spec): Uint8Array {
  const channels = s.channels ?? 1, bits = s.bits ?? 16, rate = s.rate ?? 16000;
  const align = (channels * bits) / 8;
  const fmt = [...u16(s.extensibleSub === undefined ? (s.code ?? 1) : 0xfffe), ...u16(channels), ...u32(rate), ...u32(rate * align), ...u16(align), ...u16(bits)];
  if (s.extensibleSub !== undefined) {
    fmt.push(...u16(22), ...u16(bits), ...u32(0), ...u16(s.extensibleSub), 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xaa, 0x00, 0x38, 0x9b, 0x71);
  }
  const body = [...'WAVE'].map((c) => c.charCodeAt(0));
  for (const e of s.extra ?? []) body.push(...chunk(e.id, e.body));
  body.push(...chunk('fmt ', Uint8Array.from(fmt)), ...chunk('data', s.data, s.dataSize ?? s.data.length));
  return Uint8Array.from([...'RIFF'].map((c) => c.charCodeAt(0)).concat(u32(body.length), body));
}

const int16Bytes = (values: number[]) => Uint8Array.from(values.flatMap((v) => u16(v & 0xffff)));

describe('readWav', () => {
  it('reads mono 16-bit PCM as x / 32768, skipping other chunks (odd-sized ones padded)', () => {
    const values = [0, 1, -1, 32767, -32768, 12345, -2222];
    const bytes = wavBytes({ rate: 22050, data: int16Bytes(values), extra: [{ id: 'LIST', body: Uint8Array.from([1, 2, 3]) }] });
    const w = readWav(bytes);
    expect(w.sampleRate).toBe(22050);
    expect(w.channels).toBe(1);
    expect([...w.samples]).toEqual(values.map((v) => v / 32768));
  });

  it('mixes stereo down to the mean of the channels, and accepts WAVE_FORMAT_EXTENSIBLE PCM', () => {
    // frames (L, R): (1000, −3000), (32767, 32767), (−32768, 0)
    const data = int16Bytes([1000, -3000, 32767, 32767, -32768, 0]);
    for (const spec of [{ channels: 2, data }, { channels: 2, data, extensibleSub: 1 }]) {
      const w = readWav(wavBytes(spec));
      expect(w.channels).toBe(2);
      expect([...w.samples]).toEqual([-1000 / 32768, 32767 / 32768, -16384 / 32768]);
    }
  });

  it('round-trips through writeWav: int16 exactly, and the same bytes again', () => {
    let state = 7;
    const ints = Int16Array.from({ length: 1001 }, () => ((state = (state * 1103515245 + 12345) >>> 0) >>> 16) - 32768);
    const bytes = writeWav(ints, 16000);
    expect(bytes.length).toBe(44 + 2 * 1001);
    const w = readWav(bytes);
    expect(w).toMatchObject({ sampleRate: 16000, channels: 1 });
    expect(Array.from(w.samples, (x) => x * 32768)).toEqual([...ints]);
    expect(writeWav(w.samples, 16000)).toEqual(bytes);
    // floats are clipped to the int16 range
    expect([...readWav(writeWav(Float32Array.from([2, -2, 0.5]), 8000)).samples]).toEqual([32767 / 32768, -1, 0.5]);
  });

  const refusals: [string, Uint8Array, RegExp][] = [
    ['8-bit PCM', wavBytes({ bits: 8, data: Uint8Array.from([128, 129]) }), /8-bit PCM; only 16-bit PCM/],
    ['24-bit PCM', wavBytes({ bits: 24, data: new Uint8Array(6) }), /24-bit PCM/],
    ['IEEE float', wavBytes({ code: 3, bits: 32, data: new Uint8Array(8) }), /IEEE float audio; only 16-bit integer PCM/],
    ['float as EXTENSIBLE', wavBytes({ bits: 32, extensibleSub: 3, data: new Uint8Array(8) }), /IEEE float audio/],
    ['µ-law', wavBytes({ code: 7, bits: 8, data: new Uint8Array(4) }), /µ-law/],
    ['IMA ADPCM', wavBytes({ code: 0x11, bits: 4, channels: 2, data: new Uint8Array(4) }), /IMA ADPCM/],
    ['MP3 in WAV', wavBytes({ code: 0x55, data: new Uint8Array(4) }), /MP3/],
    ['unknown code', wavBytes({ code: 0x1234, data: new Uint8Array(4) }), /format code 0x1234/],
    ['Ogg', new TextEncoder().encode('OggS\0\x02 some vorbis'), /an Ogg file/],
    ['FLAC', new TextEncoder().encode('fLaC\0\0\0\x22 rest'), /a FLAC file/],
    ['MP3', Uint8Array.from([0x49, 0x44, 0x33, 4, 0, 0, 0, 0, 0, 0, 0, 0, 0]), /an MP3 file/],
    ['text', new TextEncoder().encode('hello, this is not audio'), /not a RIFF\/WAVE file \(it starts with "hell"\)/],
    ['RIFF AVI', new TextEncoder().encode('RIFF\x04\0\0\0AVI LIST'), /a RIFF file of form 'AVI ', not WAVE/],
    ['truncated data', wavBytes({ data: int16Bytes([1, 2, 3, 4]) }).subarray(0, 44 + 5), /truncated: the 'data' chunk declares 8 bytes but the file holds 5/],
    ['half a frame', wavBytes({ channels: 2, data: int16Bytes([1, 2, 3]) }), /truncated: the 'data' chunk holds 6 bytes, not a whole number of 4-byte frames/],
    ['cut header', wavBytes({ data: int16Bytes([1]) }).subarray(0, 30), /truncated: the 'fmt ' chunk/],
    ['no data chunk', wavBytes({ data: new Uint8Array(0) }).subarray(0, 36), /no 'data' chunk/],
  ];
  for (const [what, bytes, message] of refusals) {
    it(`refuses ${what} with a DataError that says so`, () => {
      let err: unknown;
      try {
        readWav(bytes, 'clip.wav');
      } catch (e) {
        err = e;
      }
      expect(err).toBeInstanceOf(DataError);
      expect((err as DataError).message).toMatch(/^clip\.wav: /);
      expect((err as DataError).message).toMatch(message);
    });
  }
});
