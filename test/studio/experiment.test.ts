/**
 * The studio's experiment loop (src/studio/experiment.ts), in Node on the wasm backend — the code the
 * page's worker runs, without the page: Stop and Resume.
 *
 * - A Stop read at a step (the cross-origin isolated page's shared flag) undoes the epoch's steps: the
 *   stopped model is the model of a run planned for its completed epochs (same bytes), and the undone
 *   steps are counted by hand (14 steps per epoch, stopped before step 5 of epoch 2: 4 undone).
 * - Stopped twice (inside the multi-task model's epoch, then inside a baseline's) and resumed twice, a
 *   run ends with the same weights (bytes), the same test table and the same epoch records (losses,
 *   validation metrics, task weights λ) as the run that was never stopped — with a weighting whose
 *   parameters the optimizer trains (uw) and early stopping (best weights kept), and with an epoch-state
 *   weighting plus an aggregator whose state is mutated in place (dwa + gradvac).
 * - A Stop read between epochs (a page without the flag) keeps the models where they are, and resumes
 *   exactly too.
 * - Nothing leaks: a stopped run, once discarded, and a resumed run, once ended, leave as many tensors
 *   as before it — but for one T-float tensor per Stop within an epoch, the running loss sum that
 *   Trainer.fit does not free when a callback throws; an ended or discarded run refuses to resume.
 */
import { beforeAll, describe, expect, it } from 'vitest';
import { initBackend } from '../../src/engine/backend.js';
import { tf } from '../../src/engine/tf.js';
import { checkStudioConfig, type StudioConfig } from '../../src/studio/config.js';
import { StudioExperiment, type RunHooks, type RunResult } from '../../src/studio/experiment.js';
import type { FromWorker } from '../../src/studio/protocol.js';
import { parseTable, type LoadedTable } from '../../src/studio/table.js';
import { measurementsCsv } from '../helpers/measurements-csv.js';

const csv = (n = 300): string => measurementsCsv(n, 11); // as the browser test's table

let table: LoadedTable;

function config(train: Record<string, unknown>): StudioConfig {
  return {
    name: 'measurements', seed: 3,
    targets: [{ column: 'y', kind: 'regression' }, { column: 'big', kind: 'binary', positive: 'yes' }],
    features: ['x1', 'x2', 'x3', 'colour'],
    model: { architecture: 'hps', hidden: [16], head: [] },
    // 300 rows: 240 train → 24 validation, 216 fitted: 14 steps of 16 per epoch.
    train: { epochs: 3, batchSize: 16, lr: 0.01, patience: 0, validationSplit: 0.1, testFraction: 0.2, ...train },
    baselines: true,
  };
}

/**
 * Hooks whose stop flag turns on at the `stopAt`-th time it is read (it is read before every step when
 * `withinEpoch`, and after every epoch); `messages` collects what the worker would post.
 */
function controlled(withinEpoch: boolean) {
  const messages: FromWorker[] = [];
  const control = { reads: 0, stopAt: Infinity };
  const hooks: RunHooks = {
    post: (m) => messages.push(m),
    stopRequested: () => ++control.reads >= control.stopAt,
    withinEpoch,
    yieldNow: () => Promise.resolve(),
  };
  /** Resumes with the flag turning on at the `stopAt`-th read from now (Infinity: never). */
  const resume = (e: StudioExperiment, stopAt = Infinity) => {
    control.reads = 0;
    control.stopAt = stopAt;
    return e.resume();
  };
  return { hooks, messages, control, resume };
}

/** The epoch records each model posted, without the timings (and the live-tensor count) that differ between runs. */
function records(messages: FromWorker[]): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const m of messages) {
    if (m.type !== 'epoch') continue;
    const { seconds: _s, trainSeconds: _t, ...rest } = m.record as Record<string, unknown>;
    (out[m.model] ??= []).push(rest);
  }
  return out;
}

const bytes = (r: RunResult) => Buffer.from(r.files['weights.bin']);
/** The model folder's manifest, without its time of writing. */
function manifest(r: RunResult): unknown {
  const { createdAt: _at, ...rest } = JSON.parse(r.files['manifest.json']) as Record<string, unknown>;
  return rest;
}

async function uninterrupted(c: StudioConfig): Promise<{ result: RunResult; messages: FromWorker[] }> {
  const { hooks, messages } = controlled(true);
  const e = StudioExperiment.create(table, checkStudioConfig(c), hooks);
  try {
    return { result: await e.train(), messages };
  } finally {
    e.dispose();
  }
}

beforeAll(async () => {
  await initBackend('wasm');
  table = parseTable('measurements.csv', csv(), 1_000_000);
});

describe('studio: Stop within an epoch rolls back to its start, Resume ends as the run never stopped', () => {
  const CASES: [string, Record<string, unknown>][] = [
    ['uw weighting, early stopping', { weighting: 'uw', patience: 2 }],
    ['dwa weighting + gradvac aggregator', { weighting: 'dwa', aggregator: 'gradvac' }],
  ];
  for (const [name, train] of CASES) {
    it(name, async () => {
      const c = config(train);
      const full = await uninterrupted(c);
      expect(full.result.stopped).toBe(false);
      expect(full.result.resumable).toBeNull();
      const oneEpoch = await uninterrupted({ ...c, train: { ...c.train, epochs: 1 } });

      const { hooks, messages, control, resume } = controlled(true);
      const e = StudioExperiment.create(table, checkStudioConfig(c), hooks);
      try {
        const started = messages.find((m) => m.type === 'started');
        expect(started?.type === 'started' && started.rows.train).toBe(216);
        // Each model's epoch reads the flag 14 times (before each step) and once after it: the 50th read
        // is before step 5 of the multi-task model's epoch 2 (3 × 15 + 5), when 4 of its steps are taken.
        control.stopAt = 3 * 15 + 5;
        const first = await e.train();
        expect(first.stopped).toBe(true);
        expect(first.resumable).toEqual({ epochs: { mtl: 1, 'stl:y': 1, 'stl:big': 1 }, of: 3, undone: { model: 'mtl', epoch: 2, steps: 4 } });
        // The stopped models are those after their one whole epoch: the files and test table of a 1-epoch run.
        expect(bytes(first).equals(bytes(oneEpoch.result))).toBe(true);
        expect(first.report.tasks).toEqual(oneEpoch.result.report.tasks);
        expect(messages.filter((m) => m.type === 'stopping')).toHaveLength(1);

        // Resumed, and stopped again inside the baseline stl:big's epoch 3: epoch 2 of the three models and
        // epoch 3 of mtl and stl:y take 5 × 15 reads, then read 9 is before stl:big's step 9 (8 taken).
        const second = await resume(e, 5 * 15 + 9);
        expect(second.resumable).toEqual({ epochs: { mtl: 3, 'stl:y': 3, 'stl:big': 2 }, of: 3, undone: { model: 'stl:big', epoch: 3, steps: 8 } });
        expect(messages.filter((m) => m.type === 'resumed')).toEqual([{ type: 'resumed', epochs: { mtl: 1, 'stl:y': 1, 'stl:big': 1 } }]);

        const last = await resume(e);
        expect(last.stopped).toBe(false);
        expect(last.resumable).toBeNull();
        expect(e.resumable).toBe(false);
        // The run that was stopped twice equals the one never stopped: weights, test table, Δm%, every epoch record.
        expect(bytes(last).equals(bytes(full.result))).toBe(true);
        expect(manifest(last)).toEqual(manifest(full.result));
        expect(last.report.tasks).toEqual(full.result.report.tasks);
        expect(last.report.deltaM).toBe(full.result.report.deltaM);
        expect(records(messages)).toEqual(records(full.messages));
        expect(records(messages)['stl:big']).toHaveLength(3);
        await expect(e.resume()).rejects.toThrow('this run has ended');
      } finally {
        e.dispose();
      }
    });
  }

  it('a Stop read between epochs (no shared flag) keeps the models as they are, and resumes exactly', async () => {
    const c = config({ weighting: 'uw' });
    const full = await uninterrupted(c);
    const { hooks, messages, control, resume } = controlled(false);
    const e = StudioExperiment.create(table, checkStudioConfig(c), hooks);
    try {
      control.stopAt = 2; // read after each model's epoch: after stl:y's first
      const first = await e.train();
      expect(first.resumable).toEqual({ epochs: { mtl: 1, 'stl:y': 1, 'stl:big': 0 }, of: 3 });
      expect(first.report.tasks['big']!.stl).toBeUndefined(); // a baseline without an epoch is not tested
      const last = await resume(e);
      expect(bytes(last).equals(bytes(full.result))).toBe(true);
      expect(last.report.tasks).toEqual(full.result.report.tasks);
      expect(records(messages)).toEqual(records(full.messages));
    } finally {
      e.dispose();
    }
  });

  it('leaks no tensors: a stopped run discarded, a resumed run ended; a discarded run refuses to resume', async () => {
    const c = config({ weighting: 'uw', patience: 2 });
    await uninterrupted(c); // warm-up: kernels and caches that stay
    const before = tf.memory().numTensors;
    const { hooks, control, resume } = controlled(true);

    const discarded = StudioExperiment.create(table, checkStudioConfig(c), hooks);
    control.stopAt = 20;
    expect((await discarded.train()).resumable?.undone).toBeDefined();
    expect(tf.memory().numTensors).toBeGreaterThan(before); // the stopped run is kept
    discarded.dispose();
    expect(tf.memory().numTensors).toBe(before);
    await expect(discarded.resume()).rejects.toThrow('this run was discarded');

    control.reads = 0;
    const resumed = StudioExperiment.create(table, checkStudioConfig(c), hooks);
    expect((await resumed.train()).resumable?.undone).toBeDefined();
    expect((await resume(resumed)).resumable).toBeNull();
    resumed.dispose();
    expect(tf.memory().numTensors).toBe(before);
  });
});
