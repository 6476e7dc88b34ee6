/**
 * The text page's runtime: a saved text model folder (model.json + weights.bin + manifest.json +
 * text.json) predicting raw sentences in a web page. Unlike ./runtime.ts (table models, the page's global
 * `tf`), this module is bundled WITH tfjs-core, tfjs-layers and the cpu backend (src/browser/bundle.ts
 * textRuntimeBundle): the text encoders' custom layers (src/models/text/layers.ts, bigru.ts) are classes
 * of the library's own tfjs instance, so the page and those layers share one instance by being one bundle
 * — nothing of the text layers is redefined. Tokenizing, encoding and the answers are the very code of
 * `mtl predict` (src/data/text/text-state.ts, ./text-predict.ts), so the page prints what it prints.
 *
 *   import { loadTextModel } from './mtl/text-runtime.js';
 *   const m = await loadTextModel('/model/');
 *   const [p] = m.predict(['book a table for two']);   // { text, tokens, truncated, tasks: { intent, slots } }
 *
 * The fused kernels of the text layers (attention, layer norm, GRU sequence) are registered for cpu, so
 * the page runs what Node runs on cpu/wasm; other backends would take the layers' composed-op paths.
 */
import '@tensorflow/tfjs-backend-cpu';
import { tf, tfl } from '../engine/tf.js';
import '../models/text/layers.js'; // registers the text layers (and MtlBiGru) with this bundle's tfjs
import { parseTextState, type TextState } from '../data/text/text-state.js';
import { loadedModel } from '../models/loaded.js';
import { parseManifest, tasksFromManifest, type Manifest } from '../models/manifest.js';
import type { MultiTaskModel } from '../models/types.js';
import type { Task } from '../tasks/types.js';
import { predictTexts, type TextPrediction, type TextTaskAnswer } from './text-predict.js';

export type { TextPrediction, TextTaskAnswer, TextState, Manifest };

export class TextModel {
  constructor(readonly model: MultiTaskModel, readonly tasks: Task[], readonly manifest: Manifest, readonly text: TextState) {}

  /** The backend the predictions run on. */
  get backend(): string {
    return tf.getBackend();
  }

  /** Raw sentences → one answer per sentence, as `mtl predict --json` prints them. */
  predict(texts: string[]): TextPrediction[] {
    return predictTexts(this.model, this.tasks, this.text, texts);
  }

  dispose(): void {
    this.model.dispose();
  }
}

async function fetchJson(url: URL): Promise<unknown> {
  const res = await fetch(url);
  if (!res.ok) throw new Error(`${url.href}: HTTP ${res.status}`);
  return res.json();
}

/** Loads `<baseUrl>/manifest.json`, `text.json` and `model.json` (+ weights) on the cpu backend. */
export async function loadTextModel(baseUrl: string): Promise<TextModel> {
  const base = new URL(baseUrl.endsWith('/') ? baseUrl : `${baseUrl}/`, (globalThis as { location?: { href: string } }).location?.href);
  await tf.setBackend('cpu');
  await tf.ready();
  const manifest = parseManifest(await fetchJson(new URL('manifest.json', base)), 'manifest.json');
  const text = parseTextState(await fetchJson(new URL('text.json', base)), 'text.json');
  if (manifest.inputShape.join(',') !== String(text.maxLength)) {
    throw new Error(`the model reads [${manifest.inputShape}] but text.json says L = ${text.maxLength}`);
  }
  const layers = await tfl.loadLayersModel(new URL('model.json', base).href);
  const tasks = tasksFromManifest(manifest);
  return new TextModel(loadedModel(layers, tasks.map((t) => t.name), manifest.architecture), tasks, manifest, text);
}
