import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parseConfig } from '../../src/config/load.js';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { formatAddTask, runAddTask } from '../../src/run/add-task.js';

beforeAll(async () => { await initBackend('wasm'); });

describe('mtl add-task (end to end, small)', () => {
  it('trains the base tasks, adds the new ones with every method, reports before/after; no tensor leak', async () => {
    const config = parseConfig({
      name: 'emotions-add', seed: 0, data: { dataset: 'mulan-emotions' },
      model: { architecture: 'hps', encoder: { type: 'mlp', hidden: [16] } },
      train: { epochs: 15, batchSize: 64, lr: 0.005, earlyStopping: false },
    }, 'test');
    const out = mkdtempSync(join(tmpdir(), 'mtl-add-'));
    const tensorsBefore = tf.memory().numTensors;
    const r = await runAddTask(config, {
      base: ['amazed_suprised', 'happy_pleased'], add: ['sad_lonely'], methods: ['none', 'ewc', 'lwf', 'frozen'],
      baseDir: process.cwd(), outDir: out, fisherSamples: 50,
    });
    expect(tf.memory().numTensors).toBe(tensorsBefore);
    expect(r.rows.map((x) => x.method)).toEqual(['none', 'ewc', 'lwf', 'frozen']);
    for (const row of r.rows) {
      expect(row.added['sad_lonely']!['auc']).toBeGreaterThan(0.5);
      for (const t of r.base) expect(Number.isFinite(row.base[t]!['auc'])).toBe(true);
    }
    // The frozen encoder cannot forget: the old heads' outputs are exactly those of stage 1.
    const frozen = r.rows.find((x) => x.method === 'frozen')!;
    for (const t of r.base) expect(frozen.base[t]!['auc']).toBeCloseTo(r.before[t]!['auc']!, 10);
    expect(r.fisher!.samples).toBe(50);
    const table = formatAddTask(r);
    expect(table).toContain('| ewc |');
    expect(JSON.parse(readFileSync(join(out, 'add-task.json'), 'utf8')).rows.length).toBe(4);
    rmSync(out, { recursive: true, force: true });
  });
});
