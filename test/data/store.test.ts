/**
 * Where dataset files come from (src/data/store): the explicit data folder, the cache, the package's
 * gzip copy, and a verified download — tested against a real HTTP server on 127.0.0.1 that serves the
 * shared fixture files, truncated ones, altered ones, 404s, and a server that hangs.
 */
import { execFile } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync } from 'node:zlib';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { DATA_SOURCES, dataFile } from '../../src/data/catalog.js';
import { loadDataset } from '../../src/data/loaders/index.js';
import { DataUnavailableError, downloadFile } from '../../src/data/store/download.js';
import { findDataFile, locateDataFile, readDataText } from '../../src/data/store/locate.js';
import { shippedDataDir } from '../../src/data/store/paths.js';

const SHARED = path.resolve('../shared/data');
const sha256 = (b: Buffer) => createHash('sha256').update(b).digest('hex');

/** A server over ../shared/data with misbehaving routes: /truncated/<path>, /altered/<path>, /hang/<path>. */
function startServer(): Promise<{ url: string; close: () => Promise<void>; hits: string[] }> {
  const hits: string[] = [];
  const sockets = new Set<import('node:net').Socket>();
  const server = http.createServer((req, res) => {
    const url = decodeURIComponent(req.url ?? '/');
    hits.push(url);
    const [, mode, ...rest] = url.split('/');
    const rel = rest.join('/');
    const file = path.join(SHARED, rel);
    if (!rel || !file.startsWith(SHARED + path.sep) || !fs.existsSync(file)) {
      res.writeHead(404).end('not found');
      return;
    }
    const body = fs.readFileSync(file);
    if (mode === 'good') {
      res.writeHead(200, { 'content-length': body.length }).end(body);
    } else if (mode === 'truncated') {
      // Promise the whole file, send half, then drop the connection.
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, body.length >> 1), () => res.destroy());
    } else if (mode === 'altered') {
      const copy = Buffer.from(body);
      copy[copy.length >> 1] ^= 1; // same size, one bit different
      res.writeHead(200, { 'content-length': copy.length }).end(copy);
    } else if (mode === 'hang-body') {
      res.writeHead(200, { 'content-length': body.length });
      res.write(body.subarray(0, 100)); // then nothing, forever
    } else if (mode === 'hang') {
      // never answers
    } else {
      res.writeHead(404).end();
    }
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as AddressInfo;
      resolve({
        url: `http://127.0.0.1:${port}`,
        hits,
        close: () => new Promise<void>((r) => {
          for (const s of sockets) s.destroy();
          server.close(() => r());
        }),
      });
    });
  });
}

let server: Awaited<ReturnType<typeof startServer>>;
let cache: string;
const saved = { ...process.env };

beforeAll(async () => {
  server = await startServer();
});
afterAll(async () => {
  await server.close();
});
beforeEach(() => {
  cache = fs.mkdtempSync(path.join(os.tmpdir(), 'mtl-cache-'));
  delete process.env['MTL_DATA_DIR'];
  delete process.env['MTL_DATA_MIRROR'];
  process.env['MTL_CACHE_DIR'] = cache;
});
afterEach(() => {
  for (const k of ['MTL_DATA_DIR', 'MTL_DATA_MIRROR', 'MTL_CACHE_DIR']) {
    if (saved[k] === undefined) delete process.env[k];
    else process.env[k] = saved[k];
  }
  fs.rmSync(cache, { recursive: true, force: true });
});

const flagsTrain = dataFile('mulan-multilabel/flags-train.arff')!.file;
const cacheFiles = () => (fs.existsSync(cache) ? fs.readdirSync(cache, { recursive: true }).map(String).filter((f) => fs.statSync(path.join(cache, f)).isFile()) : []);

describe('the catalog', () => {
  it('pins the size and sha256 of every fixture file', () => {
    for (const source of DATA_SOURCES) {
      for (const f of source.files) {
        const bytes = fs.readFileSync(path.join(SHARED, f.path));
        expect(bytes.length, f.path).toBe(f.bytes);
        expect(sha256(bytes), f.path).toBe(f.sha256);
      }
    }
  });

  it('ships gzip copies that unzip to exactly the pinned bytes, with their licences', () => {
    const dir = shippedDataDir()!;
    expect(dir).toBe(path.resolve('data'));
    const shipped = DATA_SOURCES.filter((s) => s.shipped);
    expect(shipped.map((s) => s.id)).toEqual(['adult', 'energy', 'snips']);
    for (const source of shipped) {
      for (const f of source.files) {
        const bytes = gunzipSync(fs.readFileSync(path.join(dir, `${f.path}.gz`)));
        expect(sha256(bytes), f.path).toBe(f.sha256);
      }
    }
    const readme = fs.readFileSync(path.join(dir, 'README.md'), 'utf8');
    expect(readme).toContain('CC BY 4.0');
    expect(readme).toContain('CC0 1.0');
    expect(fs.existsSync(path.join(dir, 'snips/LICENSE.sonos-nlu-benchmark-CC0-1.0'))).toBe(true);
  });
});

describe('where a file is found', () => {
  it('uses the package copy when no data folder is given and the cache is empty', async () => {
    const f = await locateDataFile('adult/adult.data');
    expect(f.where).toBe('package');
    expect(sha256(Buffer.from(await readDataText('adult/adult.data'), 'utf8'))).toBe(dataFile('adult/adult.data')!.file.sha256);
    const split = await loadDataset('adult', { limit: 100, testLimit: 50 });
    expect(split.train.n).toBe(100);
  });

  it('prefers the cache over the package copy, and the data folder over both', async () => {
    fs.mkdirSync(path.join(cache, 'energy'), { recursive: true });
    fs.copyFileSync(path.join(SHARED, 'energy/energy_efficiency.csv'), path.join(cache, 'energy/energy_efficiency.csv'));
    expect(findDataFile('energy/energy_efficiency.csv')?.where).toBe('cache');
    expect(findDataFile('energy/energy_efficiency.csv', SHARED)?.where).toBe('data-dir');
    process.env['MTL_DATA_DIR'] = SHARED;
    expect(findDataFile('energy/energy_efficiency.csv')?.where).toBe('data-dir');
  });

  it('reads only the data folder given: a file missing there is an error, not a download', async () => {
    process.env['MTL_DATA_MIRROR'] = `${server.url}/good`;
    const hitsBefore = server.hits.length;
    await expect(locateDataFile('mulan-multilabel/flags.xml', { dataDir: '/no/such/folder' })).rejects.toThrow(/flags\.xml: not found in the data folder \/no\/such\/folder/);
    expect(server.hits.length).toBe(hitsBefore);
  });

  it('says where to put a file that has no public copy', async () => {
    const err = await locateDataFile('sarcos/sarcos_inv_test.csv').catch((e: unknown) => e);
    expect(err).toBeInstanceOf(DataUnavailableError);
    expect((err as Error).message).toContain(path.join(cache, 'sarcos/sarcos_inv_test.csv'));
    expect((err as Error).message).toMatch(/--data-dir \/ MTL_DATA_DIR/);
  });
});

describe('downloads (a local HTTP server over the fixture files)', () => {
  it('downloads a missing file into the cache, verified, with progress, and reads it from there next time', async () => {
    process.env['MTL_DATA_MIRROR'] = `${server.url}/good`;
    const progress: number[] = [];
    const f = await locateDataFile(flagsTrain.path, { onProgress: (r) => progress.push(r) });
    expect(f).toEqual({ path: path.join(cache, flagsTrain.path), gzip: false, where: 'downloaded' });
    expect(sha256(fs.readFileSync(f.path))).toBe(flagsTrain.sha256);
    expect(progress.at(-1)).toBe(flagsTrain.bytes);
    expect(cacheFiles()).toEqual([flagsTrain.path]); // no temporary file left behind
    const hits = server.hits.length;
    expect((await locateDataFile(flagsTrain.path)).where).toBe('cache');
    expect(server.hits.length).toBe(hits);
    // A whole dataset through loadDataset.
    const split = await loadDataset('mulan-flags');
    expect(split.train.n).toBe(129);
    expect(split.test.n).toBe(65);
  });

  const cases: [string, string, RegExp][] = [
    ['a truncated file', 'truncated', /download from .*flags-train\.arff failed \((received \d+ of 7707 bytes|terminated|other side closed|UND_ERR_SOCKET)/],
    ['a file with other bytes', 'altered', /sha256 mismatch: expected 1861cdab.*; the file was not kept/],
    ['a 404', 'nothing-here', /failed \(HTTP 404\)/],
    ['a server that never answers', 'hang', /failed \(no data for 1 s\)/],
    ['a server that stops sending', 'hang-body', /failed \(no data for 1 s\)/],
  ];
  for (const [what, mode, message] of cases) {
    it(`refuses ${what}, keeps nothing, and says where to put the file by hand`, async () => {
      const dest = path.join(cache, flagsTrain.path);
      const t0 = Date.now();
      const err = await downloadFile(flagsTrain, dest, { mirror: `${server.url}/${mode}`, idleTimeoutMs: 1000 }).catch((e: unknown) => e);
      expect(err).toBeInstanceOf(DataUnavailableError);
      expect((err as Error).message).toMatch(message);
      expect((err as Error).message).toContain(`place it at ${dest}`);
      expect(Date.now() - t0).toBeLessThan(10_000);
      expect(cacheFiles()).toEqual([]);
    });
  }

  it('gives one clear message when offline (connection refused)', async () => {
    const closed = await startServer();
    const url = closed.url;
    await closed.close();
    const err = await downloadFile(flagsTrain, path.join(cache, flagsTrain.path), { mirror: url, idleTimeoutMs: 2000 }).catch((e: unknown) => e);
    expect((err as Error).message).toMatch(/failed \(ECONNREFUSED\); download it from http:\/\/127\.0\.0\.1:\d+\/mulan-multilabel\/flags-train\.arff and place it at /);
  });
});

describe('mtl data', () => {
  const bin = path.resolve('bin/mtl.js');
  // Asynchronous: the test server lives in this process's event loop.
  const run = (args: string[], env: Record<string, string> = {}) => {
    const e: NodeJS.ProcessEnv = { ...process.env, MTL_CACHE_DIR: cache, ...env };
    delete e['MTL_DATA_DIR'];
    return new Promise<{ code: number | null; out: string; err: string }>((resolve) => {
      execFile(process.execPath, [bin, 'data', ...args], { encoding: 'utf8', env: e }, (error, out, err) => {
        resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, out, err });
      });
    });
  };

  it('lists every dataset with its tasks, size, licence and where it is', async () => {
    const r = await run(['list', '--json']);
    expect(r.code, r.err).toBe(0);
    const rows = JSON.parse(r.out) as { name: string; where: string; licence: string; bytes: number; downloadable: boolean }[];
    expect(rows.map((x) => x.name)).toEqual(DATA_SOURCES.map((s) => s.id));
    expect(rows.find((x) => x.name === 'adult')).toMatchObject({ where: 'package', licence: 'CC BY 4.0', bytes: 5982666 });
    expect(rows.find((x) => x.name === 'mulan-flags')?.where).toBe('missing');
    const text = await run(['list']);
    expect(text.out).toMatch(/adult\s+income >50K.*6\.0 MB\s+CC BY 4\.0\s+shipped with mtljs/);
  });

  it('fetches a dataset into the cache, then prints its folder', async () => {
    const f = await run(['fetch', 'mulan-flags'], { MTL_DATA_MIRROR: `${server.url}/good` });
    expect(f.code, f.err).toBe(0);
    expect(f.out).toContain(`mulan-flags: cache ${path.join(cache, 'mulan-multilabel')}`);
    expect(f.err).toMatch(/downloading mulan-multilabel\/flags-train\.arff .*\n.*done, 0\.01 MB/);
    const p = await run(['path', 'mulan-flags']);
    expect(p.out.trim()).toBe(path.join(cache, 'mulan-multilabel'));
    expect((await run(['path', 'adult'])).out.trim()).toBe(path.resolve('data/adult'));
  });

  it('exits 2 with one message for a dataset that cannot be fetched or is unknown', async () => {
    const r = await run(['fetch', 'sarcos']);
    expect(r.code).toBe(2);
    expect(r.err).toMatch(/^mtl: error: sarcos\/sarcos_inv_test\.csv: not on this machine and no public copy/);
    expect(r.err.trim().split('\n')).toHaveLength(1);
    const u = await run(['path', 'nope']);
    expect(u.code).toBe(2);
    expect(u.err).toMatch(/nope: unknown dataset \(known: adult, /);
  });
});
