/** `mtl report <run> [--out file.html] [--port N]`: the dashboard of a run folder, as a file or served. */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../config/errors.js';
import { renderDashboardPage } from '../../dashboard/page.js';
import { createDashboardServer } from '../../dashboard/server.js';
import { readRunState } from '../../dashboard/state.js';
import { listenError, parsePort, untilSignal } from './shared.js';

export function registerReport(program: Command): void {
  program
    .command('report')
    .description('the dashboard of a run folder (curves, task weights, gradient cosines, Δm%): a self-contained HTML file, or served')
    .argument('<run>', 'run folder written by mtl train')
    .option('-o, --out <file>', 'write the page here (default: <run>/dashboard.html unless --port is given)')
    .option('-p, --port <n>', 'serve the page on this port instead (0 = any free port); it follows the folder live')
    .option('--host <host>', 'address to serve on', '127.0.0.1')
    .action(async (run: string, opts: { out?: string; port?: string; host: string }) => {
      if (!fs.existsSync(run) || !fs.statSync(run).isDirectory()) throw new UsageError(`${run}: no such run folder`);
      const known = ['history.jsonl', 'report.json', 'config.json'].some((f) => fs.existsSync(path.join(run, f)));
      if (!known) throw new UsageError(`${run} is not a run folder of mtl train (no history.jsonl, report.json or config.json)`);
      const port = opts.port !== undefined ? parsePort(opts.port) : undefined;
      if (opts.out !== undefined || port === undefined) {
        const file = opts.out ?? path.join(run, 'dashboard.html');
        fs.mkdirSync(path.dirname(path.resolve(file)), { recursive: true });
        fs.writeFileSync(file, renderDashboardPage(readRunState(run), { live: false }));
        console.log(`wrote ${file}`);
      }
      if (port !== undefined) {
        const dash = createDashboardServer(run);
        const url = await dash.app.listen({ port, host: opts.host }).catch(async (e: unknown) => {
          await dash.app.close();
          throw listenError(e, port, opts.host);
        });
        console.error(`dashboard of ${run} at ${url}; Ctrl-C stops`);
        await untilSignal();
        await dash.app.close();
      }
    });
}
