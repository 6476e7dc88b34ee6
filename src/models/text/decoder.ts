/**
 * The `generate` head in Node: the attention decoder layer (./decoder-layers.ts) defined with the
 * library's tfjs and registered for serialization (importing this module registers it; ./layers.ts
 * imports it, so every path that loads a text model knows it), and `generateHead`, which any
 * architecture with a memory of features — text-hps's per-token features [L, D], an audio encoder's
 * frames, a pooled [D] vector — uses for a `generate` task.
 *
 * Design (teacher forcing with the trainer unchanged): the head is this decoder. Its output is the
 * generated ids [B, U] (zeros while training, when nothing reads them) and is linked to a teacher-forcing
 * closure over the same weights and memory (src/tasks/generate-link.ts), which the task's loss runs
 * with its labels. So the decoder's weights are the head's, i.e. the task's own variables
 * (model.taskVariables), saved in model.json / weights.bin with the rest; a loaded model (Node,
 * `mtl predict`, `mtl serve`, the browser runtimes) predicts from the saved layer alone, and its loss
 * works too, because the loaded layer links its outputs the same way. (A second model input for the
 * target-in sequence was the alternative: it would change every model's input, the data batching and
 * every loader of saved models.)
 */
import { z } from 'zod';
import { tf, tfl } from '../../engine/tf.js';
import type { Task } from '../../tasks/types.js';
import { copyCount, GENERATE_IDS } from '../../data/generate-targets.js';
import { safeName } from '../blocks.js';
import { uniqueName } from '../encoders.js';
import { decoderLayers, type AttentionDecoderLayer } from './decoder-layers.js';

export const { AttentionDecoder } = decoderLayers({ tf, tfl });
export type { AttentionDecoderLayer };

const size = z.number().int().min(1);
/** The decoder's options (text-hps: `decoder: { … }`). */
export const decoderOptionsSchema = z.strictObject({
  /** Target embedding size (default 64). */
  dim: size.optional(),
  /** GRU units = attentional vector size (default 128). */
  units: size.optional(),
  /** Beam width at prediction; 1 = greedy (default 1). */
  beam: size.max(64).optional(),
  /** α of the length normalisation log P / |y|^α (default 1). */
  lengthPenalty: z.number().min(0).max(4).optional(),
  /** Standardise each memory row over its features before attending (default true; ./decoder-layers.ts: why). */
  normalizeMemory: z.boolean().optional(),
});
export type DecoderOptions = z.infer<typeof decoderOptionsSchema>;

export const DECODER_DEFAULTS: Required<DecoderOptions> = { dim: 64, units: 128, beam: 1, lengthPenalty: 1, normalizeMemory: true };

/**
 * A head for a `generate` task on a memory of shape `memoryShape` ([S, D] or [D]): memory → ids [U].
 * A task vocabulary that ends with copy tokens <copy:0> … <copy:S−1> (src/data/generate-targets.ts) gets
 * the decoder's pointer over the S memory positions; S must then be the memory's length.
 */
export function generateHead(args: { memoryShape: number[]; task: Task; seed: number; options?: DecoderOptions }): tfl.LayersModel {
  const { task } = args;
  if (task.kind !== 'generate') throw new Error(`generateHead: task "${task.name}" is ${task.kind}, not generate`);
  const parsed = decoderOptionsSchema.safeParse(args.options ?? {});
  if (!parsed.success) throw new Error(`generate head of task "${task.name}": decoder options: ${parsed.error.issues.map((i) => `${i.path.join('.') || '(options)'}: ${i.message}`).join('; ')}`);
  const o = { ...DECODER_DEFAULTS, ...parsed.data };
  const copy = copyCount(task.spec.labelNames ?? []);
  if (copy > 0 && (args.memoryShape.length !== 2 || args.memoryShape[0] !== copy)) {
    throw new Error(`generate head of task "${task.name}": its vocabulary has ${copy} copy tokens, one per memory position, but the memory is [${args.memoryShape.join(', ')}]${args.memoryShape.length === 2 ? ` (${args.memoryShape[0]} positions)` : ''}`);
  }
  const safe = safeName(task.name);
  const input = tfl.input({ shape: args.memoryShape, name: uniqueName(`head_${safe}_input`) });
  const decoder = new AttentionDecoder({
    name: uniqueName(`head_${safe}_decoder`), vocabSize: task.spec.outputSize, maxLength: task.spec.width,
    embeddingDim: o.dim, units: o.units, seed: args.seed, bos: GENERATE_IDS.bos, eos: GENERATE_IDS.eos,
    banned: [GENERATE_IDS.pad, GENERATE_IDS.bos], beam: o.beam, lengthPenalty: o.lengthPenalty,
    copy, normalizeMemory: o.normalizeMemory && args.memoryShape[args.memoryShape.length - 1]! >= 2,
  });
  const out = decoder.apply(input) as tfl.SymbolicTensor;
  return tfl.model({ inputs: input, outputs: out, name: uniqueName(`head_${safe}`) });
}

/** The attention decoders inside a LayersModel (nested models searched). */
export function decodersOf(model: tfl.LayersModel): AttentionDecoderLayer[] {
  const found: AttentionDecoderLayer[] = [];
  const visit = (layers: tfl.layers.Layer[]) => {
    for (const l of layers) {
      if (l instanceof AttentionDecoder) found.push(l as AttentionDecoderLayer);
      else if (l instanceof tfl.LayersModel) visit(l.layers);
    }
  };
  visit(model.layers);
  return found;
}

/** Sets the prediction-time search of every decoder in `model` (beam width, length penalty α). */
export function setDecoding(model: tfl.LayersModel, options: { beam?: number; lengthPenalty?: number }): void {
  if (options.beam !== undefined && !(Number.isInteger(options.beam) && options.beam >= 1)) throw new Error(`beam width must be a positive integer, got ${options.beam}`);
  if (options.lengthPenalty !== undefined && !(options.lengthPenalty >= 0)) throw new Error(`lengthPenalty must be ≥ 0, got ${options.lengthPenalty}`);
  for (const d of decodersOf(model)) {
    if (options.beam !== undefined) d.beam = options.beam;
    if (options.lengthPenalty !== undefined) d.lengthPenalty = options.lengthPenalty;
  }
}
