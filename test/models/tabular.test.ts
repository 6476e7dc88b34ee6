/**
 * Embedded features and ESMM (src/data/feature-ids.ts, src/data/preprocess.ts, src/models/tabular*.ts,
 * src/models/esmm.ts), against facts worked by hand: FNV-1a's published test vectors, ids and vocabularies
 * of a small table, the embedding layer's output and table gradient for chosen ids, and
 * logit⁻¹(EsmmLogit(a, b)) = σ(a)σ(b) on a grid that includes saturated logits.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf, tfl } from '../../src/engine/tf.js';
import { fnv1a, idLookup } from '../../src/data/feature-ids.js';
import { encodeRows, featureNames, fitPreprocessing } from '../../src/data/preprocess.js';
import { embeddingLayout, EsmmLogit, FeatureEmbedding } from '../../src/models/tabular.js';

beforeAll(async () => {
  await initBackend('wasm');
});

describe('ids of embedded features', () => {
  it('FNV-1a matches its published 32-bit test vectors', () => {
    expect(fnv1a('')).toBe(0x811c9dc5);
    expect(fnv1a('a')).toBe(0xe40c292c);
    expect(fnv1a('foobar')).toBe(0xbf9cf968);
  });

  it('fits vocabularies with minCount, hashes, and encodes id slots (0 = missing or unseen, -1 = no item)', () => {
    const rows = [
      { u: 'ann', city: 'x', hist: 'i1|i2', n: 1 },
      { u: 'bob', city: 'y', hist: 'i2', n: 3 },
      { u: 'ann', city: 'x', hist: '', n: 5 },
      { u: 'cid', city: null, hist: 'i3|i2|i1|i9', n: 7 },
    ];
    const state = fitPreprocessing([
      { column: 'u', type: 'categorical', embedding: 4, minCount: 2 },
      { column: 'city', type: 'categorical', hash: 10, embedding: 3 },
      { column: 'hist', type: 'ids', embedding: 2, maxLength: 3 },
      { column: 'n', type: 'numeric' },
    ], rows);
    expect(state.features[0]).toEqual({ column: 'u', type: 'categorical', embedding: 4, categories: ['ann'] });
    expect(state.features[1]).toEqual({ column: 'city', type: 'categorical', embedding: 3, hash: 10 });
    expect(state.features[2]).toEqual({ column: 'hist', type: 'ids', embedding: 2, separator: '|', maxLength: 3, categories: ['i1', 'i2', 'i3', 'i9'] });
    expect(state.inputSize).toBe(1 + 1 + 3 + 1);
    expect(featureNames(state)).toEqual(['u', 'city', 'hist[0]', 'hist[1]', 'hist[2]', 'n']);
    const x = encodeRows(state, [
      { u: 'ann', city: 'x', hist: 'i3|zz', n: 4 },
      { u: 'bob', city: '', hist: null, n: 4 },
    ]);
    const hx = 1 + (fnv1a('x') % 10);
    // ann: id 1; bob was seen once (< minCount 2): 0. city x: hashed; missing: 0. hist: i3 = 3, zz unseen = 0, then -1.
    expect(Array.from(x)).toEqual([1, hx, 3, 0, -1, 0, 0, 0, -1, -1, -1, 0]);
    expect(idLookup({ hash: 10 })('x')).toBe(hx);
  });

  it('rejects contradictory options with the column named', () => {
    expect(() => fitPreprocessing([{ column: 'u', type: 'categorical', hash: 5 }], [{ u: 'a' }])).toThrow(/feature 'u'.*hash needs an embedding/);
    expect(() => fitPreprocessing([{ column: 'h', type: 'ids' }], [{ h: 'a' }])).toThrow(/feature 'h'.*needs an embedding/);
    expect(() => fitPreprocessing([{ column: 'u', type: 'categorical', embedding: 4, hash: 5, minCount: 2 }], [{ u: 'a' }])).toThrow(/hash or minCount/);
  });
});

describe('MtlFeatureEmbedding', () => {
  it('passes dense columns through, looks ids up and mean-pools lists (values and table gradients by hand)', () => {
    // Row layout: [dense0, id(cat), list0, list1, list2, dense1]
    const layer = new FeatureEmbedding({
      inputSize: 6, dense: [0, 5], seed: 1,
      tables: [
        { column: 'cat', offset: 1, length: 1, pooled: false, rows: 3, dim: 2 },
        { column: 'list', offset: 2, length: 3, pooled: true, rows: 4, dim: 1 },
      ],
    });
    layer.build([null, 6]);
    const [catW, listW] = layer.trainableWeights;
    catW!.write(tf.tensor2d([[0, 0], [1, 2], [3, 4]]));
    listW!.write(tf.tensor2d([[10], [20], [30], [40]]));
    const x = tf.tensor2d([
      [0.5, 2, 1, 3, -1, 7],
      [-1, 0, -1, -1, -1, 8],
    ]);
    const y = layer.apply(x) as tf.Tensor;
    // Row 0: dense 0.5, 7; cat row 2 = (3, 4); list mean of rows 1, 3 = (20 + 40) / 2 = 30. Row 1: no items → 0.
    expect(y.arraySync()).toEqual([[0.5, 7, 3, 4, 30], [-1, 8, 0, 0, 0]]);
    const vars = layer.trainableWeights.map((w) => w.read() as tf.Variable);
    const { grads } = tf.variableGrads(() => tf.sum(tf.mul(layer.apply(x) as tf.Tensor, tf.tensor1d([0, 0, 1, 2, 1]))), vars);
    // d/dcat: row 2 gets (1, 2) from sample 0, row 0 gets (1, 2) from sample 1. d/dlist: rows 1 and 3 get 1/2 each.
    expect(grads[vars[0]!.name]!.arraySync()).toEqual([[1, 2], [0, 0], [1, 2]]);
    expect(grads[vars[1]!.name]!.arraySync()).toEqual([[0], [0.5], [0], [0.5]]);
    tf.dispose([x, y, ...Object.values(grads)]);
  });

  it('is laid out from the preprocessing state, and absent when nothing is embedded', () => {
    const state = fitPreprocessing([
      { column: 'n', type: 'numeric' }, { column: 'c', type: 'categorical' }, { column: 'u', type: 'categorical', embedding: 8, hash: 100 },
    ], [{ n: 1, c: 'a', u: 'p' }, { n: 2, c: 'b', u: 'q' }]);
    const layout = embeddingLayout(state, 0)!;
    expect(layout.dense).toEqual([0, 1, 2]);
    expect(layout.tables).toEqual([{ column: 'u', offset: 3, length: 1, pooled: false, rows: 101, dim: 8 }]);
    expect(embeddingLayout(fitPreprocessing([{ column: 'n', type: 'numeric' }], [{ n: 1 }]), 0)).toBeNull();
  });
});

describe('MtlEsmmLogit', () => {
  it('is the logit of σ(a)σ(b), finite for saturated logits', () => {
    const values = [-60, -20, -3, -0.5, 0, 0.7, 4, 25, 60];
    const a: number[] = [];
    const b: number[] = [];
    for (const u of values) for (const v of values) { a.push(u); b.push(v); }
    const layer = new EsmmLogit();
    const out = layer.apply([tf.tensor2d(a, [a.length, 1]), tf.tensor2d(b, [b.length, 1])]) as tf.Tensor;
    const got = out.dataSync();
    const sig = (z: number) => 1 / (1 + Math.exp(-z));
    for (let i = 0; i < a.length; i++) {
      expect(Number.isFinite(got[i]!)).toBe(true);
      const p = sig(a[i]!) * sig(b[i]!);
      // Compare in probability space where it is well conditioned, in logit space where p saturates.
      expect(sig(got[i]!)).toBeCloseTo(p, 6);
      if (p > 1e-6 && p < 1 - 1e-6) expect(got[i]!).toBeCloseTo(Math.log(p / (1 - p)), 3);
    }
    // Both large: logit ≈ −log(e^{−a} + e^{−b}) ≈ min(a, b) − log 2 at a = b.
    expect(got[values.length * values.length - 1]!).toBeCloseTo(60 - Math.log(2), 3);
    out.dispose();
    void tfl;
  });
});
