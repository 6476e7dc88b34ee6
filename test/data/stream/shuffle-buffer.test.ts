/**
 * The bounded shuffle buffer of streamed training: every row comes out exactly once (a permutation),
 * the order is fixed by the seed (same seed → same order, another epoch's seed → another order), it
 * never holds more than its capacity, and rows are carried with their labels intact.
 */
import { describe, expect, it } from 'vitest';
import { allocateBlock, BatchAssembler, ShuffleBuffer, type RowLayout } from '../../../src/data/shuffle-buffer.js';
import { mulberry32 } from '../../../src/data/split.js';

const layout: RowLayout = { xWidth: 3, tasks: [{ name: 'a', width: 1 }, { name: 'b', width: 2 }] };

/** Streams rows 0..n-1 (x = [i, 2i, 3i], a = i, b = [-i, NaN]) through a buffer; returns the order. */
function run(n: number, capacity: number, seed: number, batchSize = 7): { order: number[]; peak: number; batches: number[] } {
  const buffer = new ShuffleBuffer(capacity, layout, mulberry32(seed));
  const out = new BatchAssembler(batchSize, layout);
  const block = allocateBlock(layout, 10);
  const order: number[] = [];
  const batches: number[] = [];
  const collect = () => {
    for (const b of out.ready.splice(0)) {
      batches.push(b.n);
      for (let i = 0; i < b.n; i++) {
        const id = b.x[i * 3]!;
        expect([b.x[i * 3 + 1], b.x[i * 3 + 2], b.labels['a']![i], b.labels['b']![2 * i]]).toEqual([2 * id, 3 * id, id, -id]);
        expect(b.labels['b']![2 * i + 1]).toBeNaN();
        order.push(id);
      }
    }
  };
  for (let start = 0; start < n; start += 10) {
    block.n = Math.min(10, n - start);
    for (let i = 0; i < block.n; i++) {
      const id = start + i;
      block.x.set([id, 2 * id, 3 * id], i * 3);
      block.labels[0]![i] = id;
      block.labels[1]!.set([-id, NaN], 2 * i);
    }
    for (let i = 0; i < block.n; i++) {
      buffer.add(block, i, out);
      expect(buffer.size).toBeLessThanOrEqual(capacity);
    }
    collect();
  }
  buffer.drain(out);
  out.flush();
  collect();
  expect(buffer.size).toBe(0);
  return { order, peak: buffer.peak, batches };
}

describe('ShuffleBuffer', () => {
  it('emits a permutation of the input, in batches, never holding more than its capacity', () => {
    const { order, peak, batches } = run(1000, 64, 1);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
    expect(peak).toBe(64);
    expect(batches.slice(0, -1).every((b) => b === 7)).toBe(true);
    expect(batches.reduce((a, b) => a + b, 0)).toBe(1000);
    expect(order).not.toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it('is seeded: same seed → same order, another seed (epoch) → another order', () => {
    expect(run(500, 50, 3).order).toEqual(run(500, 50, 3).order);
    expect(run(500, 50, 3).order).not.toEqual(run(500, 50, 4).order);
  });

  it('mixes within about its capacity: a row comes out no earlier than capacity rows before it went in', () => {
    const capacity = 32;
    const { order } = run(2000, capacity, 5);
    // Output position p holds a row that arrived by input position p + capacity.
    order.forEach((id, p) => expect(id).toBeLessThanOrEqual(p + capacity));
    // …and the mixing is real: the mean displacement is of the order of the capacity.
    const displacement = order.reduce((s, id, p) => s + Math.abs(id - p), 0) / order.length;
    expect(displacement).toBeGreaterThan(capacity / 4);
  });

  it('a capacity of at least the rows gives a uniform permutation (drain only)', () => {
    const { order, peak } = run(100, 1000, 9);
    expect(peak).toBe(100);
    expect([...order].sort((a, b) => a - b)).toEqual(Array.from({ length: 100 }, (_, i) => i));
    // Position of row 0 over seeds: spread over the whole range, not stuck at the start.
    const firsts = Array.from({ length: 30 }, (_, s) => run(100, 1000, 100 + s).order.indexOf(0));
    expect(Math.max(...firsts) - Math.min(...firsts)).toBeGreaterThan(50);
  });
});
