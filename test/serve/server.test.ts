/**
 * The inference server over real HTTP on 127.0.0.1, on models trained by `mtl train`: good requests
 * (one row, a batch, one task, input tensors) answer what loadSavedModel + forward + predict computes in
 * Node; every kind of bad request gets a 4xx {error}; and `mtl serve` (its own process) takes 200
 * concurrent requests with no error and bounded memory, printing latency and throughput.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import type { FastifyInstance } from 'fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { encodeRows } from '../../src/data/preprocess.js';
import type { RawRecord } from '../../src/data/types.js';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { loadSavedModel, type SavedModel } from '../../src/models/saved.js';
import { createServer } from '../../src/serve/server.js';
import { adultConfig, adultTestRecords, BIN, kindsConfig, tmpDir, trainRun, writeKindsCsv } from './fixtures.js';

const tmp = tmpDir('serve');
let adultRun: string;
let kindsRun: string;
let adultApp: FastifyInstance;
let kindsApp: FastifyInstance;
let adultUrl: string;
let kindsUrl: string;
let adultModel: SavedModel;
let kindsModel: SavedModel;
const { rows: adultRows, labels: adultLabels } = adultTestRecords(40);

/** What Node computes for encoded inputs: task → n × units outputs (loadSavedModel + forward + predict). */
function nodePredict(saved: SavedModel, x: Float32Array, n: number): Record<string, Float32Array> {
  const outs = tf.tidy(() => {
    const { logits } = saved.model.forward(tf.tensor(x, [n, ...saved.manifest.inputShape]), false);
    return saved.tasks.map((t, i) => t.predict(logits[i]!));
  });
  return Object.fromEntries(saved.tasks.map((t, i) => [t.name, outs[i]!.dataSync() as Float32Array]));
}

async function post(url: string, body: unknown, headers: Record<string, string> = { 'content-type': 'application/json' }) {
  const res = await fetch(url, { method: 'POST', headers, body: typeof body === 'string' ? body : JSON.stringify(body) });
  const text = await res.text();
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    json = { raw: text };
  }
  return { status: res.status, json, type: res.headers.get('content-type') ?? '' };
}

beforeAll(async () => {
  await initBackend('wasm');
  [adultRun, kindsRun] = await Promise.all([
    trainRun(tmp, 'adult', adultConfig('adult-serve')),
    trainRun(tmp, 'kinds', kindsConfig(writeKindsCsv(tmp))),
  ]);
  adultApp = await createServer(adultRun);
  kindsApp = await createServer(`${kindsRun}/model`);
  adultUrl = await adultApp.listen({ port: 0, host: '127.0.0.1' });
  kindsUrl = await kindsApp.listen({ port: 0, host: '127.0.0.1' });
  adultModel = await loadSavedModel(`${adultRun}/model`);
  kindsModel = await loadSavedModel(`${kindsRun}/model`);
});

afterAll(async () => {
  await adultApp?.close();
  await kindsApp?.close();
  fs.rmSync(tmp, { recursive: true, force: true });
});

describe('GET /health and /metadata', () => {
  it('health names the tasks', async () => {
    const res = await fetch(`${adultUrl}/health`);
    expect(res.status).toBe(200);
    const h = await res.json();
    expect(h).toMatchObject({ status: 'ok', tasks: ['income', 'never_married'] });
  });

  it('metadata gives tasks, kinds, label names and the input schema from the manifest', async () => {
    const m = await (await fetch(`${adultUrl}/metadata`)).json();
    expect(m.tasks.map((t: any) => [t.name, t.kind, t.outputs])).toEqual([
      ['income', 'binary', ['<=50K', '>50K']],
      ['never_married', 'binary', ['other', 'Never-married']],
    ]);
    expect(m.input.kind).toBe('records');
    const cols = Object.fromEntries(m.input.columns.map((c: any) => [c.name, c]));
    expect(Object.keys(cols)).toEqual(adultModel.manifest.preprocessing!.features.map((f) => f.column));
    expect(cols.age.type).toBe('numeric');
    expect(cols.workclass.type).toBe('categorical');
    expect(cols.workclass.categories).toContain('Private');
    expect(cols['marital-status']).toBeUndefined(); // a label, not a feature
    expect(m.limits.maxRows).toBe(10_000);

    const k = await (await fetch(`${kindsUrl}/metadata`)).json();
    expect(k.tasks.map((t: any) => [t.name, t.kind, t.outputs])).toEqual([
      ['cls', 'multiclass', ['a', 'b', 'c']],
      ['tags', 'multilabel', ['tag_a', 'tag_b']],
      ['amount', 'regression', ['price', 'weight']],
      ['flag', 'binary', ['no', 'yes']],
    ]);
    expect(k.input.columns.find((c: any) => c.name === 'color').categories).toEqual(['blue', 'green', 'red']);
  });
});

describe('POST /predict: good requests', () => {
  it('a single row ({"row": {...}}) answers what Node computes', async () => {
    const r = await post(`${adultUrl}/predict`, { row: adultRows[0] });
    expect(r.status).toBe(200);
    expect(r.json.n).toBe(1);
    const expected = nodePredict(adultModel, encodeRows(adultModel.manifest.preprocessing!, [adultRows[0]!]), 1);
    const p = r.json.predictions[0];
    expect(p.income.probability).toBeCloseTo(expected.income![0]!, 6);
    expect(p.income.positiveLabel).toBe('>50K');
    expect(p.income.label).toBe(expected.income![0]! >= 0.5 ? '>50K' : '<=50K');
    expect(p.never_married.probability).toBeCloseTo(expected.never_married![0]!, 6);
    expect(p.never_married.label).toBe(expected.never_married![0]! >= 0.5 ? 'Never-married' : 'other');
  });

  it('a batch of 40 real adult rows (numbers as text and missing values included) matches row by row', async () => {
    const rows = adultRows.map((r, i) => (i % 5 === 0 ? { ...r, age: String(r.age) } : r)); // "39" reads as 39
    expect(rows.some((r) => Object.values(r).includes(null))).toBe(true);
    const r = await post(`${adultUrl}/predict`, { rows });
    expect(r.status).toBe(200);
    expect(r.json.n).toBe(40);
    const expected = nodePredict(adultModel, encodeRows(adultModel.manifest.preprocessing!, adultRows), 40);
    r.json.predictions.forEach((p: any, i: number) => {
      expect(Math.abs(p.income.probability - expected.income![i]!)).toBeLessThan(1e-6);
      expect(Math.abs(p.never_married.probability - expected.never_married![i]!)).toBeLessThan(1e-6);
    });
    // The model is a real one: it mostly agrees with the true labels of these test rows.
    const hits = r.json.predictions.filter((p: any, i: number) => (p.never_married.label === 'Never-married') === (adultLabels[i]!.marital === 'Never-married')).length;
    expect(hits).toBeGreaterThanOrEqual(28);
  });

  it('POST /predict/:task answers one task; an unknown task is 404', async () => {
    const r = await post(`${adultUrl}/predict/income`, { rows: adultRows.slice(0, 3) });
    expect(r.status).toBe(200);
    expect(r.json.task).toBe('income');
    expect(r.json.predictions).toHaveLength(3);
    expect(Object.keys(r.json.predictions[0])).toEqual(['label', 'probability', 'positiveLabel']);
    const unknown = await post(`${adultUrl}/predict/salary`, { rows: adultRows.slice(0, 1) });
    expect(unknown.status).toBe(404);
    expect(unknown.json.error).toMatch(/unknown task 'salary'.*income, never_married/);
  });

  it('every task kind: multiclass argmax + probabilities, multilabel, de-scaled regression with output names', async () => {
    const rows: RawRecord[] = [
      { x1: 1.5, x2: 8, color: 'blue', size: 'L' },
      { x1: -1.5, x2: 1, color: 'red', size: 'S' },
      { x1: null, x2: 5, color: 'green', size: 'S' },
    ];
    const r = await post(`${kindsUrl}/predict`, { rows });
    expect(r.status).toBe(200);
    const expected = nodePredict(kindsModel, encodeRows(kindsModel.manifest.preprocessing!, rows), 3);
    r.json.predictions.forEach((p: any, i: number) => {
      const probs = expected.cls!.slice(i * 3, i * 3 + 3);
      expect(Object.keys(p.cls.probabilities)).toEqual(['a', 'b', 'c']);
      Object.values(p.cls.probabilities).forEach((v, j) => expect(Math.abs((v as number) - probs[j]!)).toBeLessThan(1e-6));
      expect(p.cls.label).toBe(['a', 'b', 'c'][probs.indexOf(Math.max(...probs))]);
      expect(p.cls.index).toBe(probs.indexOf(Math.max(...probs)));
      expect(Object.keys(p.tags.probabilities)).toEqual(['tag_a', 'tag_b']);
      expect(p.tags.labels).toEqual(['tag_a', 'tag_b'].filter((_, j) => expected.tags![i * 2 + j]! >= 0.5));
      expect(Math.abs(p.amount.values.price - expected.amount![i * 2]!)).toBeLessThan(1e-4);
      expect(Math.abs(p.amount.values.weight - expected.amount![i * 2 + 1]!)).toBeLessThan(1e-5);
      expect(p.flag.positiveLabel).toBe('yes');
    });
    // Regression comes back in the label units (price ≈ 100 ± 40), not standardised.
    expect(r.json.predictions[0].amount.values.price).toBeGreaterThan(90);
    expect(r.json.predictions[1].amount.values.price).toBeLessThan(100);
    expect(r.json.predictions[0].cls.label).toBe('c');
    expect(r.json.predictions[1].cls.label).toBe('a');
  });

  it('"inputs" (encoded tensors, flat) give the same answers as the records they encode', async () => {
    const rows: RawRecord[] = [{ x1: 0.3, x2: 2, color: 'red', size: 'L' }, { x1: -0.2, x2: 9, color: 'blue', size: 'S' }];
    const x = encodeRows(kindsModel.manifest.preprocessing!, rows);
    const size = x.length / 2;
    const viaInputs = await post(`${kindsUrl}/predict`, { inputs: [Array.from(x.subarray(0, size)), Array.from(x.subarray(size))] });
    const viaRows = await post(`${kindsUrl}/predict`, { rows });
    expect(viaInputs.status).toBe(200);
    expect(viaInputs.json.predictions).toEqual(viaRows.json.predictions);
  });

  it('an unseen category is encoded as in training (all zeros) and reported as a warning', async () => {
    const r = await post(`${adultUrl}/predict`, { row: { ...adultRows[1], workclass: 'Astronaut' } });
    expect(r.status).toBe(200);
    expect(r.json.warnings).toEqual(["row 0: column 'workclass': category 'Astronaut' was not seen in training (encoded as all zeros)"]);
  });
});

describe('POST /predict: bad requests get a 4xx with a JSON {error}', () => {
  const row = () => ({ ...adultRows[0] });
  const cases: [string, () => { body: unknown; headers?: Record<string, string>; path?: string }, number, RegExp][] = [
    ['malformed JSON', () => ({ body: '{"rows": [{"age": 3' }), 400, /malformed JSON/],
    ['an empty body', () => ({ body: '' }), 400, /empty body/],
    ['a JSON array instead of an object', () => ({ body: [row()] }), 400, /must be a JSON object/],
    ['JSON null', () => ({ body: 'null' }), 400, /must be a JSON object/],
    ['a text/plain body', () => ({ body: 'age=3', headers: { 'content-type': 'text/plain' } }), 415, /unsupported content type/],
    ['neither rows, row nor inputs', () => ({ body: { data: [row()] } }), 400, /unknown field\(s\) 'data'/],
    ['raw text for a model without text.json', () => ({ body: { texts: ['a sentence'] } }), 400, /this model does not read raw text/],
    ['both rows and row', () => ({ body: { rows: [row()], row: row() } }), 400, /exactly one of/],
    ['rows not a list', () => ({ body: { rows: row() } }), 400, /"rows" must be a list of records, got an object/],
    ['empty rows', () => ({ body: { rows: [] } }), 400, /"rows" is empty/],
    ['a row that is not an object', () => ({ body: { rows: [row(), 42] } }), 400, /row 1: expected an object keyed by column name, got number/],
    ['a missing column', () => { const r: RawRecord = row(); delete r.age; return { body: { row: r } }; }, 400, /record 0: missing column 'age'/],
    ['an unknown column', () => ({ body: { row: { ...row(), salary: 10 } } }), 400, /record 0: unknown column 'salary'/],
    ['a label column sent as a feature', () => ({ body: { row: { ...row(), 'marital-status': 'Divorced' } } }), 400, /unknown column 'marital-status'/],
    ['a boolean value', () => ({ body: { row: { ...row(), age: true } } }), 400, /column 'age': expected a number or null, got boolean/],
    ['an object value', () => ({ body: { row: { ...row(), workclass: { a: 1 } } } }), 400, /column 'workclass': expected a string or null, got an object/],
    ['text in a numeric column', () => ({ body: { row: { ...row(), age: 'old' } } }), 400, /column 'age'.*not a number: 'old'/],
    ['input tensors of the wrong size', () => ({ body: { inputs: [[1, 2, 3]] } }), 400, /inputs\[0\].*wrong shape/],
    ['input tensors holding text', () => ({ body: { inputs: [new Array(adultModel.manifest.inputShape[0]).fill('x')] } }), 400, /inputs\[0\]\[0\]: expected a number, got string/],
    ['too many rows', () => ({ body: { rows: new Array(10_001).fill(adultRows[0]) } }), 413, /too many rows: 10001 > 10000/],
    ['an oversized body', () => ({ body: JSON.stringify({ rows: [row()], pad: 'x'.repeat(17 * 1024 * 1024) }) }), 413, /request body too large/],
    ['prototype poisoning', () => ({ body: '{"row": {"__proto__": {"age": 1}}}' }), 400, /.+/],
    ['an unknown route', () => ({ body: { rows: [row()] }, path: '/predictions' }), 404, /no route POST \/predictions/],
  ];

  for (const [name, make, status, message] of cases) {
    it(`${name} → ${status}`, async () => {
      const { body, headers, path } = make();
      const r = await post(`${adultUrl}${path ?? '/predict'}`, body, headers);
      expect(r.status, JSON.stringify(r.json).slice(0, 300)).toBe(status);
      expect(r.type).toContain('application/json');
      expect(typeof r.json.error).toBe('string');
      expect(r.json.error).toMatch(message);
    });
  }

  it('records sent to an input-tensor request shape are refused clearly, and the server is still healthy after all of it', async () => {
    const r = await post(`${adultUrl}/predict`, { inputs: 'abc' });
    expect(r.status).toBe(400);
    expect(r.json.error).toMatch(/"inputs" must be a list of samples, got string/);
    const h = await (await fetch(`${adultUrl}/health`)).json();
    expect(h.status).toBe('ok');
  });
});

describe('mtl serve under load (its own process)', () => {
  let child: ChildProcess;
  let url = '';

  afterAll(() => {
    if (child && child.exitCode === null) child.kill('SIGKILL');
  });

  const rssMiB = (pid: number): number => {
    const m = /VmRSS:\s+(\d+) kB/.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) / 1024 : NaN;
  };
  const percentile = (sorted: number[], p: number): number => sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;

  it('answers 3 bursts of 200 concurrent requests with no error, bounded memory, no leaked tensors', async () => {
    child = spawn(process.execPath, [BIN, 'serve', adultRun, '--port', '0', '--host', '127.0.0.1'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let err = '';
    url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`mtl serve did not start:\n${err}`)), 60_000);
      child.stderr!.on('data', (d) => {
        err += d;
        const m = /serving .* at (http:\/\/127\.0\.0\.1:\d+)/.exec(err);
        if (m) {
          clearTimeout(timer);
          resolve(m[1]!);
        }
      });
      child.on('exit', (code) => reject(new Error(`mtl serve exited (${code}):\n${err}`)));
    });
    const batch = (i: number) => ({ rows: [0, 1, 2, 3, 4, 5, 6, 7, 8, 9].map((k) => adultRows[(i + k) % adultRows.length]!) });
    const expected = nodePredict(adultModel, encodeRows(adultModel.manifest.preprocessing!, adultRows), adultRows.length);
    for (let i = 0; i < 20; i++) await post(`${url}/predict`, batch(i)); // warm-up
    const tensors0 = (await (await fetch(`${url}/health`)).json()).tensors;
    const rss0 = rssMiB(child.pid!);
    const rss: number[] = [];
    const latencies: number[] = [];
    let wall = 0;
    for (let burst = 0; burst < 3; burst++) {
      const t0 = performance.now();
      const results = await Promise.all(
        Array.from({ length: 200 }, async (_, i) => {
          const s = performance.now();
          const r = await post(`${url}/predict`, batch(i));
          latencies.push(performance.now() - s);
          return { r, i };
        }),
      );
      wall += performance.now() - t0;
      for (const { r, i } of results) {
        expect(r.status).toBe(200);
        expect(r.json.n).toBe(10);
        const j = i % adultRows.length; // row 0 of batch(i)
        expect(Math.abs(r.json.predictions[0].income.probability - expected.income![j]!)).toBeLessThan(1e-5);
      }
      rss.push(rssMiB(child.pid!));
    }
    const tensors1 = (await (await fetch(`${url}/health`)).json()).tensors;
    const single: number[] = []; // one request at a time: the latency without queueing
    for (let i = 0; i < 50; i++) {
      const s = performance.now();
      expect((await post(`${url}/predict`, batch(i))).status).toBe(200);
      single.push(performance.now() - s);
    }
    single.sort((a, b) => a - b);
    latencies.sort((a, b) => a - b);
    const p50 = percentile(latencies, 50);
    const p95 = percentile(latencies, 95);
    const throughput = 600 / (wall / 1000);
    console.log(
      `[mtl serve load] 3 × 200 concurrent POST /predict (10 adult rows each): p50 ${p50.toFixed(1)} ms, p95 ${p95.toFixed(1)} ms, ` +
        `max ${latencies.at(-1)!.toFixed(1)} ms; throughput ${throughput.toFixed(0)} req/s = ${(throughput * 10).toFixed(0)} rows/s; ` +
        `one at a time: p50 ${percentile(single, 50).toFixed(1)} ms, p95 ${percentile(single, 95).toFixed(1)} ms; ` +
        `RSS ${rss0.toFixed(0)} MiB before → ${rss.map((v) => v.toFixed(0)).join(' / ')} MiB after each burst; tfjs tensors ${tensors0} → ${tensors1}`,
    );
    expect(tensors1).toBe(tensors0); // every request's tensors are freed
    expect(rss[2]! - rss0).toBeLessThan(150); // bounded: within 150 MiB of the warmed-up server
    expect(rss[2]! - rss[0]!).toBeLessThan(40); // and not growing from burst to burst
    expect(p95).toBeLessThan(10_000);
  });

  it('stops cleanly on SIGTERM (exit code 0)', async () => {
    const code = await new Promise<number | null>((resolve) => {
      child.on('exit', (c) => resolve(c));
      child.kill('SIGTERM');
    });
    expect(code).toBe(0);
  });
});
