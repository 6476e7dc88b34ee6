/** `mtl train <config> [--out DIR] [--backend B] [--resume]`: multi-task model + STL baselines + report. */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../../config/errors.js';
import type { Command } from 'commander';
import { readConfigFile } from '../../config/load.js';
import { initBackend } from '../../engine/backend.js';
import { formatReport, runExperiment } from '../../run/experiment.js';
import { startLiveDashboard, type LiveDashboard } from '../../dashboard/live.js';
import { listenError, parsePort, untilSignal } from './shared.js';
import { backendOption, dataDirOption, epochsOption, progressOption } from '../options.js';

/** Default port of `--dashboard`. */
export const DASHBOARD_PORT = 6066;

export function registerTrain(program: Command): void {
  program
    .command('train')
    .description('train a multi-task model (and its single-task baselines) from a config file')
    .argument('<config>', 'experiment config (.json, .yaml or .yml)')
    .option('-o, --out <dir>', 'run folder (default: runs/<config name>)')
    .addOption(backendOption())
    .option('--resume', 'continue the run in --out from its last checkpoint')
    .option('--allow-changes', 'with --resume: continue although the config differs from the stored one (the changes are recorded in changes.jsonl)')
    .option('--overwrite', 'replace an earlier mtljs run in --out (after the new config and data are checked; never a folder that is not an mtljs run)')
    .addOption(dataDirOption())
    .addOption(epochsOption())
    .option('--no-stl', 'skip the single-task baselines')
    .addOption(progressOption('auto'))
    .option('--dashboard', 'serve a live dashboard of the run (curves, task weights, gradient cosines, Δm%) while it trains')
    .option('--port <n>', `port of the dashboard (default ${DASHBOARD_PORT}; 0 = any free port)`)
    .option('--host <host>', 'address of the dashboard', '127.0.0.1')
    .option('--keep-open', 'keep the dashboard open after training, until Ctrl-C')
    .action(async (file: string, opts: { out?: string; backend?: string; resume?: boolean; overwrite?: boolean; allowChanges?: boolean; dataDir?: string; epochs?: number; stl: boolean; progress: 'auto'; dashboard?: boolean; port?: string; host: string; keepOpen?: boolean }) => {
      if (!opts.dashboard && (opts.port !== undefined || opts.keepOpen)) throw new UsageError('--port and --keep-open go with --dashboard');
      const port = opts.dashboard ? parsePort(opts.port ?? String(DASHBOARD_PORT)) : 0;
      const { config, baseDir } = readConfigFile(file);
      if (opts.epochs !== undefined) config.train.epochs = opts.epochs;
      if (!opts.stl) config.baselines.stl = false;
      const backend = await initBackend(opts.backend ?? config.backend, (m) => console.error(m));
      const outDir = opts.out ?? path.join('runs', config.name);
      if (opts.overwrite && opts.resume) throw new UsageError('--overwrite and --resume exclude each other');
      let dashboard: LiveDashboard | undefined;
      if (opts.dashboard) {
        dashboard = await startLiveDashboard({ runDir: outDir, port, host: opts.host, onError: (m) => console.error(`dashboard stopped: ${m}`) }).catch((e: unknown) => {
          throw listenError(e, port, opts.host);
        });
        console.error(`dashboard: ${dashboard.url}`);
      }
      let result: Awaited<ReturnType<typeof runExperiment>>;
      try {
        result = await runExperiment(config, {
          outDir, baseDir, backend, resume: opts.resume, overwrite: opts.overwrite, allowChanges: opts.allowChanges, dataDir: opts.dataDir, progress: opts.progress, log: (m) => console.error(m),
        });
      } catch (e) {
        await dashboard?.finish('failed', (e as Error).message);
        await dashboard?.close();
        throw e;
      }
      const { report, finished } = result;
      console.log(formatReport(report));
      if (finished) console.log(`\nrun folder: ${outDir} (report.json, model/, history.jsonl)`);
      if (dashboard) {
        await dashboard.finish(finished ? 'finished' : 'incomplete');
        if (opts.keepOpen) {
          console.error(`dashboard: ${dashboard.url} stays open (--keep-open); Ctrl-C stops it`);
          await untilSignal();
        }
        await dashboard.close();
      }
    });
}
