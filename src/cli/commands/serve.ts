/**
 * `mtl serve <run folder|model dir> [--port N] [--host H] [--ui] [--token T] [--cors origins] [timeouts]`:
 * the inference server (src/serve). A wrong model folder is one message and exit 2 (ModelFileError);
 * so are bad flags (UsageError). The token comes from --token or, better (not shown by `ps`),
 * $MTL_SERVE_TOKEN; the timeouts bound how long a slow client may hold a connection (src/serve/security.ts).
 */
import type { Command } from 'commander';
import { UsageError } from '../../config/errors.js';
import { initBackend } from '../../engine/backend.js';
import { createServer, DEFAULT_BODY_LIMIT, DEFAULT_MAX_ROWS } from '../../serve/server.js';
import { resolveModelDir } from '../../serve/predictor.js';
import { DEFAULT_TIMEOUTS, normalizeOrigin } from '../../serve/security.js';
import { listenError, parsePort, untilSignal } from './shared.js';
import { positiveNumber, shown } from '../flags.js';
import { backendOption } from '../options.js';

interface ServeFlags {
  port: string;
  host: string;
  ui?: boolean;
  maxRows: string;
  bodyLimit: string;
  backend?: string;
  token?: string;
  cors?: string;
  allowHost?: string;
  headersTimeout?: number;
  requestTimeout: number;
  idleTimeout: number;
  keepAliveTimeout: number;
}

const seconds = (ms: number) => String(ms / 1000);

export function registerServe(program: Command): void {
  program
    .command('serve')
    .description('serve a saved model over HTTP: POST /predict, POST /predict/:task, GET /health, GET /metadata')
    .argument('<dir>', 'run folder written by mtl train (its model/) or a model folder (model.json + manifest.json)')
    .option('-p, --port <n>', 'port (0 = any free port)', '8080')
    .option('--host <host>', 'address to listen on', '127.0.0.1')
    .option('--ui', 'also serve the browser demo page at / (examples/browser; examples/agent/page for a text model), predicting in the browser with tfjs')
    .option('--max-rows <n>', 'most rows per request', String(DEFAULT_MAX_ROWS))
    .option('--body-limit <bytes>', 'largest request body in bytes', String(DEFAULT_BODY_LIMIT))
    .addOption(backendOption())
    .option('--token <token>', 'require Authorization: Bearer <token> on every request (default: $MTL_SERVE_TOKEN; none when unset)')
    .option('--cors <origins>', 'comma-separated origins allowed to call the server from a browser (default: no CORS headers)')
    .option('--allow-host <names>', 'comma-separated Host names accepted besides localhost/127.0.0.1/[::1] when bound to loopback (e.g. behind a proxy)')
    .option('--headers-timeout <s>', `seconds a client has to send the request headers (default: ${DEFAULT_TIMEOUTS.headersMs / 1000}, at most the request timeout)`, positiveNumber('--headers-timeout'))
    .option('--request-timeout <s>', 'seconds a client has to send a whole request (headers and body)', positiveNumber('--request-timeout'), DEFAULT_TIMEOUTS.requestMs / 1000)
    .option('--idle-timeout <s>', 'seconds of silence after which a connection is closed', positiveNumber('--idle-timeout'), DEFAULT_TIMEOUTS.idleMs / 1000)
    .option('--keep-alive-timeout <s>', 'seconds an idle keep-alive connection is kept between requests', positiveNumber('--keep-alive-timeout'), DEFAULT_TIMEOUTS.keepAliveMs / 1000)
    .action(async (dir: string, opts: ServeFlags) => {
      const port = parsePort(opts.port);
      const maxRows = Number(opts.maxRows);
      const bodyLimit = Number(opts.bodyLimit);
      if (!Number.isInteger(maxRows) || maxRows < 1) throw new UsageError(`--max-rows: expected a positive integer, got '${shown(opts.maxRows)}'`);
      if (!Number.isInteger(bodyLimit) || bodyLimit < 1) throw new UsageError(`--body-limit: expected a positive integer, got '${shown(opts.bodyLimit)}'`);
      const envToken = process.env.MTL_SERVE_TOKEN;
      const token = opts.token ?? (envToken ? envToken : undefined);
      if (token !== undefined && token.trim() === '') throw new UsageError('--token: the token is empty');
      if (token !== undefined && opts.ui) throw new UsageError('--ui cannot be combined with a token (--token or $MTL_SERVE_TOKEN): the browser page cannot send it');
      const list = (v: string | undefined) => (v ?? '').split(',').map((s) => s.trim()).filter(Boolean);
      const cors = list(opts.cors).map((o) => {
        const origin = normalizeOrigin(o);
        if (!origin) throw new UsageError(`--cors: '${shown(o)}' is not an origin (expected e.g. https://example.com or http://localhost:3000)`);
        return origin;
      });
      if (opts.cors !== undefined && cors.length === 0) throw new UsageError('--cors: expected one or more origins, comma-separated');
      const timeouts = {
        requestMs: Math.round(opts.requestTimeout * 1000),
        headersMs: opts.headersTimeout !== undefined ? Math.round(opts.headersTimeout * 1000) : Math.min(DEFAULT_TIMEOUTS.headersMs, Math.round(opts.requestTimeout * 1000)),
        idleMs: Math.round(opts.idleTimeout * 1000),
        keepAliveMs: Math.round(opts.keepAliveTimeout * 1000),
      };
      if (timeouts.headersMs > timeouts.requestMs) {
        throw new UsageError(`--headers-timeout (${seconds(timeouts.headersMs)} s) must not exceed --request-timeout (${seconds(timeouts.requestMs)} s)`);
      }
      try {
        resolveModelDir(dir);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      await initBackend(opts.backend, (m) => console.error(m));
      const app = await createServer(dir, { ui: opts.ui, maxRows, bodyLimit, token, cors, allowedHosts: list(opts.allowHost), timeouts });
      const address = await app.listen({ port, host: opts.host }).catch(async (e: unknown) => {
        await app.close();
        throw listenError(e, port, opts.host);
      });
      const extras = [token !== undefined ? 'bearer token required' : '', cors.length ? `CORS for ${cors.join(', ')}` : ''].filter(Boolean).join('; ');
      console.error(`serving ${dir} at ${address} (POST /predict, POST /predict/:task, GET /health, GET /metadata${opts.ui ? ', browser page at /' : ''})${extras ? `; ${extras}` : ''}; Ctrl-C stops`);
      const signal = await untilSignal();
      await app.close();
      console.error(`stopped (${signal})`);
    });
}
