/**
 * Server hardening (src/serve/security.ts, server.ts, predictor.ts), over real HTTP on 127.0.0.1 against
 * a tiny adult model trained by `mtl train`: a client that trickles its body or its headers is answered
 * 408 and cut off within the configured timeout; values the client sent come back clipped to 100
 * characters (a 15 MB category, column name or number text); `__proto__` / `constructor` keys are a 400
 * naming the key; inputs that are not finite once encoded (1e300, NaN written in the body) are a 400
 * naming the field, never a 200 with null; the bearer token; the CORS allow-list (no CORS header
 * without one); the Host check against DNS rebinding; and `mtl serve --token` / $MTL_SERVE_TOKEN.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { RawRecord } from '../../src/data/types.js';
import { initBackend } from '../../src/engine/backend.js';
import { createServer } from '../../src/serve/server.js';
import { bearerMatches, DEFAULT_TIMEOUTS, parseJsonBody } from '../../src/serve/security.js';
import { adultConfig, adultTestRecords, BIN, mtl, tmpDir, trainRun } from './fixtures.js';

const tmp = tmpDir('hardening');
let run: string;
const apps: FastifyInstance[] = [];
let plain: { url: string; port: number };
/** A server with second-scale timeouts, for the slow-client tests only (a 15 MB body may take longer than 1 s on a loaded machine). */
let strict: { url: string; port: number };
let guarded: { url: string; port: number };
const TOKEN = 's3cret-token-for-tests';
const ALLOWED = 'http://allowed.example:3000';
const { rows } = adultTestRecords(3);
const row = (): RawRecord => ({ ...rows[0]! });

async function start(options: Parameters<typeof createServer>[1]): Promise<{ url: string; port: number }> {
  const app = await createServer(run, options);
  apps.push(app);
  const url = await app.listen({ port: 0, host: '127.0.0.1' });
  return { url, port: Number(new URL(url).port) };
}

/** A request with exactly these headers (fetch does not let a test set Host). */
function request(port: number, method: string, path: string, headers: Record<string, string>, body?: string): Promise<{ status: number; headers: http.IncomingHttpHeaders; text: string; json: any }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, method, path, headers }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (d) => (text += d));
      res.on('end', () => {
        let json: any = null;
        try {
          json = JSON.parse(text);
        } catch {
          /* not JSON */
        }
        resolve({ status: res.statusCode!, headers: res.headers, text, json });
      });
    });
    req.on('error', reject);
    if (body !== undefined) req.write(body);
    req.end();
  });
}

async function post(base: { url: string }, body: unknown, path = '/predict', headers: Record<string, string> = {}) {
  const res = await fetch(`${base.url}${path}`, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  return { status: res.status, text, json: JSON.parse(text) as any, headers: res.headers };
}

beforeAll(async () => {
  await initBackend('wasm');
  run = await trainRun(tmp, 'adult', adultConfig('adult-hardening', '{ limit: 300, testLimit: 100 }', '{ epochs: 1, batchSize: 128, lr: 0.003, earlyStopping: false }'));
  plain = await start({});
  strict = await start({ timeouts: { headersMs: 600, requestMs: 1000 } });
  guarded = await start({ token: TOKEN, cors: [ALLOWED] });
});

afterAll(async () => {
  for (const app of apps) await app.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

/** Opens a raw connection, writes `head`, then one byte of `trickle` every 100 ms; resolves when the server closes it. */
function slowClient(port: number, head: string, trickle: string): Promise<{ ms: number; answer: string }> {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    let answer = '';
    let i = 0;
    const socket = net.connect(port, '127.0.0.1', () => {
      socket.write(head);
      timer = setInterval(() => {
        if (!socket.destroyed && socket.writable) socket.write(trickle[i++ % trickle.length]!);
      }, 100);
    });
    let timer: NodeJS.Timeout | undefined;
    const guard = setTimeout(() => {
      socket.destroy();
      reject(new Error('the server never cut the slow client off'));
    }, 15_000);
    socket.on('data', (d) => (answer += d));
    socket.on('error', () => {}); // a reset after the 408 is fine
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(guard);
      resolve({ ms: performance.now() - t0, answer });
    });
  });
}

describe('timeouts', () => {
  it('defaults: headers 10 s, whole request 30 s, idle 30 s, keep-alive 5 s', () => {
    expect(DEFAULT_TIMEOUTS).toEqual({ headersMs: 10_000, requestMs: 30_000, idleMs: 30_000, keepAliveMs: 5_000 });
  });

  it('a client that sends its headers and then trickles the body is answered 408 and cut off after the request timeout (1 s)', async () => {
    const head = `POST /predict HTTP/1.1\r\nHost: 127.0.0.1:${strict.port}\r\nContent-Type: application/json\r\nContent-Length: 100000\r\n\r\n`;
    const r = await slowClient(strict.port, head, '{"rows": [');
    expect(r.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(r.ms).toBeGreaterThan(900);
    expect(r.ms).toBeLessThan(3000);
  });

  it('a client that trickles its headers is cut off after the headers timeout (0.6 s)', async () => {
    const r = await slowClient(strict.port, 'GET /health HTTP/1.1\r\n', 'X-Slow: aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa');
    expect(r.answer).toMatch(/^HTTP\/1\.1 408 /);
    expect(r.ms).toBeLessThan(2500);
  });

  it('and the server still answers everyone else', async () => {
    expect((await fetch(`${strict.url}/health`)).status).toBe(200);
  });
});

describe('values the client sent come back clipped to 100 characters', () => {
  const huge = 'x'.repeat(15 * 1024 * 1024);
  const clipped = `${'x'.repeat(100)}…`;

  it('a 15 MB category value: 200, and the warning holds 100 characters of it', async () => {
    const r = await post(plain, { row: { ...row(), workclass: huge } });
    expect(r.status).toBe(200);
    expect(r.json.warnings).toEqual([`row 0: column 'workclass': category '${clipped}' was not seen in training (encoded as all zeros)`]);
    expect(r.text.length).toBeLessThan(2000);
  });

  it('a 15 MB column name, number text, field name and task name: 400s of a few hundred bytes', async () => {
    const cases: [unknown, string, RegExp][] = [
      [{ row: { ...row(), [huge]: 1 } }, '/predict', new RegExp(`^record 0: unknown column '${clipped}' \\(expected columns: age, `)],
      [{ row: { ...row(), age: huge } }, '/predict', new RegExp(`^row 0: column 'age': not a number: '${clipped}'$`)],
      [{ [huge]: [] }, '/predict', new RegExp(`^unknown field\\(s\\) '${clipped}': send one of`)],
      [{ row: row() }, `/predict/${'t'.repeat(90)}`, new RegExp(`^unknown task '${'t'.repeat(90)}'`)],
    ];
    for (const [body, path, message] of cases) {
      const r = await post(plain, body, path);
      expect(r.status, r.text.slice(0, 300)).toBeGreaterThanOrEqual(400);
      expect(r.json.error).toMatch(message);
      expect(r.text.length).toBeLessThan(1500);
    }
    const longTask = await post(plain, { row: row() }, `/predict/${'t'.repeat(5000)}`);
    expect(longTask.status).toBe(414); // fastify's router: a parameter over 100 characters
    expect(longTask.json.error).toMatch(/^'\/predict\/t{90}/);
    expect(longTask.text.length).toBeLessThan(400);
  });
});

describe('JSON bodies', () => {
  const cases: [string, string, RegExp][] = [
    ['__proto__ at the top', '{"__proto__": {"row": 1}, "row": {}}', /^key '__proto__' is not allowed in a request body$/],
    ['__proto__ in a row', '{"row": {"__proto__": {"age": 1}}}', /^key '__proto__' is not allowed in a request body$/],
    ['constructor in a row', '{"rows": [{"constructor": {"prototype": {"x": 1}}}]}', /^key 'constructor' is not allowed in a request body$/],
    ['an escaped __proto__', '{"row": {"\\u005f_proto__": 1}}', /^key '__proto__' is not allowed in a request body$/],
    ['NaN written in the body', '{"row": {"age": NaN}}', /^malformed JSON: field 'age': NaN is not a JSON number \(send a finite number, or null for a missing value\)$/],
    ['-Infinity in inputs', '{"inputs": [[-Infinity]]}', /^malformed JSON: -Infinity is not a JSON number/],
    ['plain malformed JSON', '{"rows": [', /^malformed JSON: /],
  ];
  for (const [name, body, message] of cases) {
    it(`${name} → 400`, async () => {
      const r = await post(plain, body);
      expect(r.status).toBe(400);
      expect(r.json.error).toMatch(message);
    });
  }

  it('a column value that merely contains the word constructor is fine', async () => {
    const r = await post(plain, { row: { ...row(), occupation: 'constructor of __proto__ things' } });
    expect(r.status).toBe(200);
    expect(r.json.warnings[0]).toMatch(/category 'constructor of __proto__ things' was not seen/);
    expect(() => parseJsonBody('{"a": "constructor"}')).not.toThrow();
  });
});

describe('inputs that are not finite once encoded', () => {
  it('{"age": 1e300} standardises to Infinity: 400 naming the row and column, not 200 with null', async () => {
    const r = await post(plain, { rows: [row(), { ...row(), age: 1e300 }] });
    expect(r.status).toBe(400);
    expect(r.json.error).toBe("row 1: column 'age': 1e+300 is out of range: it standardises to Infinity in float32; send a finite number of a sensible size");
    const text = await post(plain, { row: { ...row(), 'capital-gain': '-1e300' } });
    expect(text.status).toBe(400);
    expect(text.json.error).toMatch(/^row 0: column 'capital-gain': -1e300 is out of range: it standardises to -Infinity/);
  });

  it('an input tensor value outside float32: 400 naming the sample and value', async () => {
    const size = (await (await fetch(`${plain.url}/metadata`)).json()).inputShape[0];
    const sample = new Array(size).fill(0);
    sample[5] = 1e300;
    const r = await post(plain, { inputs: [sample] });
    expect(r.status).toBe(400);
    expect(r.json.error).toBe('inputs[0]: value 5 (1e+300) is out of the float32 range');
  });

  it('large but finite values still answer', async () => {
    const r = await post(plain, { row: { ...row(), age: 1e6 } });
    expect(r.status).toBe(200);
    expect(Number.isFinite(r.json.predictions[0].income.probability)).toBe(true);
  });
});

describe('bearer token', () => {
  it('401 without it or with a wrong one (every route), 200 with it', async () => {
    const none = await post(guarded, { row: row() });
    expect(none.status).toBe(401);
    expect(none.headers.get('www-authenticate')).toBe('Bearer realm="mtl serve"');
    expect(none.json.error).toBe('this server needs a token: send the header Authorization: Bearer <token>');
    const wrong = await post(guarded, { row: row() }, '/predict', { authorization: `Bearer ${TOKEN}x` });
    expect(wrong.status).toBe(401);
    expect(wrong.json.error).toBe('wrong bearer token');
    expect((await fetch(`${guarded.url}/health`)).status).toBe(401);
    expect((await fetch(`${guarded.url}/metadata`)).status).toBe(401);
    expect((await fetch(`${guarded.url}/nowhere`)).status).toBe(401);
    const ok = await post(guarded, { row: row() }, '/predict', { authorization: `Bearer ${TOKEN}` });
    expect(ok.status).toBe(200);
    expect((await fetch(`${guarded.url}/health`, { headers: { authorization: `bearer ${TOKEN}` } })).status).toBe(200);
  });

  it('bearerMatches compares whole tokens only', () => {
    expect(bearerMatches(`Bearer ${TOKEN}`, TOKEN)).toBe(true);
    expect(bearerMatches(TOKEN, TOKEN)).toBe(false);
    expect(bearerMatches(`Bearer ${TOKEN.slice(0, -1)}`, TOKEN)).toBe(false);
    expect(bearerMatches(undefined, TOKEN)).toBe(false);
    expect(bearerMatches('Bearer ', TOKEN)).toBe(false);
  });
});

describe('CORS', () => {
  it('no allow-list: no CORS headers for any origin, and no preflight route', async () => {
    const r = await fetch(`${plain.url}/health`, { headers: { origin: ALLOWED } });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
    const pre = await fetch(`${plain.url}/predict`, { method: 'OPTIONS', headers: { origin: ALLOWED, 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(404);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('an allowed origin gets its preflight (without the token) and its answers', async () => {
    const pre = await fetch(`${guarded.url}/predict`, { method: 'OPTIONS', headers: { origin: ALLOWED, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization, content-type' } });
    expect(pre.status).toBe(204);
    expect(pre.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    expect(pre.headers.get('access-control-allow-headers')).toMatch(/authorization/);
    const ok = await post(guarded, { row: row() }, '/predict', { authorization: `Bearer ${TOKEN}`, origin: ALLOWED });
    expect(ok.status).toBe(200);
    expect(ok.headers.get('access-control-allow-origin')).toBe(ALLOWED);
    const denied = await post(guarded, { row: row() }, '/predict', { origin: ALLOWED });
    expect(denied.status).toBe(401);
    expect(denied.headers.get('access-control-allow-origin')).toBe(ALLOWED); // the page can read why
  });

  it('another origin: preflight 403, and no CORS header on its requests', async () => {
    const pre = await fetch(`${guarded.url}/predict`, { method: 'OPTIONS', headers: { origin: 'http://evil.example', 'access-control-request-method': 'POST' } });
    expect(pre.status).toBe(403);
    expect(pre.headers.get('access-control-allow-origin')).toBeNull();
    const r = await post(guarded, { row: row() }, '/predict', { authorization: `Bearer ${TOKEN}`, origin: 'http://evil.example' });
    expect(r.headers.get('access-control-allow-origin')).toBeNull();
  });

  it('an allow-list entry that is not an origin is refused at start', async () => {
    await expect(createServer(run, { cors: ['http://ok.example/path'] })).rejects.toThrow(/cors: 'http:\/\/ok\.example\/path' is not an origin/);
  });
});

describe('Host check on a loopback server (DNS rebinding)', () => {
  it('refuses other Host names with 403; localhost, 127.0.0.1 and [::1] with the port pass', async () => {
    const p = plain.port;
    const evil = await request(p, 'GET', '/health', { host: `evil.example:${p}` });
    expect(evil.status).toBe(403);
    expect(evil.json.error).toBe(`host 'evil.example:${p}' is not allowed: this server listens on 127.0.0.1:${p} and answers only to Host localhost:${p}, 127.0.0.1:${p} or [::1]:${p} (DNS-rebinding protection)`);
    expect((await request(p, 'POST', '/predict', { host: 'evil.example', 'content-type': 'application/json' }, JSON.stringify({ row: row() }))).status).toBe(403);
    expect((await request(p, 'GET', '/health', { host: `localhost:${p + 1}` })).status).toBe(403); // another port
    for (const host of [`localhost:${p}`, `127.0.0.1:${p}`, `[::1]:${p}`, `LOCALHOST:${p}`]) {
      expect((await request(p, 'GET', '/health', { host })).status, host).toBe(200);
    }
  });

  it('allowedHosts adds names (e.g. behind a local proxy)', async () => {
    const s = await start({ allowedHosts: ['model.internal'] });
    expect((await request(s.port, 'GET', '/health', { host: 'model.internal' })).status).toBe(200);
    expect((await request(s.port, 'GET', '/health', { host: 'other.internal' })).status).toBe(403);
  });
});

describe('mtl serve', () => {
  it('takes the token from $MTL_SERVE_TOKEN and refuses bad flags with exit 2', async () => {
    const child = spawn(process.execPath, [BIN, 'serve', run, '--port', '0', '--request-timeout', '5'], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MTL_SERVE_TOKEN: TOKEN } });
    try {
      let err = '';
      const url = await new Promise<string>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`mtl serve did not start:\n${err}`)), 60_000);
        child.stderr!.on('data', (d) => {
          err += d;
          const m = /serving .* at (http:\/\/127\.0\.0\.1:\d+) .*bearer token required/.exec(err);
          if (m) {
            clearTimeout(timer);
            resolve(m[1]!);
          }
        });
        child.on('exit', (code) => reject(new Error(`mtl serve exited (${code}):\n${err}`)));
      });
      expect((await fetch(`${url}/health`)).status).toBe(401);
      expect((await fetch(`${url}/health`, { headers: { authorization: `Bearer ${TOKEN}` } })).status).toBe(200);
    } finally {
      child.kill('SIGTERM');
    }
    const bad: [string[], RegExp][] = [
      [['--cors', 'not an origin'], /--cors: 'not an origin' is not an origin/],
      [['--request-timeout', '0'], /--request-timeout: expected a positive number, got '0'/],
      [['--headers-timeout', '20', '--request-timeout', '10'], /--headers-timeout \(20 s\) must not exceed --request-timeout \(10 s\)/],
      [['--ui', '--token', 'abc'], /--ui cannot be combined with a token/],
    ];
    for (const [flags, message] of bad) {
      const r = await mtl(['serve', run, '--port', '0', ...flags]);
      expect(r.code, flags.join(' ')).toBe(2);
      expect(r.err).toMatch(message);
    }
  });
});
