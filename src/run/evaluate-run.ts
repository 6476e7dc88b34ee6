/**
 * Re-evaluates a finished run folder: the saved multi-task model and, where present, the saved
 * single-task baselines, on the test split of the dataset named in the run's config.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../config/errors.js';
import { loadConfigDataset } from '../config/dataset.js';
import { parseConfig } from '../config/load.js';
import { tf } from '../engine/tf.js';
import { withDeltas, type Report } from '../eval/report.js';
import { loadSavedModel } from '../models/saved.js';
import { evaluateDataset } from '../train/evaluate.js';

export async function evaluateRun(runDir: string, options: { dataDir?: string } = {}): Promise<Report> {
  const configFile = path.join(runDir, 'config.json');
  if (!fs.existsSync(configFile)) throw new UsageError(`${runDir} is not a run folder (no config.json)`);
  if (!fs.existsSync(path.join(runDir, 'model', 'model.json'))) {
    throw new UsageError(`${runDir} has no final model yet (model/): finish it with mtl train … --out ${runDir} --resume`);
  }
  const { baseDir, ...raw } = JSON.parse(fs.readFileSync(configFile, 'utf8')) as { baseDir: string };
  const config = parseConfig(raw, configFile);
  const split = await loadConfigDataset(config, baseDir, options.dataDir, { log: () => {} }); // the inference summary was shown at training

  const t0 = performance.now();
  const mtl = await loadSavedModel(path.join(runDir, 'model'));
  const mtlMetrics = evaluateDataset(mtl.model, mtl.tasks, split.test).metrics;
  mtl.model.dispose();
  const mtlSeconds = (performance.now() - t0) / 1000;

  const stl: Record<string, Record<string, number>> = {};
  for (const t of mtl.tasks) {
    const dir = path.join(runDir, 'stl', t.name, 'model');
    if (!fs.existsSync(path.join(dir, 'model.json'))) continue;
    const saved = await loadSavedModel(dir);
    stl[t.name] = evaluateDataset(saved.model, saved.tasks, split.test).metrics[t.name];
    saved.model.dispose();
  }
  const allStl = mtl.tasks.every((t) => stl[t.name]);
  return withDeltas({
    name: config.name,
    backend: tf.getBackend(),
    architecture: mtl.manifest.architecture,
    seed: config.seed,
    tasks: Object.fromEntries(mtl.tasks.map((t) => [t.name, {
      kind: t.kind, primary: t.primary, higherIsBetter: t.higherIsBetter, mtl: mtlMetrics[t.name], stl: allStl ? stl[t.name] : undefined,
    }])),
    seconds: { mtl: mtlSeconds, what: 'evaluation' },
    createdAt: new Date().toISOString(),
  });
}
