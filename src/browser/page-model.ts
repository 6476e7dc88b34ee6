/**
 * A saved model folder at a URL, loaded as the page runtimes (./text-runtime.ts, ./audio-runtime.ts) load
 * it: `<baseUrl>/manifest.json`, the folder's state file (text.json: how text is read; audio.json: how
 * audio is read), checked against the manifest, then `model.json` and its weights, on the cpu backend of
 * the runtime's own tfjs (the custom layers are registered with that instance).
 */
import '@tensorflow/tfjs-backend-cpu';
import { tf, tfl } from '../engine/tf.js';
import { loadedModel } from '../models/loaded.js';
import { parseManifest, tasksFromManifest, type Manifest } from '../models/manifest.js';
import type { MultiTaskModel } from '../models/types.js';
import type { Task } from '../tasks/types.js';

async function fetchJson(url: URL): Promise<unknown> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url.href}: HTTP ${res.status}`);
  return res.json();
}

export interface PageModel<S> {
  model: MultiTaskModel;
  tasks: Task[];
  manifest: Manifest;
  state: S;
}

/**
 * Loads the folder at `baseUrl` (relative to the page). `parseState` checks the state file's JSON;
 * `check` throws when manifest and state disagree (before the weights are fetched).
 */
export async function loadPageModel<S>(baseUrl: string, stateFile: string, parseState: (json: unknown, where: string) => S, check: (manifest: Manifest, state: S) => void): Promise<PageModel<S>> {
  const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`, (globalThis as { location?: { href: string } }).location?.href);
  await tf.setBackend('cpu');
  await tf.ready();
  const manifest = parseManifest(await fetchJson(new URL('manifest.json', base)), 'manifest.json');
  const state = parseState(await fetchJson(new URL(stateFile, base)), stateFile);
  check(manifest, state);
  const layers = await tfl.loadLayersModel(new URL('model.json', base).href);
  const tasks = tasksFromManifest(manifest);
  return { model: loadedModel(layers, tasks.map((t) => t.name), manifest.architecture), tasks, manifest, state };
}
