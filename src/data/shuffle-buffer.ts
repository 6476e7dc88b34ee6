/**
 * A bounded shuffle buffer for rows that arrive as a stream (a file larger than memory), and the
 * batches it feeds. Rows are fixed-width floats — an encoded input and each task's labels — held in
 * flat arrays of `capacity` rows, so its memory is capacity × row width floats whatever the stream's
 * length.
 *
 *   fill:   the first `capacity` rows are stored as they come;
 *   steady: for each further row, a resident row drawn uniformly (seeded) is emitted and the new row
 *           takes its slot;
 *   drain:  at the end, the resident rows are emitted in a seeded random order.
 *
 * With capacity ≥ the number of rows this is an exact uniform permutation; with a smaller one, a row
 * moves at most about capacity positions earlier (the usual streaming compromise, as tf.data's
 * shuffle(buffer_size)). Same rand → same order. Pure code (no Node APIs).
 */
import type { RowBatch } from './batch-source.js';

/** The widths of one row: the encoded input and each task's labels (task order). */
export interface RowLayout {
  xWidth: number;
  tasks: { name: string; width: number }[];
}

/** Consecutive rows: n × xWidth inputs and n × width labels per task (NaN = missing). */
export interface RowBlock {
  n: number;
  x: Float32Array;
  labels: Float32Array[];
}

/** Where emitted rows go. */
export interface RowSink {
  take(block: RowBlock, row: number): void;
}

function copyRow(from: RowBlock, i: number, to: RowBlock, j: number, layout: RowLayout): void {
  const w = layout.xWidth;
  if (w === 1) to.x[j] = from.x[i]!;
  else to.x.set(from.x.subarray(i * w, i * w + w), j * w);
  for (let t = 0; t < layout.tasks.length; t++) {
    const lw = layout.tasks[t]!.width;
    const src = from.labels[t]!;
    const dst = to.labels[t]!;
    for (let k = 0; k < lw; k++) dst[j * lw + k] = src[i * lw + k]!;
  }
}

/** An empty block of `rows` rows of `layout`. */
export function allocateBlock(layout: RowLayout, rows: number): RowBlock {
  return { n: 0, x: new Float32Array(rows * layout.xWidth), labels: layout.tasks.map((t) => new Float32Array(rows * t.width)) };
}

export class ShuffleBuffer {
  private readonly store: RowBlock;
  /** Most rows ever resident at once (≤ capacity): what a test of boundedness reads. */
  peak = 0;

  constructor(readonly capacity: number, private readonly layout: RowLayout, private readonly rand: () => number) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`shuffle buffer: capacity must be a positive integer, got ${capacity}`);
    this.store = allocateBlock(layout, capacity);
  }

  /** Rows resident now. */
  get size(): number {
    return this.store.n;
  }

  /** Adds row `i` of `block`; once the buffer is full, a random resident row goes to `out` first. */
  add(block: RowBlock, i: number, out: RowSink): void {
    const s = this.store;
    if (s.n < this.capacity) {
      copyRow(block, i, s, s.n++, this.layout);
      if (s.n > this.peak) this.peak = s.n;
      return;
    }
    const j = Math.floor(this.rand() * this.capacity);
    out.take(s, j);
    copyRow(block, i, s, j, this.layout);
  }

  /** Emits every resident row, in a random order; the buffer is empty afterwards. */
  drain(out: RowSink): void {
    const s = this.store;
    while (s.n > 0) {
      const j = Math.floor(this.rand() * s.n);
      out.take(s, j);
      s.n--;
      if (j !== s.n) copyRow(s, s.n, s, j, this.layout);
    }
  }
}

/** Collects rows into batches of `batchSize` (the last one may be smaller). */
export class BatchAssembler implements RowSink {
  private current: RowBlock;
  /** Completed batches not yet taken. */
  readonly ready: RowBatch[] = [];

  constructor(private readonly batchSize: number, private readonly layout: RowLayout) {
    this.current = allocateBlock(layout, batchSize);
  }

  take(block: RowBlock, row: number): void {
    copyRow(block, row, this.current, this.current.n++, this.layout);
    if (this.current.n === this.batchSize) this.flush();
  }

  /** Completes the batch in progress, if it has rows. */
  flush(): void {
    const b = this.current;
    if (b.n === 0) return;
    const n = b.n;
    const full = n === this.batchSize;
    this.ready.push({
      n,
      x: full ? b.x : b.x.slice(0, n * this.layout.xWidth),
      labels: Object.fromEntries(this.layout.tasks.map((t, k) => [t.name, full ? b.labels[k]! : b.labels[k]!.slice(0, n * t.width)])),
    });
    this.current = allocateBlock(this.layout, this.batchSize);
  }
}
