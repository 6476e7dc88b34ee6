/**
 * Mulan multi-label datasets (emotions, yeast, scene, flags) in mulan-multilabel/: NAME-train.arff and
 * NAME-test.arff (the official split) plus NAME.xml naming the label attributes. Every label becomes a
 * binary task (name sanitised: non-alphanumerics → '_'), or with `asMultilabel` one 'multilabel' task
 * named 'labels'. Numeric attributes are standardized, nominal ones (flags) one-hot encoded.
 */

import { parseArff, type ArffData } from '../arff.js';
import { DataError } from '../errors.js';
import { tableToSplit } from '../table.js';
import type { DatasetSplit, FeatureSpec, RawValue, TargetSpec } from '../types.js';
import { applyLimit, range, readDataFile, type LoadOptions } from './common.js';

export const MULAN_DATASETS = ['emotions', 'yeast', 'scene', 'flags'] as const;
export type MulanName = (typeof MULAN_DATASETS)[number];

function decodeXml(s: string): string {
  return s
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&quot;/g, '"')
    .replace(/&apos;/g, "'")
    .replace(/&#(\d+);/g, (_, d: string) => String.fromCodePoint(Number(d)))
    .replace(/&#x([0-9a-fA-F]+);/g, (_, h: string) => String.fromCodePoint(parseInt(h, 16)))
    .replace(/&amp;/g, '&');
}

/** The label attribute names listed in a Mulan .xml file, in file order. */
export function parseMulanLabels(xml: string, source = '<xml>'): string[] {
  const names = [...xml.matchAll(/<label\s+name\s*=\s*(?:"([^"]*)"|'([^']*)')/g)].map((m) => decodeXml(m[1] ?? m[2] ?? ''));
  if (names.length === 0) throw new DataError('no <label name="..."> elements', source);
  return names;
}

/** A task name safe for file names and identifiers: runs of other characters → '_'. */
export function sanitizeTaskName(name: string): string {
  const s = name.replace(/[^A-Za-z0-9_]+/g, '_').replace(/^_+|_+$/g, '');
  return s === '' ? 'label' : s;
}

function sameAttributes(a: ArffData, b: ArffData): boolean {
  return a.attributes.length === b.attributes.length && a.attributes.every((x, i) => JSON.stringify(x) === JSON.stringify(b.attributes[i]));
}

export async function loadMulan(dataset: MulanName, options: LoadOptions = {}): Promise<DatasetSplit> {
  const [xml, trainText, testText] = await Promise.all([
    readDataFile(`mulan-multilabel/${dataset}.xml`, options.dataDir),
    readDataFile(`mulan-multilabel/${dataset}-train.arff`, options.dataDir),
    readDataFile(`mulan-multilabel/${dataset}-test.arff`, options.dataDir),
  ]);
  const labelNames = parseMulanLabels(xml, `${dataset}.xml`);
  const train = parseArff(trainText, `${dataset}-train.arff`);
  const test = parseArff(testText, `${dataset}-test.arff`);
  if (!sameAttributes(train, test)) throw new DataError('attributes differ from the training file', `${dataset}-test.arff`);

  const attrs = new Map(train.attributes.map((a) => [a.name, a]));
  for (const l of labelNames) {
    if (!attrs.has(l)) throw new DataError(`label '${l}' is not an attribute of ${dataset}-train.arff`, `${dataset}.xml`);
  }
  const labelSet = new Set(labelNames);
  const features: FeatureSpec[] = train.attributes
    .filter((a) => !labelSet.has(a.name))
    .map((a) => {
      if (a.type === 'numeric') return { column: a.name, type: 'numeric' };
      if (a.type === 'nominal') return { column: a.name, type: 'categorical' };
      throw new DataError(`attribute '${a.name}' has unsupported type '${a.type}'`, `${dataset}-train.arff`);
    });

  // A label is positive when it reads '1' (nominal {0,1}) — numeric labels are read as 0/1 numbers.
  const positiveOf = (l: string): string[] | undefined => (attrs.get(l)!.type === 'nominal' ? ['1'] : undefined);
  let targets: TargetSpec[];
  if (options.asMultilabel) {
    const nominal = labelNames.every((l) => attrs.get(l)!.type === 'nominal');
    const spec: TargetSpec = { task: 'labels', kind: 'multilabel', columns: labelNames, labelNames: [...labelNames] };
    if (nominal) spec.positive = ['1'];
    targets = [spec];
  } else {
    const used = new Set<string>();
    targets = labelNames.map((l) => {
      let task = sanitizeTaskName(l);
      for (let k = 2; used.has(task); k++) task = `${sanitizeTaskName(l)}_${k}`;
      used.add(task);
      const spec: TargetSpec = { task, kind: 'binary', columns: [l], labelNames: [`not ${l}`, l] };
      const positive = positiveOf(l);
      if (positive) spec.positive = positive;
      return spec;
    });
  }

  const trainRows = applyLimit(train.rows, options.limit);
  const testRows = applyLimit(test.rows, options.testLimit, 'testLimit');
  const rows: RawValue[][] = (trainRows as RawValue[][]).concat(testRows);
  return tableToSplit({
    name: `mulan-${dataset}`,
    table: { columns: train.attributes.map((a) => a.name), rows },
    schema: { features, targets },
    train: range(trainRows.length),
    test: range(testRows.length, trainRows.length),
  });
}
