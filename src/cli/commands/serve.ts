/** `mtl serve <run folder|model dir> [--port N] [--host H] [--ui]`: the inference server (src/serve). */
import type { Command } from 'commander';
import { UsageError } from '../../config/errors.js';
import { initBackend } from '../../engine/backend.js';
import { createServer, DEFAULT_BODY_LIMIT, DEFAULT_MAX_ROWS } from '../../serve/server.js';
import { resolveModelDir } from '../../serve/predictor.js';
import { listenError, parsePort, untilSignal } from './shared.js';

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve a saved model over HTTP: POST /predict, POST /predict/:task, GET /health, GET /metadata')
    .argument('<dir>', 'run folder written by mtl train (its model/) or a model folder (model.json + manifest.json)')
    .option('-p, --port <n>', 'port (0 = any free port)', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--ui', 'also serve the browser demo page (examples/browser) at /, predicting in the browser with tfjs')
    .option('--max-rows <n>', 'most rows per request', String(DEFAULT_MAX_ROWS))
    .option('--body-limit <bytes>', 'largest request body in bytes', String(DEFAULT_BODY_LIMIT))
    .option('-b, --backend <name>', 'wasm | cpu | tensorflow (default: $MTL_BACKEND or wasm)')
    .action(async (dir: string, opts: { port: string; host: string; ui?: boolean; maxRows: string; bodyLimit: string; backend?: string }) => {
      const port = parsePort(opts.port);
      const maxRows = Number(opts.maxRows);
      const bodyLimit = Number(opts.bodyLimit);
      if (!Number.isInteger(maxRows) || maxRows < 1) throw new UsageError(`--max-rows: expected a positive integer, got '${opts.maxRows}'`);
      if (!Number.isInteger(bodyLimit) || bodyLimit < 1) throw new UsageError(`--body-limit: expected a positive integer, got '${opts.bodyLimit}'`);
      try {
        resolveModelDir(dir);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      await initBackend(opts.backend, (m) => console.error(m));
      const app = await createServer(dir, { ui: opts.ui, maxRows, bodyLimit });
      const address = await app.listen({ port, host: opts.host }).catch(async (e: unknown) => {
        await app.close();
        throw listenError(e, port, opts.host);
      });
      console.error(`serving ${dir} at ${address} (POST /predict, POST /predict/:task, GET /health, GET /metadata${opts.ui ? ', browser page at /' : ''}); Ctrl-C stops`);
      const signal = await untilSignal();
      await app.close();
      console.error(`stopped (${signal})`);
    });
}
