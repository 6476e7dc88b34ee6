/**
 * Saved models in the standard tfjs format (model.json + weights.bin), readable by
 * tf.loadLayersModel in a browser, plus tensors (optimizer state, best weights) in the same
 * weights-manifest encoding. Node without tfjs-node has no file IO handler, so we write the
 * artifacts ourselves.
 *
 * Reading is where a wrong folder must stop, with one ModelFileError (./errors.ts) naming the file, the
 * field and the problem — never a tfjs TypeError, never a file outside the folder, never a NaN model:
 *   - model.json and the tensor spec files are checked with zod (every field, its type);
 *   - weight paths stay in the folder: no absolute path, no '..', and no symbolic link whose real path
 *     leaves it (realpath check), and each is a regular file (not a FIFO that would block the read);
 *   - the bytes of the weight files equal what the specs need (Σ shape products × dtype size) before
 *     anything is read or decoded, so a truncated or padded weights.bin is named as such;
 *   - float weights are all finite (the first NaN/±Infinity names its weight);
 *   - what tfjs still refuses while building the model (a topology that does not fit the weights) is
 *     wrapped in the same error.
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';
import { tf, tfl } from '../engine/tf.js';
import { clip, ModelFileError, schemaProblem } from './errors.js';
import { layersModelFiles } from './layers-files.js';

export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

export async function saveLayersModel(dir: string, model: tfl.LayersModel): Promise<void> {
  const files = await layersModelFiles(model);
  fs.writeFileSync(path.join(dir, 'model.json'), files.modelJson);
  fs.writeFileSync(path.join(dir, 'weights.bin'), new Uint8Array(files.weights));
}

/** Bytes of one value of each weight dtype mtljs reads (and of each quantized storage type). */
const DTYPE_BYTES = { float32: 4, int32: 4, bool: 1 } as const;
const QUANT_BYTES = { uint8: 1, uint16: 2, float16: 2 } as const;

const weightSpecSchema = z.looseObject({
  name: z.string().min(1),
  shape: z.array(z.number().int().nonnegative()),
  dtype: z.enum(Object.keys(DTYPE_BYTES) as [keyof typeof DTYPE_BYTES]),
  quantization: z
    .looseObject({
      dtype: z.enum(Object.keys(QUANT_BYTES) as [keyof typeof QUANT_BYTES]),
      scale: z.number().optional(),
      min: z.number().optional(),
    })
    .optional(),
});
type WeightSpec = z.infer<typeof weightSpecSchema>;

const modelJsonSchema = z.looseObject({
  format: z.string().optional(),
  modelTopology: z.looseObject({}).check((ctx) => {
    // tfjs reads modelTopology.model_config when there (Keras exports), else modelTopology itself.
    const t = (ctx.value.model_config ?? ctx.value) as Record<string, unknown>;
    const at = ctx.value.model_config === undefined ? [] : ['model_config'];
    if (typeof t !== 'object' || t === null || Array.isArray(t)) {
      ctx.issues.push({ code: 'invalid_type', expected: 'object', input: t, path: at });
    } else if (typeof t.class_name !== 'string') {
      ctx.issues.push({ code: 'invalid_type', expected: 'string', input: t.class_name, path: [...at, 'class_name'] });
    } else if (typeof t.config !== 'object' || t.config === null || Array.isArray(t.config)) {
      ctx.issues.push({ code: 'invalid_type', expected: 'object', input: t.config, path: [...at, 'config'] });
    }
  }),
  weightsManifest: z.array(z.looseObject({ paths: z.array(z.string().min(1)), weights: z.array(weightSpecSchema) })),
});

/** Reads and parses a JSON file of a model folder (confined to it), or throws a ModelFileError. */
function readJsonFile(dir: string, name: string): unknown {
  const file = confinedFile(dir, name);
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new ModelFileError(`not valid JSON (${clip((e as Error).message)})`, path.join(dir, name));
  }
}

/**
 * `rel` as a path inside the model folder `dir`: not absolute, no '..', no symbolic link whose real path
 * leaves the folder, a regular file. `from` says where `rel` was read (the file and its field), for the
 * message; without it `rel` is a fixed name (model.json, manifest.json) and the message names that file.
 */
export function confinedFile(dir: string, rel: string, from?: { file: string; field: string }): string {
  const full = path.join(dir, rel);
  const bad = (what: string) => (from ? new ModelFileError(`${from.field}: '${clip(rel)}' ${what}`, from.file) : new ModelFileError(what, full));
  if (rel.includes('\0')) throw bad('holds a NUL character');
  if (path.isAbsolute(rel) || path.win32.isAbsolute(rel)) throw bad('is an absolute path: the files of a model folder are named relative to it');
  if (rel.split(/[\\/]/).includes('..')) throw bad("leaves the model folder ('..')");
  let realDir: string;
  try {
    realDir = fs.realpathSync(dir);
  } catch {
    throw new ModelFileError('no such model folder', dir);
  }
  let real: string;
  try {
    real = fs.realpathSync(full);
  } catch {
    throw bad(from ? 'does not exist in the model folder' : 'is missing');
  }
  if (real !== realDir && !real.startsWith(realDir + path.sep)) throw bad('is a symbolic link leading outside the model folder');
  if (!fs.statSync(real).isFile()) throw bad('is not a regular file');
  return real;
}

function specBytes(s: WeightSpec): number {
  const n = s.shape.reduce((a, b) => a * b, 1);
  return n * (s.quantization ? QUANT_BYTES[s.quantization.dtype] : DTYPE_BYTES[s.dtype]);
}

function plural(n: number, one: string): string {
  return `${n} ${one}${n === 1 ? '' : 's'}`;
}

/** Throws when a float32 weight holds NaN or ±Infinity (checked on the raw bytes, before decoding). */
function checkFinite(data: ArrayBuffer, specs: WeightSpec[], where: string): void {
  let offset = 0;
  for (const s of specs) {
    const bytes = specBytes(s);
    if (s.dtype === 'float32' && !s.quantization && bytes > 0) {
      const values = offset % 4 === 0 ? new Float32Array(data, offset, bytes / 4) : new Float32Array(data.slice(offset, offset + bytes));
      for (let i = 0; i < values.length; i++) {
        const v = values[i]!;
        if (v - v !== 0) {
          throw new ModelFileError(`weight '${clip(s.name)}' holds a non-finite value (${v} at index ${i} of ${values.length}): the model cannot give valid answers`, where);
        }
      }
    }
    offset += bytes;
  }
}

/** Quantized float weights are checked once decoded. */
function checkDecodedFinite(named: tf.NamedTensorMap, specs: WeightSpec[], where: string): void {
  for (const s of specs) {
    if (!s.quantization || s.dtype !== 'float32') continue;
    const values = named[s.name]!.dataSync();
    const i = values.findIndex((v) => !Number.isFinite(v));
    if (i >= 0) throw new ModelFileError(`weight '${clip(s.name)}' holds a non-finite value (${values[i]} at index ${i} of ${values.length})`, where);
  }
}

function checkUniqueNames(specs: WeightSpec[], where: string): void {
  const seen = new Set<string>();
  for (const s of specs) {
    if (seen.has(s.name)) throw new ModelFileError(`weight '${clip(s.name)}' is listed twice`, where);
    seen.add(s.name);
  }
}

/** Reads the weight files of one group, after checking that their sizes are what the specs need. */
function readWeightFiles(files: { rel: string; real: string }[], specs: WeightSpec[], dir: string, owner: string): Buffer {
  const need = specs.reduce((a, s) => a + specBytes(s), 0);
  const have = files.reduce((a, f) => a + fs.statSync(f.real).size, 0);
  const where = files.length === 1 ? path.join(dir, files[0]!.rel) : dir;
  const names = files.length === 1 ? '' : `the weight files ${files.map((f) => f.rel).join(', ')} `;
  if (have !== need) {
    const hint = have < need ? 'truncated, or not the file it was saved with' : 'extra bytes: not the file it was saved with';
    throw new ModelFileError(`${names}${names ? 'hold' : 'holds'} ${have} bytes but the ${plural(specs.length, 'weight')} ${owner} lists need ${need} (${hint})`, where);
  }
  return Buffer.concat(files.map((f) => fs.readFileSync(f.real)));
}

function toArrayBuffer(buf: Buffer): ArrayBuffer {
  return buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength) as ArrayBuffer;
}

/** model.json and its weight files, checked (see the header); the weights are not decoded yet. */
export function readArtifacts(dir: string): tf.io.ModelArtifacts {
  const jsonFile = path.join(dir, 'model.json');
  const raw = readJsonFile(dir, 'model.json');
  const parsed = modelJsonSchema.safeParse(raw);
  if (!parsed.success) throw new ModelFileError(schemaProblem(parsed.error, raw), jsonFile);
  const json = parsed.data;
  const specs: WeightSpec[] = [];
  const buffers: Buffer[] = [];
  json.weightsManifest.forEach((group, g) => {
    const files = group.paths.map((rel, i) => ({ rel, real: confinedFile(dir, rel, { file: jsonFile, field: `weightsManifest[${g}].paths[${i}]` }) }));
    if (files.length === 0 && group.weights.some((s) => specBytes(s) > 0)) {
      throw new ModelFileError(`weightsManifest[${g}]: ${plural(group.weights.length, 'weight')} but no weight file in paths`, jsonFile);
    }
    const data = readWeightFiles(files, group.weights, dir, 'model.json');
    checkFinite(toArrayBuffer(data), group.weights, files.length === 1 ? path.join(dir, files[0]!.rel) : dir);
    specs.push(...group.weights);
    buffers.push(data);
  });
  checkUniqueNames(specs, jsonFile);
  const weightData = toArrayBuffer(Buffer.concat(buffers));
  if (specs.some((s) => s.quantization)) checkDecodedFinite(tf.io.decodeWeights(weightData, specs as tf.io.WeightsManifestEntry[]), specs, dir);
  return { modelTopology: json.modelTopology, weightSpecs: specs as tf.io.WeightsManifestEntry[], weightData };
}

/** Loads the tfjs model of a model folder; any problem is one ModelFileError (see the header). */
export async function loadLayersModel(dir: string): Promise<tfl.LayersModel> {
  const artifacts = readArtifacts(dir);
  try {
    return await tfl.loadLayersModel(tf.io.fromMemory(artifacts));
  } catch (e) {
    throw new ModelFileError(`tfjs cannot build the model from it: ${clip((e as Error).message.split('\n')[0]!, 300)}`, path.join(dir, 'model.json'));
  }
}

/** Reads the weights of a saved model in save order (for restoring into a model rebuilt from config). */
export function readModelWeights(dir: string): tf.Tensor[] {
  const a = readArtifacts(dir);
  const named = tf.io.decodeWeights(a.weightData!, a.weightSpecs!);
  return a.weightSpecs!.map((s) => named[s.name]!);
}

/** Writes named tensors as `<name>.json` (specs) + `<name>.bin`. */
export async function saveTensors(dir: string, name: string, tensors: NamedTensor[]): Promise<void> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(specs));
  fs.writeFileSync(path.join(dir, `${name}.bin`), new Uint8Array(data));
}

export function loadTensors(dir: string, name: string): NamedTensor[] {
  const specFile = path.join(dir, `${name}.json`);
  const raw = readJsonFile(dir, `${name}.json`);
  const parsed = z.array(weightSpecSchema).safeParse(raw);
  if (!parsed.success) throw new ModelFileError(schemaProblem(parsed.error, raw), specFile);
  const specs = parsed.data;
  checkUniqueNames(specs, specFile);
  const bin = `${name}.bin`;
  const data = toArrayBuffer(readWeightFiles([{ rel: bin, real: confinedFile(dir, bin) }], specs, dir, `${name}.json`));
  checkFinite(data, specs, path.join(dir, bin));
  const named = tf.io.decodeWeights(data, specs as tf.io.WeightsManifestEntry[]);
  checkDecodedFinite(named, specs, path.join(dir, bin));
  return specs.map((s) => ({ name: s.name, tensor: named[s.name]! }));
}
