/**
 * A trained model as the files of a model folder, made in the browser: model.json and weights.bin
 * exactly as src/models/io.ts saveLayersModel writes them in Node (one weights group, path
 * 'weights.bin', `convertedBy: 'mtljs'`), and manifest.json from src/models/manifest.ts — so the
 * download loads in `mtl serve`, `loadSavedModel` and the browser runtime like a folder `mtl train` wrote.
 * And back: the files as an MtlModel of the browser runtime (src/browser/runtime.ts), which is what the
 * page's "try it" form predicts with, so its answers are the downloaded model's.
 */
import { tf, tfl } from '../engine/tf.js';
import { layersModelFiles } from '../models/layers-files.js';
import { buildManifest } from '../models/manifest.js';
import type { MultiTaskModel } from '../models/types.js';
import type { PreprocessingState } from '../data/types.js';
import type { Task } from '../tasks/types.js';
import { MtlModel, type BrowserManifest, type Tf } from '../browser/runtime.js';
import type { ModelFiles } from './protocol.js';

export async function modelFiles(model: MultiTaskModel, tasks: Task[], inputShape: number[], preprocessing: PreprocessingState | undefined, dataset: string): Promise<ModelFiles> {
  const files = await layersModelFiles(model.layersModel());
  const manifest = buildManifest({ architecture: model.architecture, inputShape, tasks, preprocessing, dataset: { name: dataset } });
  return { 'model.json': files.modelJson, 'weights.bin': files.weights, 'manifest.json': JSON.stringify(manifest, null, 2) };
}

/** The files loaded back as the browser runtime loads a folder (tf.loadLayersModel + the manifest). */
export async function loadModelFiles(files: ModelFiles): Promise<MtlModel> {
  const json = JSON.parse(files['model.json']) as { modelTopology: object; weightsManifest: { weights: tf.io.WeightsManifestEntry[] }[] };
  const manifest = JSON.parse(files['manifest.json']) as BrowserManifest;
  const layers = await tfl.loadLayersModel(tf.io.fromMemory({
    modelTopology: json.modelTopology,
    weightSpecs: json.weightsManifest.flatMap((g) => g.weights),
    weightData: files['weights.bin'],
  }));
  return new MtlModel({ ...tf, loadLayersModel: tfl.loadLayersModel } as unknown as Tf, layers, manifest);
}
