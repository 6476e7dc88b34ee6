/**
 * Loads a saved model folder (model.json + weights.bin + manifest.json) for inference: the tfjs model,
 * its tasks rebuilt from the manifest, and the manifest itself. Needs neither the trainer nor a config.
 */
import fs from 'node:fs';
import path from 'node:path';
import { loadLayersModel } from './io.js';
import { loadedModel } from './loaded.js';
import { parseManifest, tasksFromManifest, type Manifest } from './manifest.js';
import type { MultiTaskModel } from './types.js';
import type { Task } from '../tasks/types.js';

export interface SavedModel {
  model: MultiTaskModel;
  tasks: Task[];
  manifest: Manifest;
}

export async function loadSavedModel(dir: string): Promise<SavedModel> {
  const manifestFile = path.join(dir, 'manifest.json');
  if (!fs.existsSync(path.join(dir, 'model.json')) || !fs.existsSync(manifestFile)) {
    throw new Error(`${dir} holds no saved mtljs model (model.json + manifest.json)`);
  }
  const manifest = parseManifest(JSON.parse(fs.readFileSync(manifestFile, 'utf8')), manifestFile);
  const tasks = tasksFromManifest(manifest);
  const layers = await loadLayersModel(dir);
  return { model: loadedModel(layers, tasks.map((t) => t.name), manifest.architecture), tasks, manifest };
}
