import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parseArff } from '../../src/data/arff.js';
import { DataError } from '../../src/data/errors.js';

const DATA = process.env['MTL_DATA_DIR'] ?? resolve(process.cwd(), '../shared/data');

const SAMPLE = `% a comment
@RELATION 'weather data'

@attribute outlook {sunny, overcast, 'rainy day'}
@attribute 'air temperature' numeric
@attribute humidity REAL
@attribute windy {TRUE,FALSE}
@attribute count integer

@data
sunny,85,85,FALSE,1
% comment inside data
'rainy day', 70.5 , ?, TRUE, 2

{1 3.5, 3 TRUE}
{}
`;

describe('parseArff', () => {
  it('parses header, dense, sparse and missing values', () => {
    const a = parseArff(SAMPLE, 'weather.arff');
    expect(a.relation).toBe('weather data');
    expect(a.attributes).toEqual([
      { name: 'outlook', type: 'nominal', values: ['sunny', 'overcast', 'rainy day'] },
      { name: 'air temperature', type: 'numeric' },
      { name: 'humidity', type: 'numeric' },
      { name: 'windy', type: 'nominal', values: ['TRUE', 'FALSE'] },
      { name: 'count', type: 'numeric' },
    ]);
    expect(a.rows).toEqual([
      ['sunny', '85', '85', 'FALSE', '1'],
      ['rainy day', '70.5', null, 'TRUE', '2'],
      // sparse: omitted numeric → 0, omitted nominal → first declared value
      ['sunny', '3.5', '0', 'TRUE', '0'],
      ['sunny', '0', '0', 'TRUE', '0'],
    ]);
    expect(a.lines).toEqual([11, 13, 15, 16]);
  });

  it('throws DataErrors naming file and line', () => {
    const head = '@relation r\n@attribute a numeric\n@attribute b {x,y}\n@data\n';
    const cases: [string, RegExp][] = [
      [head + '1,x\n2\n', /^t\.arff:6: expected 2 values, found 1$/],
      [head + '1,x\nabc,y\n', /^t\.arff:6: attribute 'a': not a number: 'abc'$/],
      [head + '1,z\n', /^t\.arff:5: attribute 'b': undeclared value 'z'$/],
      [head + "1,'x\n", /^t\.arff:5: unterminated quoted value$/],
      ['@relation r\n@attribute a blob\n@data\n', /^t\.arff:2: attribute 'a': unsupported type 'blob'$/],
      ['@relation r\n@attribute a numeric\n', /^t\.arff: no @data section$/],
      [head + '{5 1}\n', /^t\.arff:5: sparse row: bad attribute index '5'$/],
    ];
    for (const [text, re] of cases) {
      let err: unknown;
      try {
        parseArff(text, 't.arff');
      } catch (e) {
        err = e;
      }
      expect(err, text).toBeInstanceOf(DataError);
      expect((err as Error).message).toMatch(re);
    }
  });

  it('reads a real Mulan file (emotions-train: 72 features + 6 labels, 391 rows)', () => {
    const a = parseArff(readFileSync(resolve(DATA, 'mulan-multilabel/emotions-train.arff'), 'utf8'), 'emotions-train.arff');
    expect(a.attributes).toHaveLength(78);
    expect(a.rows).toHaveLength(391);
    expect(a.attributes[0]).toEqual({ name: 'Mean_Acc1298_Mean_Mem40_Centroid', type: 'numeric' });
    expect(a.attributes[72]).toEqual({ name: 'amazed-suprised', type: 'nominal', values: ['0', '1'] });
    expect(a.rows.every((r) => r.length === 78)).toBe(true);
    expect(Number(a.rows[0]![0])).toBeCloseTo(0.034741, 6);
  });

  it('reads flags (nominal features)', () => {
    const a = parseArff(readFileSync(resolve(DATA, 'mulan-multilabel/flags-train.arff'), 'utf8'), 'flags-train.arff');
    expect(a.relation).toBe('flags_ml');
    expect(a.attributes[0]).toEqual({ name: 'landmass', type: 'nominal', values: ['1', '2', '3', '4', '5', '6'] });
    expect(a.rows).toHaveLength(129);
  });
});
