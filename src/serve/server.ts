/**
 * The inference server (fastify) of `mtl serve`:
 *   POST /predict         {"rows": [{column: value}]} | {"row": {...}} | {"inputs": [[...]]} → every task's answers;
 *                         a text model (text.json beside it) takes {"texts": ["…"]} | {"text": "…"} instead of rows;
 *                         an audio model (audio.json: mtl agent --speech) a 16-bit PCM WAV body (Content-Type
 *                         audio/wav), answered as `mtl predict --audio` answers (transcript, intent, frame, sentiment)
 *   POST /predict/:task   the same for one task (404 for an unknown task)
 *   GET  /health          {status: "ok", tasks, tensors, uptime}
 *   GET  /metadata        tasks, kinds, label/output names, input schema (columns with types, categories), limits
 * and, with `ui`, the browser demo page of examples/browser (see ./ui.ts).
 *
 * Every client mistake — malformed JSON, a body that is not an object, a `__proto__` / `constructor`
 * key, unknown or missing columns, wrong types or shapes, a value that is not finite once encoded
 * (1e300 standardises to Infinity in float32), no rows, too many rows, a body over `bodyLimit`, a wrong
 * content type, an unknown route — gets a 4xx answer {error: message}; the server never crashes on a
 * request, never answers 200 with null numbers, and never echoes more than ~100 characters of a value
 * the client sent (./security.ts clip).
 *
 * Hardening (./security.ts): header/request/idle/keep-alive timeouts on the Node server (a client that
 * trickles its request is answered 408 and cut off), a Host-header check when bound to a loopback
 * address (DNS rebinding), optional bearer-token auth (`token`), optional CORS allow-list (`cors`; no
 * CORS header without one). A bad model folder stops createServer with one ModelFileError (exit 2).
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { initBackend } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { Predictor, RequestError } from './predictor.js';
import { addCors, addHostCheck, addTokenAuth, clip, clipQuoted, frameworkErrors, normalizeOrigin, timeoutOptions, useSafeJsonParser, type Timeouts } from './security.js';
import { registerUi } from './ui.js';

export interface ServeOptions {
  /** Most rows / input samples per request (default 10,000). */
  maxRows?: number;
  /** Largest request body in bytes (default 16 MiB). */
  bodyLimit?: number;
  /** Also serve the browser demo page at / (examples/browser) with the model under /model/. */
  ui?: boolean;
  /** tfjs backend to initialise (default: keep the active one, or initBackend()'s default when none is). */
  backend?: string;
  /** fastify's logger option (default off). */
  logger?: FastifyServerOptions['logger'];
  /** Header / request / idle / keep-alive timeouts in ms (defaults: ./security.ts DEFAULT_TIMEOUTS). */
  timeouts?: Timeouts;
  /** When set, every request needs `Authorization: Bearer <token>` (401 otherwise). */
  token?: string;
  /** Origins allowed to call the server from a browser (CORS); none by default: no CORS headers. */
  cors?: string[];
  /** Host names accepted besides localhost / 127.0.0.1 / [::1] when listening on a loopback address. */
  allowedHosts?: string[];
}

export const DEFAULT_MAX_ROWS = 10_000;
export const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024;

interface PredictBody {
  Body: unknown;
  Params: { task?: string };
}

/** Builds the server for a run folder or model folder; call `.listen({ port, host })` on the result. */
export async function createServer(dir: string, options: ServeOptions = {}): Promise<FastifyInstance> {
  if (options.token !== undefined && options.token.length === 0) throw new Error('token: an empty token would let anyone in');
  if (options.token !== undefined && options.ui) throw new Error('ui: the browser page cannot send the bearer token: serve it without a token');
  const cors = (options.cors ?? []).map((o) => {
    const n = normalizeOrigin(o);
    if (!n) throw new Error(`cors: '${clip(o)}' is not an origin (expected e.g. https://example.com or http://localhost:3000)`);
    return n;
  });
  if (options.backend) await initBackend(options.backend);
  else if (!tf.getBackend()) await initBackend();
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const predictor = await Predictor.load(dir, { maxRows });
  const started = Date.now();

  const app = Fastify({ logger: options.logger ?? false, bodyLimit, forceCloseConnections: true, frameworkErrors, ...timeoutOptions(options.timeouts) });
  // JSON only: a text/plain body is refused with 415 instead of reaching the handler as a string.
  app.removeContentTypeParser('text/plain');
  useSafeJsonParser(app, bodyLimit);
  // Audio models (audio.json): a WAV file as the body; the bytes reach the handler as a Buffer.
  app.addContentTypeParser(['audio/wav', 'audio/x-wav', 'audio/wave', 'audio/vnd.wave'], { parseAs: 'buffer', bodyLimit }, (_req, body, done) => done(null, body));

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) req.log.error(err);
    let message = err.message;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = `request body too large: the limit is ${bodyLimit} bytes`;
    else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') message = `unsupported content type '${clip(req.headers['content-type'] ?? '')}': send application/json`;
    else if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') message = 'empty body: send a JSON object';
    else if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') message = `malformed JSON: ${err.message}`;
    void reply.status(status).send({ error: clipQuoted(status >= 500 ? `internal error: ${message}` : message) });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: `no route ${req.method} ${clip(req.url.split('?')[0]!)}` });
  });
  app.addHook('onClose', async () => predictor.dispose());

  // Order: Host check, then CORS headers (so a 401 is readable by an allowed page), then the token.
  addHostCheck(app, options.allowedHosts);
  if (cors.length) addCors(app, cors);
  if (options.token !== undefined) addTokenAuth(app, options.token, (req) => cors.length > 0 && req.method === 'OPTIONS');

  app.get('/health', async () => ({
    status: 'ok',
    tasks: predictor.taskNames,
    backend: tf.getBackend(),
    tensors: tf.memory().numTensors,
    uptime: (Date.now() - started) / 1000,
  }));

  app.get('/metadata', async () => predictor.metadata());

  const predict = async (task: string | undefined, body: unknown) => {
    if (task !== undefined && !predictor.taskNames.includes(task)) {
      throw new RequestError(404, `unknown task '${clip(task)}': the model has ${predictor.taskNames.join(', ')}`);
    }
    if (Buffer.isBuffer(body)) {
      const p = predictor.answerWav(body, task);
      return task ? { task, n: 1, predictions: [p.tasks[task]], audio: { seconds: p.seconds, sampleRate: p.sampleRate, channels: p.channels, frames: p.frames, cut: p.cut } } : { n: 1, predictions: [p.tasks], audio: { seconds: p.seconds, sampleRate: p.sampleRate, channels: p.channels, frames: p.frames, cut: p.cut } };
    }
    const enc = predictor.encodeBody(body);
    const predictions = predictor.answer(enc, task);
    const out: Record<string, unknown> = task ? { task, n: enc.n, predictions: predictions.map((p) => p[task]) } : { n: enc.n, predictions };
    if (enc.tokens) out.tokens = enc.tokens;
    if (enc.warnings.length) out.warnings = enc.warnings;
    return out;
  };
  app.post<PredictBody>('/predict', async (req) => predict(undefined, req.body));
  app.post<PredictBody>('/predict/:task', async (req) => predict(req.params.task, req.body));

  if (options.ui) registerUi(app, predictor.modelDir);
  return app;
}
