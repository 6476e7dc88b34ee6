/**
 * The mtljs browser runtime: a saved model folder (model.json + weights.bin + manifest.json) in a web
 * page with tfjs alone. It is bundled for the browser by esbuild (src/browser/bundle.ts) together with
 * src/data/preprocess.ts — the very code that encoded the training data — so raw records are encoded
 * exactly as in Node, and with ./format.ts, the answer format of the inference server.
 *
 * tfjs is not bundled: the page loads the tfjs-core, a backend and tfjs-layers browser bundles (global
 * `tf`) and passes `tf` in:
 *
 *   import { loadMtlModel } from './mtl-runtime.js';
 *   const m = await loadMtlModel(tf, '/model/');
 *   const out = m.predictRows([{ age: 39, workclass: 'State-gov', ... }]);   // task → Float32Array
 *   const answers = m.answers(out, 1);                                       // like POST /predict
 *
 * Outputs are mapped as the tasks' `predict` does in Node: multiclass softmax; binary, multilabel and
 * box sigmoid; regression logits × std + mean with the target scaling stored in the manifest.
 */
import type * as tfc from '@tensorflow/tfjs-core';
import type { LayersModel, loadLayersModel } from '@tensorflow/tfjs-layers';
import { encodeRows } from '../data/preprocess.js';
import { tabularLayers, type TfNamespaces } from '../models/tabular-layers.js';
import { dselectLayers } from '../models/dselect-layers.js';
import { decoderLayers } from '../models/text/decoder-layers.js';
import type { PreprocessingState, RawRecord } from '../data/types.js';
import { formatRows, taskUnits, type TaskAnswer, type TaskInfo } from './format.js';

export { encodeRows, formatRows, taskUnits };

/** The tfjs namespace of the page: tfjs-core plus tfjs-layers' loadLayersModel (the union bundles give both). */
export type Tf = typeof tfc & { loadLayersModel: typeof loadLayersModel };

export interface BrowserTask extends TaskInfo {
  primary?: string;
  higherIsBetter?: boolean;
  state?: Record<string, unknown>;
}

/** The fields of manifest.json the runtime reads. */
export interface BrowserManifest {
  format: 'mtljs-manifest';
  architecture: string;
  inputShape: number[];
  tasks: BrowserTask[];
  preprocessing?: PreprocessingState;
  dataset?: { name: string; options?: Record<string, unknown> };
}

function numbers(v: unknown, what: string, length: number): number[] {
  if (!Array.isArray(v) || v.length !== length || !v.every((x) => typeof x === 'number' && Number.isFinite(x))) {
    throw new Error(`manifest: ${what} must be ${length} numbers`);
  }
  return v as number[];
}

export class MtlModel {
  readonly inputSize: number;

  constructor(readonly tf: Tf, readonly model: LayersModel, readonly manifest: BrowserManifest) {
    if (model.outputs.length !== manifest.tasks.length) {
      throw new Error(`model.json has ${model.outputs.length} outputs but manifest.json names ${manifest.tasks.length} tasks`);
    }
    this.inputSize = manifest.inputShape.reduce((a, b) => a * b, 1);
  }

  get tasks(): BrowserTask[] {
    return this.manifest.tasks;
  }

  /** Raw records keyed by column name → n × inputSize inputs (src/data/preprocess.ts encodeRows). */
  encode(rows: RawRecord[]): Float32Array {
    if (!this.manifest.preprocessing) throw new Error('this model has no preprocessing in its manifest: give it input tensors');
    return encodeRows(this.manifest.preprocessing, rows);
  }

  /** Task output (a tensor of n × units) from the task's logits, as Task.predict does in Node. */
  private output(task: BrowserTask, logits: tfc.Tensor): tfc.Tensor {
    const tf = this.tf;
    switch (task.kind) {
      case 'multiclass':
        return tf.softmax(logits);
      case 'binary':
      case 'multilabel':
      case 'box':
        return tf.sigmoid(logits);
      case 'regression': {
        const mean = numbers(task.state?.mean, `task ${task.name}: state.mean`, task.width);
        const std = numbers(task.state?.std, `task ${task.name}: state.std`, task.width);
        return tf.add(tf.mul(logits, tf.tensor1d(std)), tf.tensor1d(mean));
      }
      case 'generate': // the head's output is the generated token ids (labelNames gives the tokens)
        return tf.clone(logits);
      default:
        throw new Error(`task ${task.name}: unknown kind '${task.kind}'`);
    }
  }

  /** Runs the model on n encoded inputs (n × inputSize values); task name → n × units outputs. */
  predictInputs(x: Float32Array | number[], n: number): Record<string, Float32Array> {
    if (x.length !== n * this.inputSize) throw new Error(`expected ${n} × ${this.inputSize} input values, got ${x.length}`);
    const tf = this.tf;
    const outs = tf.tidy(() => {
      const input = tf.tensor(x instanceof Float32Array ? x : Float32Array.from(x), [n, ...this.manifest.inputShape]);
      const raw = this.model.apply(input, { training: false }) as tfc.Tensor | tfc.Tensor[];
      const logits = Array.isArray(raw) ? raw : [raw];
      return logits.map((l, i) => this.output(this.manifest.tasks[i]!, l));
    });
    const result: Record<string, Float32Array> = {};
    outs.forEach((t, i) => {
      result[this.manifest.tasks[i]!.name] = t.dataSync() as Float32Array;
      t.dispose();
    });
    return result;
  }

  /** Encodes and predicts raw records. */
  predictRows(rows: RawRecord[]): Record<string, Float32Array> {
    return this.predictInputs(this.encode(rows), rows.length);
  }

  /** The server's answer format (one object per row: task → answer). */
  answers(outputs: Record<string, Float32Array>, n: number): Record<string, TaskAnswer>[] {
    return formatRows(this.manifest.tasks, outputs, n);
  }
}

/** Loads `<baseUrl>/manifest.json` and `<baseUrl>/model.json` (+ its weights) with tf.loadLayersModel. */
export async function loadMtlModel(tf: Tf, baseUrl: string): Promise<MtlModel> {
  const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`, (globalThis as { location?: { href: string } }).location?.href);
  const res = await fetch(new URL('manifest.json', base));
  if (!res.ok) throw new Error(`${new URL('manifest.json', base).href}: HTTP ${res.status}`);
  const manifest = (await res.json()) as BrowserManifest;
  if (manifest.format !== 'mtljs-manifest' || !Array.isArray(manifest.tasks) || !Array.isArray(manifest.inputShape)) {
    throw new Error('manifest.json: not an mtljs manifest');
  }
  // Models with embedded features or ESMM hold mtljs layers: define them against the page's tfjs first.
  tabularLayers({ tf: tf as unknown as TfNamespaces['tf'], tfl: tf as unknown as TfNamespaces['tfl'] });
  dselectLayers({ tf: tf as unknown as TfNamespaces['tf'], tfl: tf as unknown as TfNamespaces['tfl'] }); // dselect-k's gate
  decoderLayers({ tf: tf as unknown as TfNamespaces['tf'], tfl: tf as unknown as TfNamespaces['tfl'] }); // generate heads' attention decoder
  const model = await tf.loadLayersModel(new URL('model.json', base).href);
  return new MtlModel(tf, model, manifest);
}
