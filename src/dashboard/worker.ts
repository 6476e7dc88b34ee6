/**
 * Worker-thread entry of the live dashboard (./live.ts): the server runs here so it answers and pushes
 * events while the main thread is busy training (an epoch is one long synchronous computation).
 * Messages in: {type: 'finish', status, message?} · {type: 'close'}. Out: listening/error/finished/closed.
 */
import { parentPort, workerData } from 'node:worker_threads';
import { createDashboardServer } from './server.js';
import type { RunStatus } from './state.js';

interface Data {
  runDir: string;
  port: number;
  host: string;
  pollMs?: number;
}

const port = parentPort!;
const data = workerData as Data;
const dash = createDashboardServer(data.runDir, { status: 'running', pollMs: data.pollMs });

port.on('message', (m: { type: 'finish'; status: RunStatus; message?: string } | { type: 'close' }) => {
  if (m.type === 'finish') {
    dash.finish(m.status, m.message);
    port.postMessage({ type: 'finished' });
  } else if (m.type === 'close') {
    dash.app.close().then(
      () => port.postMessage({ type: 'closed' }),
      (e: Error) => port.postMessage({ type: 'closed', error: e.message }),
    );
  }
});

try {
  const url = await dash.app.listen({ port: data.port, host: data.host });
  port.postMessage({ type: 'listening', url });
} catch (e) {
  port.postMessage({ type: 'error', message: (e as Error).message });
}
