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
import { tf } from '../engine/tf.js';
import '../models/text/layers.js'; // registers the text layers (and MtlBiGru) with this bundle's tfjs
import { parseTextState, TEXT_STATE_FILE, type TextState } from '../data/text/text-state.js';
import type { Manifest } from '../models/manifest.js';
import { loadPageModel } from './page-model.js';
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

/** Loads `<baseUrl>/manifest.json`, `text.json` and `model.json` (+ weights) on the cpu backend. */
export async function loadTextModel(baseUrl: string): Promise<TextModel> {
  const { model, tasks, manifest, state } = await loadPageModel(baseUrl, TEXT_STATE_FILE, parseTextState, (manifest, text) => {
    if (manifest.inputShape.join(',') !== String(text.maxLength)) {
      throw new Error(`the model reads [${manifest.inputShape}] but text.json says L = ${text.maxLength}`);
    }
  });
  return new TextModel(model, tasks, manifest, state);
}
