/** `mtl meta`: MAML / Reptile / pooled / scratch inits adapted to held-out schools in k gradient steps. */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../config/errors.js';
import { formatMeta, runMeta } from '../../run/meta.js';
import { dataDirOption } from '../options.js';
import { nonNegativeInt, positiveInt, positiveNumber } from '../flags.js';

function parseSteps(v: string): number[] {
  const steps = v.split(',').map((s) => Number(s.trim()));
  if (!steps.length || steps.some((s) => !Number.isInteger(s) || s < 0 || s > 1000)) throw new UsageError(`--steps: expected a comma-separated list of integers 0..1000, got '${v}'`);
  return steps;
}


export function registerMeta(program: Command): void {
  program
    .command('meta')
    .description('meta-learning on the school data: adapt MAML, Reptile, pooled and random inits to held-out schools; prints query error after k steps')
    .option('--steps <list>', 'adaptation steps to report', parseSteps, [1, 5, 20])
    .option('--model <name>', 'mlp (1 hidden tanh layer) | linear', 'mlp')
    .option('--hidden <n>', 'mlp hidden units', positiveInt('--hidden'), 16)
    .option('--second-order', 'also train second-order MAML (exact Hessian products for linear, finite differences for mlp)')
    .option('--iterations <n>', 'meta-training iterations', positiveInt('--iterations'), 1000)
    .option('--inner-lr <x>', 'adaptation step size α', positiveNumber('--inner-lr'), 0.02)
    .option('--seed <n>', 'seed', nonNegativeInt('--seed'), 0)
    .option('-o, --out <dir>', 'output folder for meta.json and meta.md', 'runs/meta')
    .addOption(dataDirOption())
    .action(async (opts: { steps: number[]; model: string; hidden: number; secondOrder?: boolean; iterations: number; innerLr: number; seed: number; out: string; dataDir?: string }) => {
      if (opts.model !== 'mlp' && opts.model !== 'linear') throw new UsageError(`--model: choose mlp or linear, got '${opts.model}'`);
      if (!Number.isInteger(opts.seed) || opts.seed < 0) throw new UsageError(`--seed: expected a non-negative integer, got '${opts.seed}'`);
      const result = await runMeta({
        dataDir: opts.dataDir, seed: opts.seed, model: opts.model, hidden: opts.hidden, steps: opts.steps, secondOrder: opts.secondOrder,
        iterations: opts.iterations, innerLr: opts.innerLr, outDir: opts.out, log: (m) => console.error(m),
      });
      const table = formatMeta(result);
      fs.writeFileSync(path.join(opts.out, 'meta.md'), table + '\n');
      console.log(table);
      console.log(`\nwritten: ${path.join(opts.out, 'meta.json')}, meta.md`);
    });
}
