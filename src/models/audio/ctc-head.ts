/**
 * The CTC head: per-frame features [T', D] (0 at padded frames, src/models/audio/encoder.ts) → per-frame
 * logits [T', K] (K = alphabet + blank), optional hidden layers first, with the logits of padded frames
 * set to exactly 0. That is how the frames' count reaches the CTC loss, which sees only the logits
 * (src/tasks/ctc-loss.ts: trailing all-zero frames are padding) and the decoders (src/tasks/ctc-decode.ts).
 * The mask comes from the representation itself (its all-zero rows, as MaskedPooling finds them), so the
 * head is a function of the shared representation alone and rep-grad methods apply. A real frame's
 * logits are never all exactly 0 (a dense layer with Glorot-initialised weights on non-zero features).
 * Standard layers and MtlTokenMask only, so it saves and loads like the encoder.
 */
import { tfl } from '../../engine/tf.js';
import type { Activation } from '../encoders.js';
import { seededInit, uniqueName } from '../encoders.js';
import { safeName } from '../blocks.js';
import { TokenMask } from '../text/layers.js';
import { frameEnergy } from './encoder.js';

type Sym = tfl.SymbolicTensor;

export function ctcHead(args: {
  frames: number; dim: number; units: number; hidden: number[]; activation: Activation; seed: number; task: string;
}): tfl.LayersModel {
  const safe = safeName(args.task);
  const input = tfl.input({ shape: [args.frames, args.dim], name: uniqueName(`head_${safe}_input`) });
  let h: Sym = input;
  let layerSeed = args.seed * 1000 + 501;
  for (const u of args.hidden) {
    h = tfl.layers.dense({ units: u, activation: args.activation, kernelInitializer: seededInit(layerSeed++), name: uniqueName(`head_${safe}_dense`) }).apply(h) as Sym;
  }
  const logits = tfl.layers.dense({ units: args.units, kernelInitializer: seededInit(layerSeed++), name: uniqueName(`head_${safe}_logits`) }).apply(h) as Sym;
  const live = frameEnergy(input, `head_${safe}`);
  const out = new TokenMask({ name: uniqueName(`head_${safe}_frame_mask`) }).apply([logits, live]) as Sym;
  return tfl.model({ inputs: input, outputs: out, name: uniqueName(`head_${safe}`) });
}
