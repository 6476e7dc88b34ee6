/**
 * The live dashboard of `mtl train --dashboard`: the dashboard server (./server.ts) in a worker thread,
 * following the run folder while this thread trains. The trainer writes history.jsonl after every epoch;
 * the worker re-reads it and pushes the new state to the open pages by server-sent events.
 */
import { Worker } from 'node:worker_threads';
import type { RunStatus } from './state.js';

export interface LiveDashboard {
  url: string;
  /** Marks the run finished (or failed) and sends the final state to the pages. */
  finish(status: RunStatus, message?: string): Promise<void>;
  /** Closes the server (ending the pages' event streams) and the worker. */
  close(): Promise<void>;
}

export interface LiveDashboardOptions {
  runDir: string;
  port: number;
  host: string;
  pollMs?: number;
  /** Told when the worker dies (the training goes on without the dashboard). */
  onError?: (message: string) => void;
}

type Reply = { type: 'listening'; url: string } | { type: 'error'; message: string } | { type: 'finished' } | { type: 'closed'; error?: string };

/** A worker running ./worker.ts: directly when compiled, through tsx's loader when run from source. */
function startWorker(workerData: unknown): Worker {
  const fromSource = import.meta.url.endsWith('.ts');
  const entry = new URL(fromSource ? './worker.ts' : './worker.js', import.meta.url).href;
  if (!fromSource) return new Worker(new URL(entry), { workerData });
  // Loader hooks registered in the main thread (bin/mtl.js) do not reach workers: register tsx there too.
  const tsx = import.meta.resolve('tsx/esm/api');
  const code = [
    "const { workerData } = require('node:worker_threads');",
    'import(workerData.__tsx).then((m) => { (m.register || m.default.register)(); return import(workerData.__entry); });',
  ].join('\n');
  return new Worker(code, { eval: true, workerData: { ...(workerData as object), __tsx: tsx, __entry: entry } });
}

export async function startLiveDashboard(options: LiveDashboardOptions): Promise<LiveDashboard> {
  const worker = startWorker({ runDir: options.runDir, port: options.port, host: options.host, pollMs: options.pollMs });
  let alive = true;
  const waiters: ((r: Reply) => void)[] = [];
  worker.on('message', (r: Reply) => waiters.shift()?.(r));
  const dead = new Promise<Reply>((resolve) => {
    worker.on('error', (e) => {
      alive = false;
      options.onError?.(e.message);
      resolve({ type: 'error', message: e.message });
    });
    worker.on('exit', () => {
      alive = false;
      resolve({ type: 'error', message: 'dashboard worker exited' });
    });
  });
  const next = (timeoutMs: number): Promise<Reply> => {
    let waiter: (r: Reply) => void = () => {};
    let timer: NodeJS.Timeout | undefined;
    return Promise.race([
      new Promise<Reply>((resolve) => {
        waiter = resolve;
        waiters.push(resolve);
      }),
      dead,
      new Promise<Reply>((resolve) => {
        timer = setTimeout(() => resolve({ type: 'error', message: 'dashboard worker did not answer' }), timeoutMs);
      }),
    ]).finally(() => {
      clearTimeout(timer);
      const i = waiters.indexOf(waiter);
      if (i >= 0) waiters.splice(i, 1);
    });
  };

  const first = await next(30_000);
  if (first.type !== 'listening') {
    await worker.terminate();
    throw new Error(`dashboard: ${first.type === 'error' ? first.message : 'unexpected reply'}`);
  }
  return {
    url: first.url,
    async finish(status, message) {
      if (!alive) return;
      worker.postMessage({ type: 'finish', status, message });
      await next(5_000);
    },
    async close() {
      if (alive) {
        worker.postMessage({ type: 'close' });
        await next(5_000);
      }
      await worker.terminate();
    },
  };
}
