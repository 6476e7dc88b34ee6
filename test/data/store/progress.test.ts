/**
 * Progress lines for output that is not a terminal (src/data/store/progress.ts tenthsLogger): one per
 * further tenth of the work, never two within the minimum gap, none at 100 % (the end line says it),
 * with the rate and the time left — checked on a scripted clock.
 */
import { describe, expect, it } from 'vitest';
import { tenthsLogger } from '../../../src/data/store/progress.js';

describe('tenthsLogger', () => {
  it('writes one line per further tenth, at most one per gap, with rate and time left', () => {
    let clock = 0;
    const lines: string[] = [];
    const log = tenthsLogger(1000, (done, rate, eta) => `${done} ${rate.toFixed(1)}/s ${eta.toFixed(1)} s`, (s) => lines.push(s), 5000, () => clock);
    // 10 items a second: 100 items = one tenth every 10 s.
    for (let done = 1; done <= 1000; done++) {
      clock = done * 100;
      log(done);
    }
    expect(lines).toEqual([100, 200, 300, 400, 500, 600, 700, 800, 900].map((d) => `${d} 10.0/s ${((1000 - d) / 10).toFixed(1)} s\n`));
  });

  it('skips tenths reached within the gap (fast work logs less) and nothing for an empty total', () => {
    let clock = 0;
    const lines: string[] = [];
    const log = tenthsLogger(100, (done) => `${done}`, (s) => lines.push(s), 5000, () => clock);
    // A tenth per second, a 5 s gap: 10–40 % come within 5 s of the start, 50 % at 5 s is written, 60–90 %
    // within 5 s of it, 100 % is the end line's.
    for (let done = 1; done <= 100; done++) {
      clock = done * 100;
      log(done);
    }
    expect(lines).toEqual(['50\n']);
    const none: string[] = [];
    const empty = tenthsLogger(0, () => 'x', (s) => none.push(s), 0, () => 0);
    empty(0);
    empty(5);
    expect(none).toEqual([]);
  });
});
