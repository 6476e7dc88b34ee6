/**
 * The dashboard server (fastify) for one run folder:
 *   GET /             the page (./page.ts) with the current state inlined; it follows /events
 *   GET /events       server-sent events: `state` (the whole state, on connect and on every change),
 *                     `done` (the final state, when the training process says the run is over)
 *   GET /api/state    the state as JSON
 *   GET /health       {status: "ok"}
 * The state is re-read from the folder's files every `pollMs` (the trainer writes history.jsonl
 * atomically after each epoch), so the same server follows a run of this process, of another process,
 * or a finished run.
 *
 * Like the inference server it is hardened by src/serve/security.ts: header/request/idle timeouts (a
 * slow client is cut off; the event stream's 15 s heartbeat keeps live pages under the idle limit), a
 * Host-header check when bound to a loopback address (a DNS-rebinding page cannot read a local run), and
 * no echo of long client strings. The state it serves names the run folder relative to the working
 * directory (./state.ts), never by its absolute path.
 */
import type { ServerResponse } from 'node:http';
import Fastify, { type FastifyInstance } from 'fastify';
import { addHostCheck, clip, frameworkErrors, timeoutOptions } from '../serve/security.js';
import { renderDashboardPage } from './page.js';
import { readRunState, type DashboardState, type RunStatus } from './state.js';

export interface DashboardServerOptions {
  /** How often the run folder is re-read, in ms (default 250). */
  pollMs?: number;
  /** Status shown until setStatus/finish (default: guessed from the files). */
  status?: RunStatus;
}

export interface DashboardServer {
  app: FastifyInstance;
  /** The state as last read. */
  state(): DashboardState;
  /** Re-reads the folder now and pushes the state to the clients when it changed. */
  refresh(): void;
  /** Sets the status (and message), re-reads and pushes. */
  setStatus(status: RunStatus, message?: string): void;
  /** Final update: re-reads, then sends `done` to every client (their pages stop listening). */
  finish(status: RunStatus, message?: string): void;
  /** Connected event-stream clients. */
  clients(): number;
}

function sameContent(a: DashboardState, b: DashboardState): boolean {
  return JSON.stringify({ ...a, updatedAt: '' }) === JSON.stringify({ ...b, updatedAt: '' });
}

function event(name: string, data: unknown): string {
  return `event: ${name}\ndata: ${JSON.stringify(data)}\n\n`;
}

export function createDashboardServer(runDir: string, options: DashboardServerOptions = {}): DashboardServer {
  let status: RunStatus | undefined = options.status;
  let message: string | undefined;
  let current = readRunState(runDir, status, message);
  const clients = new Set<ServerResponse>();
  const app = Fastify({ logger: false, forceCloseConnections: true, frameworkErrors, ...timeoutOptions() });
  addHostCheck(app);

  const broadcast = (name: string, data: unknown): void => {
    const chunk = event(name, data);
    for (const res of clients) res.write(chunk);
  };
  const refresh = (): void => {
    const next = readRunState(runDir, status, message);
    if (sameContent(next, current)) return;
    current = next;
    broadcast('state', current);
  };

  const poll = setInterval(refresh, options.pollMs ?? 250);
  poll.unref();
  const heartbeat = setInterval(() => {
    for (const res of clients) res.write(': ping\n\n');
  }, 15_000);
  heartbeat.unref();

  app.setErrorHandler((err: Error & { statusCode?: number }, _req, reply) => {
    void reply.status(err.statusCode && err.statusCode < 600 ? err.statusCode : 500).send({ error: clip(err.message, 300) });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: `no route ${req.method} ${clip(req.url)}` });
  });

  app.get('/', async (_req, reply) => reply.type('text/html; charset=utf-8').header('cache-control', 'no-cache').send(renderDashboardPage(current, { live: true })));
  app.get('/api/state', async () => current);
  app.get('/favicon.ico', async (_req, reply) => reply.status(204).send());
  app.get('/health', async () => ({ status: 'ok', run: current.runDir, runStatus: current.status }));
  app.get('/events', (req, reply) => {
    reply.hijack();
    const res = reply.raw;
    res.writeHead(200, {
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-cache, no-transform',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.write('retry: 1000\n\n');
    res.write(event('state', current));
    clients.add(res);
    req.raw.on('close', () => clients.delete(res));
  });

  app.addHook('preClose', async () => {
    clearInterval(poll);
    clearInterval(heartbeat);
    for (const res of clients) res.end();
    clients.clear();
  });

  return {
    app,
    state: () => current,
    refresh,
    setStatus(s, m) {
      status = s;
      message = m;
      refresh();
    },
    finish(s, m) {
      status = s;
      message = m;
      current = readRunState(runDir, status, message);
      broadcast('done', current);
    },
    clients: () => clients.size,
  };
}
