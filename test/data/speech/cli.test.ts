/**
 * `mtl data speak` (src/cli/commands/data-speak.ts) through the real `mtl` command: it generates a
 * small spoken SNIPS into the cache and says where and how much; a missing espeak-ng is one message
 * with the install command and exit 2. (Reuse of a cache is tested on the library: generator.test.ts.)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMtl } from '../../helpers/cli.js';

let tmp: string;
beforeAll(() => {
  tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-speak-cli-'));
});
afterAll(() => fs.rmSync(tmp, { recursive: true, force: true }));

describe('mtl data speak', () => {
  it('generates a corpus and prints where and how much; without espeak-ng says how to install it (exit 2)', async () => {
    const env = (cache: string, extra: Record<string, string> = {}) => ({ ...process.env, MTL_CACHE_DIR: path.join(tmp, cache), ...extra });
    const [made, none] = await Promise.all([
      runMtl(['data', 'speak', 'snips', '--limit', '1', '--concurrency', '2'], { env: env('a') }),
      runMtl(['data', 'speak', 'snips', '--limit', '1'], { env: env('b', { MTL_ESPEAK: path.join(tmp, 'nowhere', 'espeak-ng') }) }),
    ]);
    expect(made.err).toMatch(/speaking snips with espeak-ng \(2 processes\)/);
    expect(made.code).toBe(0);
    expect(made.out).toMatch(/^snips: 3 utterances \(train 1, dev 1, test 1\), 0\.00 h of 16 kHz audio, 0\.\d MB, generated in \d+ s\n/);
    const dir = made.out.split('\n')[1]!.trim();
    expect(dir.startsWith(path.join(tmp, 'a', 'spoken', 'snips-'))).toBe(true);
    expect(fs.existsSync(path.join(dir, 'manifest.json'))).toBe(true);
    expect(made.out).toMatch(/eSpeak NG text-to-speech: \d+\.\d+; voices: train 8, dev 2, test 3 \(test voices \(.*\) speak no train or dev utterance; dev has its own voices/);

    expect(none.code).toBe(2);
    expect(none.err.trim().split('\n')).toEqual([expect.stringMatching(/^mtl: error: .*espeak-ng: the speech synthesizer `.*nowhere\/espeak-ng` was not found; .*`sudo apt-get install espeak-ng`/)]);
    expect(fs.existsSync(path.join(tmp, 'b', 'spoken'))).toBe(false);
  });
});
