/** `mtl train <config> [--out DIR] [--backend B] [--resume]`: multi-task model + STL baselines + report. */
import path from 'node:path';
import { UsageError } from '../../config/errors.js';
import type { Command } from 'commander';
import { readConfigFile } from '../../config/load.js';
import { initBackend } from '../../engine/backend.js';
import { formatReport, runExperiment } from '../../run/experiment.js';
import { startLiveDashboard, type LiveDashboard } from '../../dashboard/live.js';
import { listenError, parsePort, untilSignal } from './shared.js';
import { backendOption, dataDirOption, epochsOption, progressOption } from '../options.js';
import { formatSeedsReport, runSeeds } from '../../run/seeds.js';
import { pairedTest } from '../../eval/uncertainty.js';
import { seedList } from '../flags.js';

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
    .option('--seeds <list>', 'repeat the whole experiment (MTL and STL) at each seed, e.g. 0,1,2: mean ± std and a paired test of Δm% (runs in <out>/seed-<n>/)', seedList('--seeds'))
    .option('--no-stl', 'skip the single-task baselines')
    .addOption(progressOption('auto'))
    .option('--dashboard', 'serve a live dashboard of the run (curves, task weights, gradient cosines, Δm%) while it trains')
    .option('--port <n>', `port of the dashboard (default ${DASHBOARD_PORT}; 0 = any free port)`)
    .option('--host <host>', 'address of the dashboard', '127.0.0.1')
    .option('--keep-open', 'keep the dashboard open after training, until Ctrl-C')
    .action(async (file: string, opts: { out?: string; backend?: string; resume?: boolean; overwrite?: boolean; allowChanges?: boolean; dataDir?: string; epochs?: number; stl: boolean; seeds?: number[]; progress: 'auto'; dashboard?: boolean; port?: string; host: string; keepOpen?: boolean }) => {
      if (!opts.dashboard && (opts.port !== undefined || opts.keepOpen)) throw new UsageError('--port and --keep-open go with --dashboard');
      const port = opts.dashboard ? parsePort(opts.port ?? String(DASHBOARD_PORT)) : 0;
      const { config, baseDir } = readConfigFile(file);
      if (opts.epochs !== undefined) config.train.epochs = opts.epochs;
      if (!opts.stl) config.baselines.stl = false;
      const backend = await initBackend(opts.backend ?? config.backend, (m) => console.error(m));
      const outDir = opts.out ?? path.join('runs', config.name);
      if (opts.overwrite && opts.resume) throw new UsageError('--overwrite and --resume exclude each other');
      if (opts.seeds && opts.seeds.length > 1) {
        if (opts.dashboard || opts.resume || opts.overwrite) throw new UsageError('--seeds runs each seed in <out>/seed-<n>/: it does not go with --dashboard, --resume or --overwrite');
        const { report, finished } = await runSeeds(config, opts.seeds, { outDir, baseDir, backend, dataDir: opts.dataDir, progress: opts.progress, log: (m) => console.error(m) });
        console.log(formatSeedsReport(report));
        if (finished) console.log(`\nrun folders: ${outDir}/seed-<n>/; summary: ${path.join(outDir, 'seeds.json')}`);
        return;
      }
      if (opts.seeds) config.seed = opts.seeds[0]!;
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
      if (report.deltaM !== undefined) console.log(`note: ${pairedTest([report.deltaM]).verdict}`);
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
