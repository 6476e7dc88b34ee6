/**
 * Saved models in the standard tfjs format (model.json + weights.bin), readable by
 * tf.loadLayersModel in a browser, plus tensors (optimizer state, best weights) in the same
 * weights-manifest encoding. Node without tfjs-node has no file IO handler, so we write the
 * artifacts ourselves.
 */
import fs from 'node:fs';
import path from 'node:path';
import { tf, tfl } from '../engine/tf.js';

export interface NamedTensor {
  name: string;
  tensor: tf.Tensor;
}

function toBytes(data: tf.io.WeightData | undefined): Uint8Array {
  if (!data) return new Uint8Array(0);
  return new Uint8Array(tf.io.CompositeArrayBuffer.join(data));
}

export async function saveLayersModel(dir: string, model: tfl.LayersModel): Promise<void> {
  await model.save(
    tf.io.withSaveHandler(async (artifacts) => {
      const modelJson = {
        format: 'layers-model',
        generatedBy: `TensorFlow.js tfjs-layers v${tfl.version_layers}`,
        convertedBy: 'mtljs',
        modelTopology: artifacts.modelTopology,
        weightsManifest: [{ paths: ['weights.bin'], weights: artifacts.weightSpecs ?? [] }],
      };
      fs.writeFileSync(path.join(dir, 'model.json'), JSON.stringify(modelJson));
      fs.writeFileSync(path.join(dir, 'weights.bin'), toBytes(artifacts.weightData));
      return { modelArtifactsInfo: { dateSaved: new Date(), modelTopologyType: 'JSON' } };
    }),
  );
}

function readJson<T>(file: string): T {
  if (!fs.existsSync(file)) throw new Error(`missing file ${file}`);
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8')) as T;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

interface ModelJson {
  modelTopology: object;
  weightsManifest: { paths: string[]; weights: tf.io.WeightsManifestEntry[] }[];
}

function readArtifacts(dir: string): tf.io.ModelArtifacts {
  const json = readJson<ModelJson>(path.join(dir, 'model.json'));
  const specs = json.weightsManifest.flatMap((g) => g.weights);
  const buffers = json.weightsManifest.flatMap((g) => g.paths.map((p) => fs.readFileSync(path.join(dir, p))));
  const joined = Buffer.concat(buffers);
  const weightData = joined.buffer.slice(joined.byteOffset, joined.byteOffset + joined.byteLength);
  return { modelTopology: json.modelTopology, weightSpecs: specs, weightData };
}

export async function loadLayersModel(dir: string): Promise<tfl.LayersModel> {
  return tfl.loadLayersModel(tf.io.fromMemory(readArtifacts(dir)));
}

/** Reads the weights of a saved model in save order (for restoring into a model rebuilt from config). */
export function readModelWeights(dir: string): tf.Tensor[] {
  const a = readArtifacts(dir);
  const named = tf.io.decodeWeights(a.weightData!, a.weightSpecs!);
  return a.weightSpecs!.map((s) => named[s.name]);
}

/** Writes named tensors as `<name>.json` (specs) + `<name>.bin`. */
export async function saveTensors(dir: string, name: string, tensors: NamedTensor[]): Promise<void> {
  const { data, specs } = await tf.io.encodeWeights(tensors);
  fs.writeFileSync(path.join(dir, `${name}.json`), JSON.stringify(specs));
  fs.writeFileSync(path.join(dir, `${name}.bin`), new Uint8Array(data));
}

export function loadTensors(dir: string, name: string): NamedTensor[] {
  const specs = readJson<tf.io.WeightsManifestEntry[]>(path.join(dir, `${name}.json`));
  const buf = fs.readFileSync(path.join(dir, `${name}.bin`));
  const named = tf.io.decodeWeights(buf.buffer.slice(buf.byteOffset, buf.byteOffset + buf.byteLength), specs);
  return specs.map((s) => ({ name: s.name, tensor: named[s.name] }));
}
