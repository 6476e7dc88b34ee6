/**
 * The text models' bench data: the SNIPS training split read by mtljs's own loader (src/data/loaders/
 * snips.ts: its vocabulary, minCount 2 → 4,392 ids with <pad> = 0 and <unk> = 1, L = 35, padding at the
 * end), in one seeded shuffled order cut into full batches of 64. The rows are stored in that order, so
 * batch k is rows [64k, 64k + 64) on both sides: mtljs (bench/mtljs.ts) and PyTorch (bench/torch_bench.py,
 * from the files writeTextTorchData writes) train on the same batches in the same order, cycling.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadSnips } from '../src/data/loaders/snips.js';
import { shuffleIndices, subsetDataset } from '../src/data/split.js';
import type { Dataset } from '../src/data/types.js';
import { TEXT_BENCH_SPECS } from './spec.js';

/** The batch size of every text model (bench/spec.ts TEXT_BENCH_SPECS: 64). */
export const TEXT_BATCH = TEXT_BENCH_SPECS.text_bigru.batchSize;
if (Object.values(TEXT_BENCH_SPECS).some((s) => s.batchSize !== TEXT_BATCH)) throw new Error('the text bench models must share one batch size');

export interface TextBenchData {
  /** Token ids [n, L] (floats, 0 = <pad>) with tasks `intent` (multiclass) and `slots` (sequence), rows in batch order. */
  dataset: Dataset;
  /** The vocabulary size (ids < vocabSize), <pad> and <unk> included. */
  vocabSize: number;
  batchSize: number;
  /** Full batches (n = batches × batchSize). */
  batches: number;
  /** Sentences in the training split the rows were drawn from. */
  available: number;
  /** Mean sentence length (tokens) and mean longest sentence per batch (the length each step runs at). */
  meanLength: number;
  meanBatchLength: number;
}

export interface TextBenchOptions {
  /** At most this many sentences (rounded down to full batches); default: the whole training split. */
  sentences?: number;
  seed?: number;
  /** Where the snips/ folder is (default: the store's order: MTL_DATA_DIR, the cache, the shipped copy). */
  dataDir?: string;
}

export async function loadTextBenchData(options: TextBenchOptions = {}): Promise<TextBenchData> {
  const split = await loadSnips({ dataDir: options.dataDir });
  const train = split.train;
  const batchSize = TEXT_BATCH;
  const want = Math.min(options.sentences ?? train.n, train.n);
  const batches = Math.floor(want / batchSize);
  if (batches < 1) throw new Error(`the text models need at least ${batchSize} sentences (one batch), got ${want}`);
  const order = shuffleIndices(train.n, options.seed ?? 0).slice(0, batches * batchSize);
  const dataset = subsetDataset(train, order, 'snips-train-bench');
  const L = dataset.inputShape[0]!;
  const lengths = sentenceLengths(dataset);
  let batchLen = 0;
  for (let b = 0; b < batches; b++) {
    let m = 0;
    for (let i = b * batchSize; i < (b + 1) * batchSize; i++) m = Math.max(m, lengths[i]!);
    batchLen += m;
  }
  const intent = dataset.tasks.find((t) => t.name === 'intent');
  const slots = dataset.tasks.find((t) => t.name === 'slots');
  if (!intent || intent.kind !== 'multiclass' || !slots || slots.kind !== 'sequence' || slots.width !== L) {
    throw new Error('SNIPS bench data needs tasks intent (multiclass) and slots (sequence over L)');
  }
  return {
    dataset, vocabSize: split.text.vocabulary.length, batchSize, batches, available: train.n,
    meanLength: lengths.reduce((a, b) => a + b, 0) / lengths.length, meanBatchLength: batchLen / batches,
  };
}

/** Tokens per sentence: the ids before the first <pad> (padding is at the end). */
export function sentenceLengths(ds: Dataset): Int32Array {
  const L = ds.inputShape[0]!;
  const out = new Int32Array(ds.n);
  for (let i = 0; i < ds.n; i++) {
    let len = 0;
    while (len < L && ds.x[i * L + len]! !== 0) len++;
    out[i] = len;
  }
  return out;
}

/** The ignore_index of torch's cross-entropy: the slot label of padding positions in slots.i32. */
export const TORCH_IGNORE_INDEX = -100;

/**
 * Writes the text data for torch_bench.py into `dir` (created if needed), little-endian int32 files:
 * ids.i32 (n × L token ids), lengths.i32 (n), intent.i32 (n), slots.i32 (n × L tag ids, -100 at padding),
 * and meta.json ({ n, maxLength, vocabSize, intents, tags, batchSize, batches, ignoreIndex }).
 */
export function writeTextTorchData(dir: string, data: TextBenchData): void {
  const ds = data.dataset;
  const L = ds.inputShape[0]!;
  const intentSpec = ds.tasks.find((t) => t.name === 'intent')!;
  const slotSpec = ds.tasks.find((t) => t.name === 'slots')!;
  const ids = Int32Array.from(ds.x.subarray(0, ds.n * L));
  const intent = Int32Array.from(ds.labels.intent!.subarray(0, ds.n));
  const slotsRaw = ds.labels.slots!;
  const slots = new Int32Array(ds.n * L);
  for (let i = 0; i < slots.length; i++) slots[i] = Number.isNaN(slotsRaw[i]!) ? TORCH_IGNORE_INDEX : slotsRaw[i]!;
  for (let i = 0; i < ids.length; i++) {
    // Labelled tokens and real tokens must coincide (the loader puts NaN exactly at padding).
    if ((ids[i] !== 0) !== (slots[i] !== TORCH_IGNORE_INDEX)) throw new Error(`SNIPS bench data: sentence ${Math.floor(i / L)} has a slot label at padding or none at a token`);
  }
  fs.mkdirSync(dir, { recursive: true });
  const write = (name: string, a: Int32Array) => fs.writeFileSync(path.join(dir, name), Buffer.from(a.buffer, a.byteOffset, a.byteLength));
  if (new Uint8Array(new Int32Array([1]).buffer)[0] !== 1) throw new Error('the torch data files are little-endian; this machine is not');
  write('ids.i32', ids);
  write('lengths.i32', sentenceLengths(ds));
  write('intent.i32', intent);
  write('slots.i32', slots);
  fs.writeFileSync(path.join(dir, 'meta.json'), JSON.stringify({
    n: ds.n, maxLength: L, vocabSize: data.vocabSize, intents: intentSpec.outputSize, tags: slotSpec.outputSize,
    batchSize: data.batchSize, batches: data.batches, ignoreIndex: TORCH_IGNORE_INDEX,
  }));
}
