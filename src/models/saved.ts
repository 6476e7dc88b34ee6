/**
 * Loads a saved model folder (model.json + weights.bin + manifest.json) for inference: the tfjs model,
 * its tasks rebuilt from the manifest, and the manifest itself. Needs neither the trainer nor a config.
 *
 * A folder that is wrong in any way stops here with one ModelFileError (a DataError: the CLI exits 2)
 * naming the folder or file and what is wrong, instead of loading a model that answers wrongly:
 * model.json and its weights are checked by ./io.ts (paths confined to the folder, schema, byte sizes,
 * finite weights), manifest.json by ./manifest.ts (schema, preprocessing consistency), and here the two
 * against each other — one model input of the manifest's inputShape, one output per manifest task, in
 * order (the heads are named after their tasks), each with the units its task kind needs.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { tfl } from '../engine/tf.js';
import { clip, ModelFileError } from './errors.js';
import { confinedFile, loadLayersModel } from './io.js';
import { loadedModel } from './loaded.js';
import { parseManifest, tasksFromManifest, type Manifest } from './manifest.js';
import type { MultiTaskModel } from './types.js';
import type { Task } from '../tasks/types.js';
import './tabular.js'; // registers the embedding and ESMM layers before a saved model is loaded
import './dselect-k.js'; // registers the DSelect-k gate layer likewise

export interface SavedModel {
  model: MultiTaskModel;
  tasks: Task[];
  manifest: Manifest;
}

/** Reads and validates manifest.json of a model folder (schema and consistency; see ./manifest.ts). */
export function readManifest(dir: string): Manifest {
  const file = confinedFile(dir, 'manifest.json');
  const source = path.join(dir, 'manifest.json');
  let json: unknown;
  try {
    json = JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch (e) {
    throw new ModelFileError(`not valid JSON (${clip((e as Error).message)})`, source);
  }
  return parseManifest(json, source);
}

const shape = (s: (number | null)[]) => `[${s.map((d) => (d === null ? '?' : d)).join(', ')}]`;

/** Head layers are named head_<task>_<n> (src/models/encoders.ts buildHead), task names made safe. */
function headOf(layerName: string, task: string): boolean {
  const safe = task.replace(/[^A-Za-z0-9_]/g, '_');
  const rest = layerName.startsWith(`head_${safe}`) ? layerName.slice(`head_${safe}`.length) : null;
  return rest !== null && /^(_\d+)?$/.test(rest);
}

/** The model and the manifest describe the same thing (see the header), or a ModelFileError. */
export function checkModelMatchesManifest(dir: string, layers: tfl.LayersModel, manifest: Manifest, tasks: Task[]): void {
  const fail = (what: string) => new ModelFileError(what, dir);
  if (layers.inputs.length !== 1) throw fail(`model.json has ${layers.inputs.length} inputs; an mtljs model has one`);
  const input = layers.inputs[0]!.shape.slice(1);
  if (input.join(',') !== manifest.inputShape.join(',')) {
    throw fail(`manifest.json inputShape ${shape(manifest.inputShape)} does not match the input ${shape(input)} of model.json`);
  }
  if (layers.outputs.length !== tasks.length) {
    throw fail(`model.json has ${layers.outputs.length} outputs but manifest.json lists ${tasks.length} tasks (${tasks.map((t) => clip(t.name, 40)).join(', ')})`);
  }
  const outNames = layers.outputs.map((o) => o.sourceLayer.name);
  const namedHeads = outNames.every((n) => n.startsWith('head_'));
  tasks.forEach((t, i) => {
    const out = layers.outputs[i]!;
    if (namedHeads && !headOf(outNames[i]!, t.name)) {
      const owner = tasks.findIndex((u) => headOf(outNames[i]!, u.name));
      const hint = owner >= 0 ? ` (it is the head of task '${clip(tasks[owner]!.name, 40)}', manifest task ${owner}: the task order differs)` : '';
      throw fail(`output ${i} of model.json is the head '${clip(outNames[i]!, 60)}' but manifest.json task ${i} is '${clip(t.name, 60)}'${hint}`);
    }
    const dims = out.shape.slice(1);
    const units = dims.every((d) => typeof d === 'number') ? (dims as number[]).reduce((a, b) => a * b, 1) : NaN;
    if (units !== t.headUnits) {
      throw fail(`task '${clip(t.name, 60)}' (${t.kind}, width ${t.spec.width}, outputSize ${t.spec.outputSize}) needs ${t.headUnits} output units but output ${i} of model.json gives ${shape(dims)}`);
    }
  });
}

export async function loadSavedModel(dir: string): Promise<SavedModel> {
  if (!fs.existsSync(path.join(dir, 'model.json')) || !fs.existsSync(path.join(dir, 'manifest.json'))) {
    throw new ModelFileError('holds no saved mtljs model (model.json + manifest.json)', dir);
  }
  const manifest = readManifest(dir);
  let tasks: Task[];
  try {
    tasks = tasksFromManifest(manifest);
  } catch (e) {
    throw new ModelFileError(`tasks: ${clip((e as Error).message, 300)}`, path.join(dir, 'manifest.json'));
  }
  const layers = await loadLayersModel(dir);
  try {
    checkModelMatchesManifest(dir, layers, manifest, tasks);
  } catch (e) {
    layers.dispose();
    throw e;
  }
  return { model: loadedModel(layers, tasks.map((t) => t.name), manifest.architecture), tasks, manifest };
}
