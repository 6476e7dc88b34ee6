/**
 * Inference on a saved model folder for the server: request bodies are validated into encoded inputs
 * (raw records through src/data/preprocess.ts encodeRows, the training preprocessing, or input tensors of
 * the manifest's inputShape, or — for text models, whose folder holds text.json — raw sentences tokenized
 * and encoded with the training vocabulary), the model runs once per request and every task's outputs
 * are formatted by src/browser/format.ts. Uses only model.json + weights.bin + manifest.json (+ text.json):
 * never the trainer.
 *
 * What a client sends is checked before the model sees it, and nothing wrong comes back as a 200: keys
 * and values are typed, every encoded input must be finite in float32 (a JSON 1e300 is finite for
 * JavaScript but standardises to Infinity: 400 naming the row and column), an output that still is not
 * finite is a 400 naming the row and task (never a null in the answer), and any string of the client
 * echoed in an error or warning is clipped to 100 characters (./security.ts clip). A model folder that is
 * wrong (src/models/saved.ts checks; text.json here) fails the load with one ModelFileError.
 */
import fs from 'node:fs';
import path from 'node:path';
import { encodeRows, featureNames, isMissing } from '../data/preprocess.js';
import type { PreprocessingState, RawRecord } from '../data/types.js';
import { tf } from '../engine/tf.js';
import { ModelFileError } from '../models/errors.js';
import { confinedFile } from '../models/io.js';
import { loadSavedModel, type SavedModel } from '../models/saved.js';
import type { Manifest } from '../models/manifest.js';
import { formatRows, outputNames, taskUnits, type TaskAnswer } from '../browser/format.js';
import '../models/text/layers.js'; // registers the custom layers of text models before loading one
import { encodeTexts, parseTextState, TEXT_STATE_FILE, type TextState } from '../data/text/state.js';
import { clip, HttpError } from './security.js';
import { AUDIO_STATE_FILE } from '../data/loaders/spoken-agent.js';
import { AudioModel, readAudioState, type AudioPrediction } from '../run/predict-audio.js';

/** An error in the request: the server answers it with this status and {error: message}. */
export class RequestError extends HttpError {
  constructor(statusCode: number, message: string) {
    super(statusCode, message);
    this.name = 'RequestError';
  }
}

/** text.json of a model folder (confined to it, like the other files), or a ModelFileError. */
function readTextState(modelDir: string): TextState {
  const file = confinedFile(modelDir, TEXT_STATE_FILE);
  const where = path.join(modelDir, TEXT_STATE_FILE);
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ModelFileError(`not valid JSON (${clip((e as Error).message)})`, where);
  }
  try {
    return parseTextState(json, where);
  } catch (e) {
    throw new ModelFileError(clip((e as Error).message.replace(`${where}: `, ''), 300), where);
  }
}

/** The first value of `x` that is not finite, or -1. */
function firstNonFinite(x: ArrayLike<number>): number {
  for (let i = 0; i < x.length; i++) {
    const v = x[i]!;
    if (v - v !== 0) return i;
  }
  return -1;
}

/** A run folder (its model/) or a model folder itself. */
export function resolveModelDir(dir: string): string {
  if (fs.existsSync(path.join(dir, 'model.json'))) return dir;
  if (fs.existsSync(path.join(dir, 'model', 'model.json'))) return path.join(dir, 'model');
  throw new Error(`${dir} is neither a run folder (with model/) nor a model folder (with model.json + manifest.json)`);
}

export interface Encoded {
  x: Float32Array;
  n: number;
  warnings: string[];
  /** For raw text: the tokens of each sentence as the model read them (after the first L are cut). */
  tokens?: string[][];
}

export interface PredictorLimits {
  /** Most rows (or input samples) in one request. */
  maxRows: number;
}

const MAX_WARNINGS = 20;

function describe(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  return typeof v === 'object' ? 'an object' : typeof v;
}

export class Predictor {
  readonly manifest: Manifest;
  readonly modelDir: string;
  readonly inputSize: number;
  private readonly saved: SavedModel;
  /** The tokenizer and vocabulary of a text model (its folder's text.json), else null. */
  readonly text: TextState | null;
  /** An audio model (its folder's audio.json: mtl agent --speech) reads WAV bodies; else null. */
  readonly audio: AudioModel | null = null;

  private constructor(saved: SavedModel, modelDir: string, readonly limits: PredictorLimits) {
    this.saved = saved;
    this.text = fs.existsSync(path.join(modelDir, TEXT_STATE_FILE)) ? readTextState(modelDir) : null;
    if (this.text && saved.manifest.inputShape.join(',') !== String(this.text.maxLength)) {
      throw new ModelFileError(`the model reads [${saved.manifest.inputShape}] but ${TEXT_STATE_FILE} says L = ${this.text.maxLength}`, modelDir);
    }
    if (fs.existsSync(path.join(modelDir, AUDIO_STATE_FILE))) {
      try {
        this.audio = AudioModel.fromSaved(saved, readAudioState(modelDir), modelDir);
      } catch (e) {
        throw new ModelFileError(clip((e as Error).message, 300), path.join(modelDir, AUDIO_STATE_FILE));
      }
    }
    this.manifest = saved.manifest;
    this.modelDir = modelDir;
    this.inputSize = saved.manifest.inputShape.reduce((a, b) => a * b, 1);
    const pre = saved.manifest.preprocessing;
    if (pre && pre.inputSize !== this.inputSize) {
      throw new ModelFileError(`manifest.json: preprocessing makes ${pre.inputSize} inputs but inputShape is [${saved.manifest.inputShape.join(', ')}]`, modelDir);
    }
  }

  static async load(dir: string, limits: PredictorLimits): Promise<Predictor> {
    const modelDir = resolveModelDir(dir);
    const saved = await loadSavedModel(modelDir);
    try {
      return new Predictor(saved, modelDir, limits);
    } catch (e) {
      saved.model.dispose();
      throw e;
    }
  }

  get taskNames(): string[] {
    return this.manifest.tasks.map((t) => t.name);
  }

  get preprocessing(): PreprocessingState | undefined {
    return this.manifest.preprocessing;
  }

  /** What GET /metadata answers: tasks, their outputs, the input schema, the limits. */
  metadata(): Record<string, unknown> {
    const m = this.manifest;
    const pre = m.preprocessing;
    return {
      format: m.format,
      architecture: m.architecture,
      dataset: m.dataset ?? null,
      createdAt: m.createdAt,
      inputShape: m.inputShape,
      input: this.audio
        ? { kind: 'audio', request: 'POST the bytes of a 16-bit PCM WAV file (any rate; stereo is mixed down) with Content-Type: audio/wav', sampleRate: this.audio.state.sampleRate, maxFrames: this.audio.state.maxFrames, maxSeconds: (this.audio.state.maxFrames * this.audio.state.features.hopMs) / 1000 }
        : this.text
        ? { kind: 'text', request: '{"texts": ["a sentence", ...]} or {"text": "a sentence"}; or {"inputs": [...]} of token ids', maxLength: this.text.maxLength, vocabularySize: this.text.vocabulary.length }
        : pre
        ? {
            kind: 'records',
            request: '{"rows": [{column: value, ...}, ...]} or {"row": {...}}; null marks a missing value',
            columns: pre.features.map((f) =>
              f.type === 'numeric'
                ? { name: f.column, type: 'numeric', mean: f.mean, std: f.std }
                : { name: f.column, type: 'categorical', categories: f.categories },
            ),
            encodedSize: pre.inputSize,
          }
        : { kind: 'tensor', request: `{"inputs": [sample, ...]}, each sample ${m.inputShape.join(' × ')} numbers (nested or flat)`, shape: m.inputShape },
      tasks: m.tasks.map((t) => ({
        name: t.name,
        kind: t.kind,
        outputs: outputNames(t),
        units: taskUnits(t),
        labelNames: t.labelNames ?? null,
        primary: t.primary,
        higherIsBetter: t.higherIsBetter,
      })),
      limits: { maxRows: this.limits.maxRows },
    };
  }

  /** Validates a request body into encoded inputs, or throws a RequestError (4xx). */
  encodeBody(body: unknown): Encoded {
    if (this.audio) throw new RequestError(415, 'this model reads audio: POST a 16-bit PCM WAV file as the body with Content-Type: audio/wav');
    const keys = this.text ? ['texts', 'text', 'inputs'] : ['rows', 'row', 'inputs'];
    const shapes = this.text ? '{"texts": [...]}, {"text": "..."} or {"inputs": [...]}' : '{"rows": [...]}, {"row": {...}} or {"inputs": [...]}';
    if (body === null || typeof body !== 'object' || Array.isArray(body)) throw new RequestError(400, `the body must be a JSON object: ${shapes}`);
    const b = body as Record<string, unknown>;
    const given = keys.filter((k) => Object.prototype.hasOwnProperty.call(b, k));
    const extra = Object.keys(b).filter((k) => !keys.includes(k));
    if (extra.length) {
      const hint = !this.text && extra.some((k) => k === 'texts' || k === 'text') ? ' (this model does not read raw text: it has no text.json)' : '';
      throw new RequestError(400, `unknown field(s) ${extra.slice(0, 5).map((k) => `'${clip(k)}'`).join(', ')}${extra.length > 5 ? ` (and ${extra.length - 5} more)` : ''}${hint}: send one of ${keys.map((k) => `"${k}"`).join(', ')}`);
    }
    if (given.length !== 1) throw new RequestError(400, `send exactly one of ${shapes}`);
    const key = given[0]!;
    if (key === 'inputs') return this.encodeInputs(b.inputs);
    if (key === 'texts' || key === 'text') return this.encodeTexts(key === 'text' ? [b.text] : b.texts);
    const rows = key === 'row' ? [b.row] : b.rows;
    if (!Array.isArray(rows)) throw new RequestError(400, `"rows" must be a list of records, got ${describe(rows)}`);
    return this.encodeRecords(rows);
  }

  /** Raw sentences → token ids with the training tokenizer and vocabulary (unknown words → <unk>). */
  encodeTexts(texts: unknown): Encoded {
    if (!Array.isArray(texts)) throw new RequestError(400, `"texts" must be a list of strings, got ${describe(texts)}`);
    this.checkCount(texts.length, 'texts');
    texts.forEach((t, i) => {
      if (typeof t !== 'string') throw new RequestError(400, `texts[${i}]: expected a string, got ${describe(t)}`);
    });
    const { x, tokens } = encodeTexts(this.text!, texts as string[]);
    const L = this.text!.maxLength;
    const warnings = tokens.flatMap((tk, i) => (tk.length > L ? [`texts[${i}]: ${tk.length} tokens, only the first ${L} are read`] : [])).slice(0, MAX_WARNINGS);
    // The tokens come back as the model read them; a huge "word" is echoed clipped like any client string.
    return { x, n: texts.length, warnings, tokens: tokens.map((tk) => tk.slice(0, L).map((t) => clip(t))) };
  }

  private checkCount(n: number, what: string): void {
    if (n === 0) throw new RequestError(400, `"${what}" is empty: send at least one`);
    if (n > this.limits.maxRows) throw new RequestError(413, `too many ${what}: ${n} > ${this.limits.maxRows} per request; split the batch`);
  }

  encodeRecords(rows: unknown[]): Encoded {
    const pre = this.manifest.preprocessing;
    if (!pre) {
      throw new RequestError(400, `this model takes input tensors, not records: send {"inputs": [...]} with samples of shape [${this.manifest.inputShape.join(', ')}]`);
    }
    this.checkCount(rows.length, 'rows');
    const columns = new Map(pre.features.map((f) => [f.column, f]));
    const warnings: string[] = [];
    rows.forEach((row, r) => {
      if (row === null || typeof row !== 'object' || Array.isArray(row)) {
        throw new RequestError(400, `row ${r}: expected an object keyed by column name, got ${describe(row)}`);
      }
      for (const [k, v] of Object.entries(row as Record<string, unknown>)) {
        const f = columns.get(k);
        if (!f) throw new RequestError(400, `record ${r}: unknown column '${clip(k)}' (expected columns: ${pre.features.map((c) => c.column).join(', ')})`);
        if (v !== null && typeof v !== 'string' && typeof v !== 'number') {
          throw new RequestError(400, `row ${r}: column '${clip(k)}': expected ${f.type === 'numeric' ? 'a number' : 'a string'} or null, got ${describe(v)}`);
        }
        if (f.type === 'numeric' && typeof v === 'string' && !isMissing(v) && !Number.isFinite(Number(v))) {
          throw new RequestError(400, `row ${r}: column '${clip(k)}': not a number: '${clip(v)}'`);
        }
        if (f.type === 'categorical' && f.categories && !isMissing(v) && warnings.length < MAX_WARNINGS) {
          const key = typeof v === 'number' ? String(v) : v!.trim();
          if (!f.categories.includes(key)) warnings.push(`row ${r}: column '${clip(k)}': category '${clip(key)}' was not seen in training (encoded as ${f.embedding === undefined ? 'all zeros' : 'the out-of-vocabulary id'})`);
        }
      }
    });
    let x: Float32Array;
    try {
      x = encodeRows(pre, rows as RawRecord[]);
    } catch (e) {
      throw new RequestError(400, (e as Error).message);
    }
    const bad = firstNonFinite(x);
    if (bad >= 0) {
      const r = Math.floor(bad / pre.inputSize);
      const name = featureNames(pre)[bad % pre.inputSize]!;
      const v = (rows[r] as Record<string, unknown>)[name];
      throw new RequestError(400, `row ${r}: column '${clip(name)}': ${clip(String(v))} is out of range: it standardises to ${x[bad]} in float32; send a finite number of a sensible size`);
    }
    return { x, n: rows.length, warnings };
  }

  encodeInputs(inputs: unknown): Encoded {
    if (!Array.isArray(inputs)) throw new RequestError(400, `"inputs" must be a list of samples, got ${describe(inputs)}`);
    this.checkCount(inputs.length, 'inputs');
    const shape = this.manifest.inputShape;
    const size = this.inputSize;
    const x = new Float32Array(inputs.length * size);
    inputs.forEach((sample, r) => {
      const flat = flattenSample(sample, shape, size, r);
      x.set(flat, r * size);
      const bad = firstNonFinite(x.subarray(r * size, (r + 1) * size));
      if (bad >= 0) throw new RequestError(400, `inputs[${r}]: value ${bad} (${clip(String(flat[bad]))}) is out of the float32 range`);
    });
    return { x, n: inputs.length, warnings: [] };
  }

  /**
   * A WAV body's answers (as `mtl predict --audio` gives them), optionally for one task: 415 for a model that
   * does not read audio, 400 with readWav's message for anything but a 16-bit PCM WAV.
   */
  answerWav(bytes: Uint8Array, task?: string): AudioPrediction {
    if (!this.audio) throw new RequestError(415, `this model does not read audio (its folder has no ${AUDIO_STATE_FILE}): send application/json`);
    let p: AudioPrediction;
    try {
      p = this.audio.predictWav(bytes, 'body');
    } catch (e) {
      throw new RequestError(400, (e as Error).message);
    }
    if (task !== undefined) p.tasks = { [task]: p.tasks[task]! };
    return p;
  }

  /** Task name → n × units outputs (probabilities, values in label units, box coordinates). */
  predict(x: Float32Array, n: number): Record<string, Float32Array> {
    const { model, tasks } = this.saved;
    const outs = tf.tidy(() => {
      const input = tf.tensor(x, [n, ...this.manifest.inputShape]);
      const { logits } = model.forward(input, false);
      return tasks.map((t, i) => t.predict(logits[i]!));
    });
    const result: Record<string, Float32Array> = {};
    outs.forEach((t, i) => {
      result[tasks[i]!.name] = t.dataSync() as Float32Array;
      t.dispose();
    });
    return result;
  }

  /** Formatted answers, one object per row (task → answer), optionally for one task only. */
  answer(enc: Encoded, task?: string): Record<string, TaskAnswer>[] {
    const outputs = this.predict(enc.x, enc.n);
    const tasks = task ? this.manifest.tasks.filter((t) => t.name === task) : this.manifest.tasks;
    for (const t of tasks) {
      const values = outputs[t.name]!;
      const bad = firstNonFinite(values);
      if (bad >= 0) {
        const row = Math.floor(bad / (values.length / enc.n));
        throw new RequestError(400, `row ${row}: task '${t.name}' gives a non-finite output (${values[bad]}): the inputs are far outside what the model was trained on`);
      }
    }
    return formatRows(tasks, outputs, enc.n, enc.tokens);
  }

  dispose(): void {
    this.saved.model.dispose();
  }
}

/** A sample as nested arrays of exactly `shape`, or flat with `size` numbers; every value finite. */
function flattenSample(sample: unknown, shape: number[], size: number, r: number): number[] {
  if (!Array.isArray(sample)) throw new RequestError(400, `inputs[${r}]: expected an array of ${size} numbers (shape [${shape.join(', ')}]), got ${describe(sample)}`);
  const out: number[] = [];
  const flatOk = sample.length === size && sample.every((v) => typeof v === 'number');
  if (flatOk) {
    out.push(...(sample as number[]));
  } else {
    const walk = (v: unknown, depth: number, where: string): void => {
      if (depth === shape.length) {
        if (typeof v !== 'number') throw new RequestError(400, `inputs[${r}]${where}: expected a number, got ${describe(v)}`);
        out.push(v);
        return;
      }
      if (!Array.isArray(v) || v.length !== shape[depth]) {
        throw new RequestError(400, `inputs[${r}]${where}: wrong shape: expected ${size} numbers flat or nested as [${shape.join(', ')}]`);
      }
      v.forEach((c, i) => walk(c, depth + 1, `${where}[${i}]`));
    };
    walk(sample, 0, '');
  }
  for (let i = 0; i < out.length; i++) {
    if (!Number.isFinite(out[i])) throw new RequestError(400, `inputs[${r}]: value ${i} is not a finite number`);
  }
  return out;
}
