/** `mtl eval <run folder>`: test metrics of a finished run's saved models, and Δm% vs its baselines. */
import type { Command } from 'commander';
import { initBackend } from '../../engine/backend.js';
import { formatReport } from '../../eval/report.js';
import { evaluateRun } from '../../run/evaluate-run.js';
import { backendOption, dataDirOption } from '../options.js';

export function registerEval(program: Command): void {
  program
    .command('eval')
    .description('evaluate the saved models of a run folder on its test split')
    .argument('<run>', 'run folder written by mtl train')
    .addOption(backendOption())
    .addOption(dataDirOption())
    .option('--json', 'print the report as JSON')
    .action(async (run: string, opts: { backend?: string; dataDir?: string; json?: boolean }) => {
      await initBackend(opts.backend, (m) => console.error(m));
      const report = await evaluateRun(run, { dataDir: opts.dataDir });
      console.log(opts.json ? JSON.stringify(report, null, 2) : formatReport(report));
    });
}
