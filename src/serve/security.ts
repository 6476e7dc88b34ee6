/**
 * The defences of the HTTP servers of mtljs (the inference server ./server.ts and the dashboard), kept in
 * one place so each server states which it uses:
 *   - timeouts on the Node server under fastify: a client that sends its headers or its body slowly
 *     (a trickle, a slow-loris) is answered 408 and cut off after a bounded time, an idle connection is
 *     closed, and Node checks the connections often enough for the limits to hold;
 *   - a JSON body parser that refuses `__proto__` and `constructor` keys at any depth with a 400 naming
 *     the key (not "malformed JSON"), says so when a body holds NaN/Infinity (not JSON numbers), and
 *     never echoes more than ~100 characters of what the client sent;
 *   - `clip`: every user string echoed in a warning or an error is cut to 100 characters + '…';
 *   - a Host-header check for servers bound to a loopback address (DNS-rebinding protection: a web page
 *     of another site, its name re-pointed to 127.0.0.1, must not reach a local server);
 *   - optional bearer-token auth (constant-time comparison) and an optional CORS allow-list.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';

import { clip } from '../models/errors.js';

export { clip };

/** Most characters of a client's string echoed back in a message (`clip`'s default). */
export const MAX_ECHO = 100;

/** Clips every quoted ('…' or "…") run in a message longer than MAX_ECHO: the last guard before a reply. */
export function clipQuoted(message: string): string {
  const out = message.replace(/'([^']{101,})'/g, (_m, s: string) => `'${clip(s)}'`).replace(/"([^"]{101,})"/g, (_m, s: string) => `"${clip(s)}"`);
  return out.length > 4000 ? `${out.slice(0, 4000)}…` : out;
}

/** An error in a request: the server answers it with this status and {error: message}. */
export class HttpError extends Error {
  constructor(readonly statusCode: number, message: string) {
    super(message);
    this.name = 'HttpError';
  }
}

// ---------------------------------------------------------------------------------------------------
// Timeouts

export interface Timeouts {
  /** Most ms to receive a request's headers (default 10 s). */
  headersMs?: number;
  /** Most ms to receive a whole request, headers and body (default 30 s). */
  requestMs?: number;
  /** A connection with no bytes in either direction for this long is closed (default 30 s). */
  idleMs?: number;
  /** How long an idle keep-alive connection is kept between requests (default 5 s). */
  keepAliveMs?: number;
}

export const DEFAULT_TIMEOUTS: Required<Timeouts> = { headersMs: 10_000, requestMs: 30_000, idleMs: 30_000, keepAliveMs: 5_000 };

/**
 * The fastify options that put `t` on the Node server: requestTimeout, connectionTimeout (idle) and
 * keepAliveTimeout through fastify, headersTimeout and the connection-check interval through the
 * options of http.createServer (Node checks the two request timeouts every interval: 30 s by default,
 * far too coarse for limits of seconds).
 */
export function timeoutOptions(t: Timeouts = {}) {
  const requestMs = t.requestMs ?? DEFAULT_TIMEOUTS.requestMs;
  const headersMs = Math.min(t.headersMs ?? DEFAULT_TIMEOUTS.headersMs, requestMs); // Node needs headers ≤ request
  return {
    requestTimeout: requestMs,
    connectionTimeout: t.idleMs ?? DEFAULT_TIMEOUTS.idleMs,
    keepAliveTimeout: t.keepAliveMs ?? DEFAULT_TIMEOUTS.keepAliveMs,
    http: { requestTimeout: requestMs, headersTimeout: headersMs, connectionsCheckingInterval: Math.max(50, Math.min(1000, Math.floor(Math.min(headersMs, requestMs) / 4))) },
  };
}

/**
 * fastify's `frameworkErrors`: the router's own refusals (a URL that does not decode, a parameter over
 * 100 characters: 414) would otherwise echo the whole URL; here they are {error} with the URL clipped.
 */
export function frameworkErrors(err: Error & { statusCode?: number }, _req: FastifyRequest, reply: FastifyReply): void {
  void reply.status(err.statusCode && err.statusCode >= 400 && err.statusCode < 500 ? err.statusCode : 400).send({ error: clipQuoted(err.message) });
}

// ---------------------------------------------------------------------------------------------------
// JSON bodies

const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor']);

/** Parses a JSON request body: 400 for malformed JSON, NaN/Infinity, or a `__proto__` / `constructor` key. */
export function parseJsonBody(body: string): unknown {
  if (body.trim() === '') throw new HttpError(400, 'empty body: send a JSON object');
  // The reviver sees every key, escaped ones ("\u005f_proto__") included; only bodies that may hold one pay for it.
  const suspicious = body.includes('__proto__') || body.includes('constructor') || body.includes('\\u');
  try {
    return suspicious
      ? JSON.parse(body, (key, value: unknown) => {
          if (FORBIDDEN_KEYS.has(key)) throw new HttpError(400, `key '${key}' is not allowed in a request body`);
          return value;
        })
      : JSON.parse(body);
  } catch (e) {
    if (e instanceof HttpError) throw e;
    const bare = /"((?:[^"\\]|\\.){0,200})"\s*:\s*(-?(?:NaN|Infinity))\b/.exec(body) ?? /[[,:]\s*(-?(?:NaN|Infinity))\b/.exec(body);
    if (bare) {
      const field = bare.length > 2 ? `field '${clip(bare[1]!)}': ` : '';
      throw new HttpError(400, `malformed JSON: ${field}${bare.at(-1)} is not a JSON number (send a finite number, or null for a missing value)`);
    }
    throw new HttpError(400, `malformed JSON: ${clip((e as Error).message, 200)}`);
  }
}

/** Replaces fastify's JSON parser with parseJsonBody (same body limit); other content types stay refused. */
export function useSafeJsonParser(app: FastifyInstance, bodyLimit: number): void {
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string', bodyLimit }, (_req, body, done) => {
    try {
      done(null, parseJsonBody(body as string));
    } catch (e) {
      done(e as Error, undefined);
    }
  });
}

// ---------------------------------------------------------------------------------------------------
// Host check (DNS rebinding)

function isLoopback(address: string): boolean {
  return address === '::1' || address.startsWith('127.') || address.startsWith('::ffff:127.');
}

/**
 * When the server listens on a loopback address, answers 403 to requests whose Host header is not
 * localhost, 127.0.0.1 or [::1] with the server's port (or one of `extraHosts`, any port). A server
 * bound to another address (0.0.0.0, a LAN address) is reachable by name on purpose: no check.
 */
export function addHostCheck(app: FastifyInstance, extraHosts: string[] = []): void {
  const extra = new Set(extraHosts.map((h) => h.toLowerCase()));
  app.addHook('onRequest', async (req, reply) => {
    const addr = app.server.address() as AddressInfo | string | null;
    if (!addr || typeof addr === 'string' || !isLoopback(addr.address)) return;
    const host = (req.headers.host ?? '').toLowerCase();
    const port = addr.port;
    const names = ['localhost', '127.0.0.1', '[::1]'];
    const ok = names.some((n) => host === `${n}:${port}` || (port === 80 && host === n)) || extra.has(host) || extra.has(host.replace(/:\d+$/, ''));
    if (ok) return;
    await reply.status(403).send({
      error: `host '${clip(host)}' is not allowed: this server listens on ${addr.address}:${port} and answers only to Host localhost:${port}, 127.0.0.1:${port} or [::1]:${port} (DNS-rebinding protection)`,
    });
    return reply;
  });
}

// ---------------------------------------------------------------------------------------------------
// Bearer token

const digest = (s: string) => createHash('sha256').update(s, 'utf8').digest();

/** True when `header` is `Bearer <token>`; compared in constant time (equal-length SHA-256 digests). */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const m = /^Bearer\s+(.+)$/i.exec(header ?? '');
  const given = digest(m ? m[1]!.trim() : '');
  const ok = timingSafeEqual(given, digest(token));
  return ok && m !== null;
}

/** Every request must carry `Authorization: Bearer <token>` (401 otherwise); `skip` exempts some (CORS preflights). */
export function addTokenAuth(app: FastifyInstance, token: string, skip: (req: FastifyRequest) => boolean = () => false): void {
  app.addHook('onRequest', async (req, reply: FastifyReply) => {
    if (skip(req) || bearerMatches(req.headers.authorization, token)) return;
    await reply
      .status(401)
      .header('www-authenticate', 'Bearer realm="mtl serve"')
      .send({ error: req.headers.authorization ? 'wrong bearer token' : 'this server needs a token: send the header Authorization: Bearer <token>' });
    return reply;
  });
}

// ---------------------------------------------------------------------------------------------------
// CORS

/** `http://host:port` as the browser sends it in Origin, or null when `s` is not an origin. */
export function normalizeOrigin(s: string): string | null {
  try {
    const u = new URL(s.trim());
    if (!/^https?:$/.test(u.protocol) || u.pathname.replace(/\/$/, '') !== '' || u.search || u.hash || u.username) return null;
    return u.origin;
  } catch {
    return null;
  }
}

/**
 * CORS for the listed origins only: their requests get Access-Control-Allow-Origin (and Vary: Origin),
 * their preflights (OPTIONS) 204 with the allowed methods and headers; a preflight from any other
 * origin is 403, and its other requests get no CORS header (the browser keeps the answer from the page).
 * Without an allow-list the server sends no CORS header at all.
 */
export function addCors(app: FastifyInstance, origins: string[]): void {
  const allowed = new Set(origins);
  app.addHook('onRequest', async (req, reply) => {
    void reply.header('vary', 'Origin');
    const origin = req.headers.origin;
    if (origin && allowed.has(origin)) void reply.header('access-control-allow-origin', origin);
  });
  app.options('*', async (req, reply) => {
    const origin = req.headers.origin;
    if (!origin || !allowed.has(origin)) return reply.status(403).send({ error: `origin '${clip(origin ?? '')}' is not allowed (CORS allow-list)` });
    return reply
      .status(204)
      .header('access-control-allow-methods', 'GET, POST, OPTIONS')
      .header('access-control-allow-headers', 'content-type, authorization')
      .header('access-control-max-age', '600')
      .send();
  });
}
