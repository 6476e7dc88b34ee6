/**
 * The dashboard discloses no absolute path and is hardened like the inference server (no browser needed):
 * its state (/api/state, /health, the page, `mtl report`'s file) names the run folder relative to the
 * working directory and takes the working directory out of failure messages; bound to 127.0.0.1 it
 * refuses foreign Host headers (DNS rebinding) and clips long URLs it echoes.
 */
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createDashboardServer, type DashboardServer } from '../../src/dashboard/server.js';
import { displayPath, readRunState } from '../../src/dashboard/state.js';
import { mtl, tmpDir } from '../serve/fixtures.js';

const tmp = tmpDir('dash-paths');
const runDir = path.join(tmp, 'run');
let dash: DashboardServer;
let port = 0;

function get(pathname: string, host: string): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request({ host: '127.0.0.1', port, path: pathname, headers: { host } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => resolve({ status: res.statusCode!, text }));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  fs.mkdirSync(runDir, { recursive: true });
  fs.writeFileSync(path.join(runDir, 'config.json'), JSON.stringify({ name: 'paths', train: { epochs: 2 } }));
  fs.writeFileSync(path.join(runDir, 'history.jsonl'), JSON.stringify({ epoch: 0, train: { a: { loss: 1 } }, val: { a: { loss: 1, auc: 0.5 } }, weights: { a: 1 } }) + '\n');
  dash = createDashboardServer(runDir, { pollMs: 50 });
  const url = await dash.app.listen({ port: 0, host: '127.0.0.1' });
  port = Number(new URL(url).port);
});

afterAll(async () => {
  await dash?.app.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('paths relative to the working directory', () => {
  it('the state names the run folder relatively', () => {
    const s = readRunState(runDir);
    expect(path.isAbsolute(s.runDir)).toBe(false);
    expect(s.runDir).toBe(path.relative(process.cwd(), runDir));
    expect(path.resolve(s.runDir)).toBe(runDir);
    expect(displayPath(process.cwd())).toBe('.');
  });

  it('/api/state, /health and the page hold no absolute path; a failure message loses the working directory', async () => {
    dash.setStatus('failed', `${path.join(process.cwd(), 'data', 'train.csv')}:3: expected 4 fields`);
    for (const route of ['/api/state', '/health', '/']) {
      const r = await get(route, `127.0.0.1:${port}`);
      expect(r.status).toBe(200);
      // (the relative form ../../tmp/… holds the absolute one as a substring: look for it after a quote)
      expect(r.text).not.toContain(`"${tmp}`);
      expect(r.text).not.toContain(process.cwd() + path.sep);
    }
    const state = JSON.parse((await get('/api/state', `localhost:${port}`)).text);
    expect(state.runDir).toBe(path.relative(process.cwd(), runDir));
    expect(state.message).toBe(`${path.join('data', 'train.csv')}:3: expected 4 fields`);
  });

  it('mtl report writes a page without the absolute path', async () => {
    const file = path.join(tmp, 'report.html');
    const r = await mtl(['report', runDir, '--out', file]);
    expect(r.code, r.err).toBe(0);
    const html = fs.readFileSync(file, 'utf8');
    expect(html).not.toContain(`"${tmp}`);
    expect(html).toContain(JSON.stringify(path.relative(process.cwd(), runDir)).slice(1, -1));
  });
});

describe('hardening', () => {
  it('a foreign Host is refused with 403 (DNS rebinding); long URLs are clipped', async () => {
    const evil = await get('/api/state', `evil.example:${port}`);
    expect(evil.status).toBe(403);
    expect(JSON.parse(evil.text).error).toMatch(/^host 'evil\.example:\d+' is not allowed/);
    expect(evil.text).not.toContain('mtl'); // no state leaks
    const long = await get(`/${'y'.repeat(5000)}`, `127.0.0.1:${port}`);
    expect(long.status).toBe(404);
    expect(long.text.length).toBeLessThan(300);
  });
});
