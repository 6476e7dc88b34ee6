/** `mtl add-task <config> --base a,b --new c`: add tasks to a trained model; forgetting with none / EWC / LwF. */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../config/errors.js';
import { readConfigFile } from '../../config/load.js';
import { initBackend } from '../../engine/backend.js';
import { ADD_TASK_METHODS, formatAddTask, runAddTask, type AddTaskMethod } from '../../run/add-task.js';
import { backendOption, dataDirOption, epochsOption } from '../options.js';
import { nonNegativeNumber } from '../flags.js';

const list = (v: string) => v.split(',').map((s) => s.trim()).filter(Boolean);

function parseMethods(v: string): AddTaskMethod[] {
  if (v === 'all') return [...ADD_TASK_METHODS];
  const methods = list(v);
  const bad = methods.filter((m) => !(ADD_TASK_METHODS as readonly string[]).includes(m));
  if (bad.length || !methods.length) throw new UsageError(`--method: unknown '${bad.join(', ') || v}'; choose all or a comma-separated list of ${ADD_TASK_METHODS.join(', ')}`);
  return methods as AddTaskMethod[];
}


export function registerAddTask(program: Command): void {
  program
    .command('add-task')
    .description('train the base tasks, then add new tasks (new heads, encoder updated) with no protection, EWC or LwF; prints the old tasks\' test metrics before and after')
    .argument('<config>', 'experiment config (data, model, train settings)')
    .requiredOption('--base <tasks>', 'comma-separated tasks trained first')
    .requiredOption('--new <tasks>', 'comma-separated tasks added afterwards')
    .option('--method <list>', `all | comma-separated of ${ADD_TASK_METHODS.join(', ')} (frozen = encoder frozen, a reference)`, 'all')
    .option('--ewc-lambda <x>', 'EWC λ', nonNegativeNumber('--ewc-lambda'), 100)
    .option('--fisher-samples <n>', 'samples for the diagonal Fisher', nonNegativeNumber('--fisher-samples'), 1000)
    .option('--lwf-lambda <x>', 'LwF distillation weight λ_o', nonNegativeNumber('--lwf-lambda'), 1)
    .option('--temperature <x>', 'LwF temperature', nonNegativeNumber('--temperature'), 2)
    .addOption(epochsOption('override train.epochs (both stages)'))
    .option('-o, --out <dir>', 'output folder (default: runs/<name>-add-task)')
    .addOption(backendOption('wasm | cpu | tensorflow'))
    .addOption(dataDirOption())
    .action(async (file: string, opts: { base: string; new: string; method: string; ewcLambda: number; fisherSamples: number; lwfLambda: number; temperature: number; epochs?: number; out?: string; backend?: string; dataDir?: string }) => {
      const { config, baseDir } = readConfigFile(file);
      const methods = parseMethods(opts.method);
      if (opts.epochs !== undefined) {
        if (!Number.isInteger(opts.epochs) || opts.epochs < 1) throw new UsageError(`--epochs: expected a positive integer, got '${opts.epochs}'`);
        config.train.epochs = opts.epochs;
      }
      if (!Number.isInteger(opts.fisherSamples) || opts.fisherSamples < 1) throw new UsageError(`--fisher-samples: expected a positive integer, got '${opts.fisherSamples}'`);
      await initBackend(opts.backend ?? config.backend, (m) => console.error(m));
      const outDir = opts.out ?? path.join('runs', `${config.name}-add-task`);
      const result = await runAddTask(config, {
        base: list(opts.base), add: list(opts.new), methods, baseDir, dataDir: opts.dataDir, outDir,
        ewcLambda: opts.ewcLambda, fisherSamples: opts.fisherSamples, lwfLambda: opts.lwfLambda, temperature: opts.temperature,
        log: (m) => console.error(m),
      });
      const table = formatAddTask(result);
      fs.writeFileSync(path.join(outDir, 'add-task.md'), table + '\n');
      console.log(table);
      console.log(`\nwritten: ${path.join(outDir, 'add-task.json')}, add-task.md`);
    });
}
