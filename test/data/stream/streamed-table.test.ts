/**
 * A table streamed from disk (data.stream) against the same table read into memory: the first pass
 * fits the same preprocessing, tasks and target scaling; an epoch streams exactly the training rows
 * (encoded and labelled the same), through a buffer that never exceeds its capacity; the test file
 * streams in file order; JSON lines give what CSV gives; a bad cell is a DataError at its file line in
 * whichever pass meets it; and memory stays flat over a file many times the buffer.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import v8 from 'node:v8';
import { runInNewContext } from 'node:vm';
import YAML from 'yaml';
import { describe, expect, it } from 'vitest';
import { parseConfig } from '../../../src/config/load.js';
import { configSchema } from '../../../src/config/schema.js';
import { loadStreamData, type StreamedSplit } from '../../../src/config/stream-data.js';
import { loadTableData } from '../../../src/config/table-data.js';
import type { BatchSource } from '../../../src/data/batch-source.js';
import { DataError } from '../../../src/data/errors.js';
import type { CsvDataConfig } from '../../../src/config/schema.js';
import type { Dataset } from '../../../src/data/types.js';
import { fitTargetScaling } from '../../../src/tasks/regression.js';
import { streamDataYaml, streamRows, writeStreamCsv, writeStreamJsonl, STREAM_COLUMNS } from '../../helpers/stream-table.js';

const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-stream-'));
const file = (name: string) => path.join(tmp, name);
writeStreamCsv(file('train.csv'), streamRows(3000, 1));
writeStreamCsv(file('test.csv'), streamRows(700, 2));
writeStreamJsonl(file('train.jsonl'), streamRows(3000, 1));
writeStreamJsonl(file('test.jsonl'), streamRows(700, 2));

const config = (train: string, extra: string, validationSplit = 0) =>
  parseConfig(YAML.parse(`${streamDataYaml(train, extra)}train: { validationSplit: ${validationSplit} }\n`), 'test');
const silent = () => {};

async function streamed(train = 'train.csv', extra = `  test: ${file('test.csv')}\n  stream: true\n  shuffleBuffer: 256\n`, validationSplit = 0): Promise<StreamedSplit> {
  return loadStreamData(config(file(train), extra, validationSplit), tmp, silent);
}

/** Every row of a source's epoch (or of `batches`), as "x… | labels…" strings. */
async function rowsOf(batches: AsyncIterable<{ n: number; x: Float32Array; labels: Record<string, Float32Array> }>, source: BatchSource): Promise<string[]> {
  const width = source.inputShape[0]!;
  const out: string[] = [];
  for await (const b of batches) {
    for (let i = 0; i < b.n; i++) {
      const labels = source.tasks.map((t) => Array.from(b.labels[t.name]!.subarray(i * t.width, (i + 1) * t.width)).join(','));
      out.push(`${Array.from(b.x.subarray(i * width, (i + 1) * width)).join(',')} | ${labels.join(' ; ')}`);
    }
  }
  return out;
}

function datasetRows(ds: Dataset): string[] {
  const width = ds.inputShape[0]!;
  return Array.from({ length: ds.n }, (_, i) => {
    const labels = ds.tasks.map((t) => Array.from(ds.labels[t.name]!.subarray(i * t.width, (i + 1) * t.width)).join(','));
    return `${Array.from(ds.x.subarray(i * width, (i + 1) * width)).join(',')} | ${labels.join(' ; ')}`;
  });
}

describe('a streamed table', async () => {
  const memory = await loadTableData(config(file('train.csv'), `  test: ${file('test.csv')}\n`).data as CsvDataConfig, tmp, 0, 20_000, silent);
  const s = await streamed();

  it('fits the in-memory preprocessing, tasks and regression scaling in its first pass', () => {
    const a = s.preprocessing;
    const b = memory.preprocessing!;
    expect(a.inputSize).toBe(b.inputSize);
    a.features.forEach((f, i) => {
      const g = b.features[i]!;
      if (f.type === 'numeric' && g.type === 'numeric') {
        expect(Math.abs(f.mean - g.mean) / Math.abs(g.mean)).toBeLessThan(1e-9);
        expect(Math.abs(f.std - g.std) / g.std).toBeLessThan(1e-9);
      } else expect(f).toEqual(g);
    });
    expect(s.train.tasks).toEqual(memory.train.tasks);
    expect(s.train.n).toBe(memory.train.n);
    const scaling = fitTargetScaling(memory.train.labels['spend']!, memory.train.n, 1);
    const state = s.fitted.taskState['spend'] as { mean: number[]; std: number[] };
    expect(state.mean[0]).toBeCloseTo(scaling.mean[0]!, 4);
    expect(state.std[0]).toBeCloseTo(scaling.std[0]!, 4);
  });

  it('an epoch streams every training row once, as the in-memory path encodes it; the buffer stays bounded', async () => {
    // Numeric inputs can differ in the last float32 bit (one-pass vs two-pass std): compare at 1e-5.
    const round = (row: string) => row.replace(/-?\d+\.\d+(e-?\d+)?/g, (v) => Number(v).toFixed(5).replace(/^-(0\.0+)$/, '$1'));
    const epoch = await rowsOf(s.train.epochBatches(0, 100, 0), s.train);
    expect(epoch.map(round).sort()).toEqual(datasetRows(memory.train).map(round).sort());
    expect(epoch).not.toEqual(datasetRows(memory.train)); // shuffled
    const again = await rowsOf(s.train.epochBatches(0, 100, 0), s.train);
    expect(again).toEqual(epoch); // seeded by (seed, epoch)
    expect(await rowsOf(s.train.epochBatches(1, 100, 0), s.train)).not.toEqual(epoch);
    // The test file in file order.
    expect((await rowsOf(s.test.batches(128), s.test)).map(round)).toEqual(datasetRows(memory.test).map(round));
  });

  it('JSON lines stream as CSV does', async () => {
    const j = await streamed('train.jsonl', `  test: ${file('test.jsonl')}\n  stream: true\n`);
    expect(j.preprocessing).toEqual(s.preprocessing);
    expect(j.train.tasks).toEqual(s.train.tasks);
    expect(await rowsOf(j.test.batches(300), j.test)).toEqual(await rowsOf(s.test.batches(300), s.test));
  });

  it('without a test file: a seeded hash split of the training file, stable from pass to pass', async () => {
    const h = await streamed('train.csv', '  stream: true\n  testFraction: 0.25\n', 0.1);
    const r = h.fitted.rows;
    expect(r.train + r.validation + r.test).toBe(3000);
    expect(r.test / 3000).toBeGreaterThan(0.2);
    expect(r.test / 3000).toBeLessThan(0.3);
    expect(r.validation / 3000).toBeGreaterThan(0.05);
    const test = await rowsOf(h.test.batches(64), h.test);
    expect(test).toHaveLength(r.test);
    expect(await rowsOf(h.test.batches(64), h.test)).toEqual(test);
    expect(await rowsOf(h.val!.batches(64), h.val!)).toHaveLength(r.validation);
    const train = new Set(await rowsOf(h.train.epochBatches(0, 64, 0), h.train));
    expect(train.size).toBeGreaterThan(r.train - 5); // (rows can repeat exactly only by chance)
    expect(test.filter((t) => train.has(t)).length).toBeLessThan(3);
  });

  it('a bad cell is a DataError at its file line, in the first pass or in a later one', async () => {
    const rows = streamRows(400, 3);
    rows[5]![4] = '"two\nlines"'; // a quoted cell over two lines (file lines 7-8) moves the next lines down
    rows[250]![1] = 'abc';
    writeStreamCsv(file('bad.csv'), rows);
    await expect(streamed('bad.csv', `  test: ${file('test.csv')}\n  stream: true\n`)).rejects.toThrow("bad.csv:253: column 'x1': not a number: 'abc'");
    const test = streamRows(50, 4);
    test[30]![7] = 'zebra';
    writeStreamCsv(file('bad-test.csv'), test);
    const t = await streamed('train.csv', `  test: ${file('bad-test.csv')}\n  stream: true\n`);
    const err = await rowsOf(t.test.batches(16), t.test).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataError);
    expect((err as Error).message).toBe("bad-test.csv:32: task 'species', column 'species': expected one of the classes cat, dog, eel, found 'zebra'");
    fs.writeFileSync(file('short.csv'), `${STREAM_COLUMNS.join(',')}\n${rows[0]!.join(',')}\n1,2,3\n`);
    await expect(streamed('short.csv', `  test: ${file('test.csv')}\n  stream: true\n`)).rejects.toThrow(`short.csv:3: expected ${STREAM_COLUMNS.length} fields, found 3`);
  });

  it('an ARFF file, a split by order, or stream options without stream are config errors', () => {
    const data = (extra: string, dataset = 'csv') => configSchema.safeParse({ data: { dataset, train: 'a', targets: [{ kind: 'binary', columns: ['y'] }], ...YAML.parse(extra) } });
    const message = (r: ReturnType<typeof data>) => (r.success ? '' : r.error.issues.map((i) => i.message).join('; '));
    expect(message(data('stream: true', 'arff'))).toContain('an ARFF file cannot be streamed');
    expect(message(data('{ stream: true, split: { by: order, column: t } }'))).toContain('it cannot be streamed');
    expect(message(data('{ shuffleBuffer: 10 }'))).toContain('shuffleBuffer goes with stream: true');
    expect(data('{ stream: true, validation: v.csv, shuffleBuffer: 100 }').success).toBe(true);
  });

  it('memory stays flat over a file many times the shuffle buffer', async () => {
    v8.setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    const big = file('big.csv');
    writeStreamCsv(big, streamRows(120_000, 5)); // ~7 MB; parsed whole it would take ~10× that in strings
    const b = await streamed('big.csv', `  test: ${file('test.csv')}\n  stream: true\n  shuffleBuffer: 2000\n`);
    gc();
    const base = process.memoryUsage().heapUsed;
    let peak = 0;
    let n = 0;
    for await (const batch of b.train.epochBatches(0, 500, 0)) {
      if (++n % 40 === 0) {
        gc();
        peak = Math.max(peak, process.memoryUsage().heapUsed - base);
      }
      expect(batch.n).toBeLessThanOrEqual(500);
    }
    expect(n).toBe(240);
    expect(peak).toBeLessThan(16 * 1024 * 1024);
  });
});
