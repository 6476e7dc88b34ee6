/**
 * The inference server (fastify) of `mtl serve`:
 *   POST /predict         {"rows": [{column: value}]} | {"row": {...}} | {"inputs": [[...]]} → every task's answers;
 *                         a text model (text.json beside it) takes {"texts": ["…"]} | {"text": "…"} instead of rows
 *   POST /predict/:task   the same for one task (404 for an unknown task)
 *   GET  /health          {status: "ok", tasks, tensors, uptime}
 *   GET  /metadata        tasks, kinds, label/output names, input schema (columns with types, categories), limits
 * and, with `ui`, the browser demo page of examples/browser (see ./ui.ts).
 *
 * Every client mistake — malformed JSON, a body that is not an object, unknown or missing columns, wrong
 * types or shapes, no rows, too many rows, a body over `bodyLimit`, a wrong content type, an unknown
 * route — gets a 4xx answer {error: message}; the server never crashes on a request.
 */
import Fastify, { type FastifyInstance, type FastifyServerOptions } from 'fastify';
import { initBackend } from '../engine/backend.js';
import { tf } from '../engine/tf.js';
import { Predictor, RequestError } from './predictor.js';
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
}

export const DEFAULT_MAX_ROWS = 10_000;
export const DEFAULT_BODY_LIMIT = 16 * 1024 * 1024;

interface PredictBody {
  Body: unknown;
  Params: { task?: string };
}

/** Builds the server for a run folder or model folder; call `.listen({ port, host })` on the result. */
export async function createServer(dir: string, options: ServeOptions = {}): Promise<FastifyInstance> {
  if (options.backend) await initBackend(options.backend);
  else if (!tf.getBackend()) await initBackend();
  const maxRows = options.maxRows ?? DEFAULT_MAX_ROWS;
  const bodyLimit = options.bodyLimit ?? DEFAULT_BODY_LIMIT;
  const predictor = await Predictor.load(dir, { maxRows });
  const started = Date.now();

  const app = Fastify({ logger: options.logger ?? false, bodyLimit, forceCloseConnections: true });
  // JSON only: a text/plain body is refused with 415 instead of reaching the handler as a string.
  app.removeContentTypeParser('text/plain');

  app.setErrorHandler((err: Error & { statusCode?: number; code?: string }, req, reply) => {
    const status = err.statusCode && err.statusCode >= 400 && err.statusCode < 600 ? err.statusCode : 500;
    if (status >= 500) req.log.error(err);
    let message = err.message;
    if (err.code === 'FST_ERR_CTP_BODY_TOO_LARGE') message = `request body too large: the limit is ${bodyLimit} bytes`;
    else if (err.code === 'FST_ERR_CTP_INVALID_MEDIA_TYPE') message = `unsupported content type '${req.headers['content-type'] ?? ''}': send application/json`;
    else if (err.code === 'FST_ERR_CTP_EMPTY_JSON_BODY') message = 'empty body: send a JSON object';
    else if (err instanceof SyntaxError || err.code === 'FST_ERR_CTP_INVALID_JSON_BODY') message = `malformed JSON: ${err.message}`;
    void reply.status(status).send({ error: status >= 500 ? `internal error: ${message}` : message });
  });
  app.setNotFoundHandler((req, reply) => {
    void reply.status(404).send({ error: `no route ${req.method} ${req.url.split('?')[0]}` });
  });
  app.addHook('onClose', async () => predictor.dispose());

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
      throw new RequestError(404, `unknown task '${task}': the model has ${predictor.taskNames.join(', ')}`);
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
