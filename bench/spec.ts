/**
 * The two benchmark models, described once for both sides (bench/mtljs.ts builds them with the library,
 * bench/torch_bench.py with torch.nn): shapes, batch sizes and the optimizer must match.
 */
export const BENCH_MODELS = ['mlp', 'cnn'] as const;
export type BenchModel = (typeof BENCH_MODELS)[number];

export interface BenchModelSpec {
  /** Input shape of one sample as mtljs sees it (NHWC for the CNN; PyTorch uses NCHW). */
  inputShape: number[];
  batchSize: number;
  /** The hard-sharing encoder config (src/models/encoders.ts). */
  encoder: Record<string, unknown>;
  /** One line for the table. */
  describe: string;
}

export const BENCH_SPECS: Record<BenchModel, BenchModelSpec> = {
  mlp: {
    inputShape: [784],
    batchSize: 128,
    encoder: { type: 'mlp', hidden: [256, 256] },
    describe: 'MLP 784-256-256, heads 10 (CE) + 4 (MSE), batch 128, Adam 1e-3',
  },
  cnn: {
    inputShape: [28, 28, 1],
    batchSize: 64,
    encoder: { type: 'cnn', conv: [{ filters: 32, kernel: 3 }, { filters: 64, kernel: 3, pool: true }], dense: [128] },
    describe: 'CNN conv3x3x32-conv3x3x64-pool2-dense128, heads 10 (CE) + 4 (MSE), batch 64, Adam 1e-3',
  },
};

export const BENCH_LR = 1e-3;

export function isBenchModel(name: string): name is BenchModel {
  return (BENCH_MODELS as readonly string[]).includes(name);
}

/**
 * The training methods, the same on both sides (torch_bench.py repeats them):
 * - `ew`: loss = CE + MSE, one backward pass.
 * - `pcgrad`: PCGrad (Yu et al. 2020) over the shared encoder's parameters: one forward pass, one
 *   backward pass per task (T = 2), the projected sum written into the encoder's gradients.
 * - `pcgrad@rep`: PCGrad on the gradients of the shared representation z (heads only), the result
 *   pushed through the encoder once.
 */
export const BENCH_METHODS = ['ew', 'pcgrad', 'pcgrad@rep'] as const;
export type BenchMethod = (typeof BENCH_METHODS)[number];

export const BENCH_METHOD_DESCRIBE: Record<BenchMethod, string> = {
  ew: 'equal weighting, loss = CE + MSE, one backward pass',
  pcgrad: 'PCGrad on the shared encoder parameters (one forward, a backward pass per task)',
  'pcgrad@rep': 'PCGrad on the shared representation z (per-task gradients through the heads only, then one encoder backward pass)',
};

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
