/**
 * `mtl studio [--port N] [--host H]`: serves the studio (src/studio) — a page that trains a multi-task
 * model in the browser on a table the user drops, beside its single-task baselines; their data never
 * leaves the page. Prints the URL and opens nothing.
 * `mtl studio --build DIR`: writes the same site as static files (any static host serves the folder).
 * DIR must be new, empty, or an earlier studio build: nothing else is overwritten.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../config/errors.js';
import { buildStudioSite } from '../../studio/site.js';
import { createStudioServer } from '../../studio/server.js';
import { STUDIO_LIMITS } from '../../studio/protocol.js';
import { listenError, parsePort, untilSignal } from './shared.js';

/** An earlier `mtl studio --build` folder: its page and worker are there. */
function isStudioBuild(dir: string): boolean {
  return ['index.html', 'studio.js', 'studio-worker.js'].every((f) => fs.existsSync(path.join(dir, f)));
}

export function registerStudio(program: Command): void {
  program
    .command('studio')
    .description('a page that trains a multi-task model in the browser on your own table (data stays in the page); served on 127.0.0.1, or --build a static folder')
    .option('-p, --port <n>', 'port (0 = any free port)', '6067')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--build <dir>', 'write the page as static files into this folder instead of serving it')
    .addHelpText('after', `\nLimits of the page: files up to ${STUDIO_LIMITS.maxBytes / 1024 / 1024} MB and ${STUDIO_LIMITS.maxRows.toLocaleString('en-US')} rows; larger tables: mtl train with data: { dataset: csv, train: FILE, stream: true }.`)
    .action(async (opts: { port: string; host: string; build?: string }) => {
      if (opts.build !== undefined) {
        const dir = opts.build;
        if (fs.existsSync(dir)) {
          if (!fs.statSync(dir).isDirectory()) throw new UsageError(`--build: ${dir} is a file, not a folder`);
          if (fs.readdirSync(dir).length > 0 && !isStudioBuild(dir)) throw new UsageError(`--build: ${dir} is not empty and not an earlier studio build: choose a new or empty folder`);
        }
        const names = await buildStudioSite(dir);
        console.log(`wrote the studio to ${dir} (${names.length} files: ${names.join(', ')}); serve the folder with any static web server (over http(s), not file://)`);
        return;
      }
      const port = parsePort(opts.port);
      const app = await createStudioServer();
      const url = await app.listen({ port, host: opts.host }).catch(async (e: unknown) => {
        await app.close();
        throw listenError(e, port, opts.host);
      });
      console.log(url);
      console.error(`mtljs studio at ${url} (open it in a browser; the data you drop stays in the page); Ctrl-C stops`);
      const signal = await untilSignal();
      await app.close();
      console.error(`stopped (${signal})`);
    });
}
