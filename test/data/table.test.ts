import { describe, expect, it } from 'vitest';
import { tableToSplit, type RawTable } from '../../src/data/table.js';
import type { TableSchema } from '../../src/data/types.js';

const TABLE: RawTable = {
  columns: ['x', 'cat', 'y', 'animal', 'tag_a', 'tag_b', 'r1', 'r2', 'bx1', 'by1', 'bx2', 'by2'],
  rows: [
    ['1', 'a', 'yes', 'dog', '1', '0', '1.5', '-2', '0', '0', '0.5', '0.5'],
    ['3', 'b', 'no', 'cat', '0', '1', '10', '20', '0.1', '0.2', '0.3', '0.4'],
    ['?', 'a', '?', 'bird', '', '1', '', 'NaN', '?', '?', '?', '?'],
    ['100', 'zzz', 'yes', '', '1', '1', '7', '8', '0', '0', '1', '1'],
  ],
};

const SCHEMA: TableSchema = {
  features: [
    { column: 'x', type: 'numeric' },
    { column: 'cat', type: 'categorical' },
  ],
  targets: [
    { task: 'y', kind: 'binary', columns: ['y'], positive: ['yes'] },
    { task: 'animal', kind: 'multiclass', columns: ['animal'] },
    { task: 'tags', kind: 'multilabel', columns: ['tag_a', 'tag_b'] },
    { task: 'reg', kind: 'regression', columns: ['r1', 'r2'] },
    { task: 'box', kind: 'box', columns: ['bx1', 'by1', 'bx2', 'by2'] },
  ],
};

describe('tableToSplit', () => {
  const split = tableToSplit({ name: 'toy', table: TABLE, schema: SCHEMA, train: [0, 1, 2], test: [3] });

  it('fits preprocessing on training rows only', () => {
    expect(split.preprocessing!.features).toEqual([
      { column: 'x', type: 'numeric', mean: 2, std: 1 },
      { column: 'cat', type: 'categorical', categories: ['a', 'b'] },
    ]);
    expect(split.train.inputShape).toEqual([3]);
    expect(Array.from(split.train.x)).toEqual([-1, 1, 0, 1, 0, 1, 0, 1, 0]);
    // test: x=100 standardized with the training stats, unseen category → zeros
    expect(Array.from(split.test.x)).toEqual([98, 0, 0]);
  });

  it('builds task specs', () => {
    expect(split.train.tasks).toEqual([
      { name: 'y', kind: 'binary', width: 1, outputSize: 1, labelNames: ['not yes', 'yes'] },
      { name: 'animal', kind: 'multiclass', width: 1, outputSize: 3, labelNames: ['bird', 'cat', 'dog'] },
      { name: 'tags', kind: 'multilabel', width: 2, outputSize: 2, labelNames: ['tag_a', 'tag_b'] },
      { name: 'reg', kind: 'regression', width: 2, outputSize: 2, labelNames: ['r1', 'r2'] },
      { name: 'box', kind: 'box', width: 4, outputSize: 4, labelNames: ['x1', 'y1', 'x2', 'y2'] },
    ]);
  });

  it('follows the label conventions, with NaN for missing labels', () => {
    const l = split.train.labels;
    expect(Array.from(l['y']!)).toEqual([1, 0, NaN]);
    expect(Array.from(l['animal']!)).toEqual([2, 1, 0]);
    expect(Array.from(l['tags']!)).toEqual([1, 0, 0, 1, NaN, 1]);
    expect(Array.from(l['reg']!)).toEqual([1.5, -2, 10, 20, NaN, NaN]); // raw, not standardized
    expect(Array.from(l['box']!)).toEqual([0, 0, 0.5, 0.5, 0.1, 0.2, 0.3, 0.4, NaN, NaN, NaN, NaN].map(Math.fround));
    expect(Array.from(split.test.labels['animal']!)).toEqual([NaN]);
    expect(split.train.n).toBe(3);
    expect(split.test.n).toBe(1);
  });

  it('rejects bad schemas and label values', () => {
    const base = { name: 't', table: TABLE, train: [0, 1], test: [2] };
    expect(() => tableToSplit({ ...base, schema: { features: [{ column: 'nope', type: 'numeric' }], targets: [] } })).toThrow(
      "feature: unknown column 'nope'",
    );
    expect(() =>
      tableToSplit({ ...base, schema: { features: [], targets: [{ task: 'y', kind: 'binary', columns: ['y'] }] } }),
    ).toThrow("task 'y', row 0 column 'y': expected 0 or 1, found 'yes'");
    expect(() =>
      tableToSplit({ ...base, schema: { features: [], targets: [{ task: 'b', kind: 'box', columns: ['x'] }] } }),
    ).toThrow(/wrong number of columns/);
    expect(() =>
      tableToSplit({ ...base, schema: { features: [], targets: [{ task: 'a', kind: 'multiclass', columns: ['animal'], classes: ['dog'] }] } }),
    ).toThrow(/expected one of the classes dog, found 'cat'/);
    expect(() =>
      tableToSplit({ ...base, schema: { features: [], targets: [{ task: 'r', kind: 'regression', columns: ['cat'] }] } }),
    ).toThrow(/expected a number, found 'a'/);
  });
});
