/**
 * The benchmark models, described once for both sides (bench/mtljs.ts builds them with the library,
 * bench/torch_bench.py with torch.nn): shapes, batch sizes and the optimizer must match.
 *
 * Two image models on MNIST (`mlp`, `cnn`: figures in training steps/s) and two text models on SNIPS
 * (`text_bigru`, `text_transformer`: the `mtl agent` joint intent + slots model, figures in sentences/s =
 * steps/s × batch size, since a text step's cost follows its batch's sentence lengths).
 *
 * `BenchModel` is the image pair only (as before the text models came: bench/native-bench.ts maps each to
 * its MNIST Dataset); `TextBenchModel` the text pair; `BenchModelName` any of the four.
 */
export const IMAGE_BENCH_MODELS = ['mlp', 'cnn'] as const;
export type BenchModel = (typeof IMAGE_BENCH_MODELS)[number];
export const TEXT_BENCH_MODELS = ['text_bigru', 'text_transformer'] as const;
export type TextBenchModel = (typeof TEXT_BENCH_MODELS)[number];
export type BenchModelName = BenchModel | TextBenchModel;
/** Every model, in the order `npm run bench` runs them by default. */
export const BENCH_MODELS: readonly BenchModelName[] = [...IMAGE_BENCH_MODELS, ...TEXT_BENCH_MODELS];

/** What a figure counts: training steps (image models) or sentences (text models: steps × batch size). */
export type BenchUnit = 'steps/s' | 'sentences/s';

interface CommonSpec {
  batchSize: number;
  /** Adam's learning rate. */
  lr: number;
  unit: BenchUnit;
  /** One line for the table. */
  describe: string;
}

export interface BenchModelSpec extends CommonSpec {
  kind: 'image';
  /** Input shape of one sample as mtljs sees it (NHWC for the CNN; PyTorch uses NCHW). */
  inputShape: number[];
  /** The hard-sharing encoder config (src/models/encoders.ts). */
  encoder: Record<string, unknown>;
}

export interface TextBenchModelSpec extends CommonSpec {
  kind: 'text';
  /** text-hps's options besides vocabSize (src/models/text-hps.ts): the text encoder and the pooling. */
  options: { encoder: { type: 'bigru'; dim: number; units: number } | { type: 'transformer'; dim: number }; pool: 'mean' };
}

export const BENCH_SPECS: Record<BenchModel, BenchModelSpec> = {
  mlp: {
    kind: 'image',
    inputShape: [784],
    batchSize: 128,
    lr: 1e-3,
    unit: 'steps/s',
    encoder: { type: 'mlp', hidden: [256, 256] },
    describe: 'MLP 784-256-256, heads 10 (CE) + 4 (MSE), batch 128, Adam 1e-3',
  },
  cnn: {
    kind: 'image',
    inputShape: [28, 28, 1],
    batchSize: 64,
    lr: 1e-3,
    unit: 'steps/s',
    encoder: { type: 'cnn', conv: [{ filters: 32, kernel: 3 }, { filters: 64, kernel: 3, pool: true }], dense: [128] },
    describe: 'CNN conv3x3x32-conv3x3x64-pool2-dense128, heads 10 (CE) + 4 (MSE), batch 64, Adam 1e-3',
  },
};

/**
 * The SNIPS joint model of `mtl agent` (examples/agent/snips.yaml): text-hps with the encoder below,
 * heads intent (7 classes, CE on the masked mean of the token features) and slots (72 BIO tags per
 * token, CE over the non-padding tokens), batch 64, Adam 5e-3. Each batch is cut to its longest sentence
 * on both sides (mtljs: TrimPadding in the encoder; PyTorch: pack_padded_sequence / slicing).
 */
export const TEXT_BENCH_SPECS: Record<TextBenchModel, TextBenchModelSpec> = {
  text_bigru: {
    kind: 'text',
    batchSize: 64,
    lr: 5e-3,
    unit: 'sentences/s',
    options: { encoder: { type: 'bigru', dim: 64, units: 32 }, pool: 'mean' },
    describe: 'SNIPS: embedding 64 (mask zero) - BiGRU 2x32 (concat 64), heads intent 7 (CE, masked mean pool) + slots 72 per token (CE, padding ignored), batch 64, Adam 5e-3; figures in sentences/s = steps/s x 64',
  },
  text_transformer: {
    kind: 'text',
    batchSize: 64,
    lr: 5e-3,
    unit: 'sentences/s',
    options: { encoder: { type: 'transformer', dim: 64 }, pool: 'mean' },
    describe: 'SNIPS: embedding 64 + learned positions - 2 pre-LN Transformer layers (4 heads, FFN 128, padding-masked attention) - final LN, the same heads, batch 64, Adam 5e-3; figures in sentences/s = steps/s x 64',
  },
};

/** The learning rate of the image models (kept for callers of the earlier single constant). */
export const BENCH_LR = 1e-3;

export function isBenchModel(name: string): name is BenchModel {
  return (IMAGE_BENCH_MODELS as readonly string[]).includes(name);
}

export function isTextBenchModel(name: string): name is TextBenchModel {
  return (TEXT_BENCH_MODELS as readonly string[]).includes(name);
}

/** Any model's spec (the fields both kinds share). */
export function benchSpec(model: BenchModelName): BenchModelSpec | TextBenchModelSpec {
  return isTextBenchModel(model) ? TEXT_BENCH_SPECS[model] : BENCH_SPECS[model];
}

/** A model's figure in its unit from training steps/s (× batch size for the text models). */
export function benchRate(model: BenchModelName, stepsPerSec: number): number;
export function benchRate(model: BenchModelName, stepsPerSec: number | null | undefined): number | null;
export function benchRate(model: BenchModelName, stepsPerSec: number | null | undefined): number | null {
  if (stepsPerSec == null) return null;
  const spec = benchSpec(model);
  return spec.unit === 'sentences/s' ? stepsPerSec * spec.batchSize : stepsPerSec;
}

/**
 * The training methods, the same on both sides (torch_bench.py repeats them), over the tasks' losses
 * (image models: CE + MSE; text models: intent CE + slot CE):
 * - `ew`: loss = the sum of the task losses, one backward pass.
 * - `pcgrad`: PCGrad (Yu et al. 2020) over the shared encoder's parameters: one forward pass, one
 *   backward pass per task (T = 2), the projected sum written into the encoder's gradients.
 * - `pcgrad@rep`: PCGrad on the gradients of the shared representation z (heads only; for the text
 *   models the per-token features [B, L, D]), the result pushed through the encoder once.
 */
export const BENCH_METHODS = ['ew', 'pcgrad', 'pcgrad@rep'] as const;
export type BenchMethod = (typeof BENCH_METHODS)[number];

export const BENCH_METHOD_DESCRIBE: Record<BenchMethod, string> = {
  ew: 'equal weighting, loss = the sum of the task losses, one backward pass',
  pcgrad: 'PCGrad on the shared encoder parameters (one forward, a backward pass per task)',
  'pcgrad@rep': 'PCGrad on the shared representation z (per-task gradients through the heads only, then one encoder backward pass)',
};

/**
 * The methods a model runs when `--methods` is not given: all three for the image models, `ew` for the
 * text models (`--methods` may ask for pcgrad / pcgrad@rep on them too: both sides implement the methods
 * generically over an encoder and task heads).
 */
export function defaultBenchMethods(model: BenchModelName): BenchMethod[] {
  return isTextBenchModel(model) ? ['ew'] : [...BENCH_METHODS];
}

export function isBenchMethod(name: string): name is BenchMethod {
  return (BENCH_METHODS as readonly string[]).includes(name);
}

/** The Trainer's `aggregator` option for a bench method (null: equal weighting, the loss-space step). */
export function benchAggregator(method: BenchMethod): { method: string; mode: 'param' | 'rep' } | null {
  if (method === 'ew') return null;
  return { method: 'pcgrad', mode: method === 'pcgrad@rep' ? 'rep' : 'param' };
}

/**
 * A comma-separated CLI list (`--models mlp,cnn`, `--methods ew,pcgrad`): trimmed, de-duplicated, in
 * the order given; throws naming the flag and the choices for an unknown or empty entry list.
 */
export function parseChoiceList<T extends string>(flag: string, value: string, choices: readonly T[]): T[] {
  const items = value.split(',').map((s) => s.trim()).filter(Boolean);
  if (!items.length) throw new Error(`--${flag}: expected a comma-separated list of ${choices.join(', ')}, got "${value}"`);
  for (const item of items) {
    if (!(choices as readonly string[]).includes(item)) {
      throw new Error(`--${flag}: unknown ${flag.replace(/s$/, '')} "${item}": choose from ${choices.join(', ')}`);
    }
  }
  return [...new Set(items)] as T[];
}

/**
 * Warm-up rule, the same on both sides (torch_bench.py repeats it): steps until at least `minSteps`
 * steps and `minSeconds` have passed, or, after at least one step, once warm-up has used `maxFraction`
 * of the timed budget, so a very slow step cannot stall the bench.
 */
export const WARMUP = { minSteps: 3, minSeconds: 0.5, maxFraction: 0.5 } as const;

export function warmupDone(steps: number, elapsedS: number, budgetS: number): boolean {
  if (steps < 1) return false;
  if (steps >= WARMUP.minSteps && elapsedS >= WARMUP.minSeconds) return true;
  return elapsedS >= WARMUP.maxFraction * budgetS;
}
