import { describe, expect, it } from 'vitest';
import { parseMethod } from '../../src/run/compare.js';

describe('mtl compare method specs', () => {
  it('parses architectures, weightings, aggregators and modes', () => {
    expect(parseMethod('uw')).toEqual({ label: 'uw', architecture: undefined, weighting: 'uw', aggregator: undefined });
    expect(parseMethod('mgda@rep')).toEqual({ label: 'mgda@rep', architecture: undefined, weighting: 'ew', aggregator: { method: 'mgda', mode: 'rep' } });
    expect(parseMethod('mmoe+uw+pcgrad')).toEqual({ label: 'mmoe+uw+pcgrad', architecture: 'mmoe', weighting: 'uw', aggregator: { method: 'pcgrad', mode: 'param' } });
    expect(() => parseMethod('magic')).toThrow(/unknown method "magic"/);
    expect(() => parseMethod('pcgrad@sideways')).toThrow(/mode must be/);
  });
});
