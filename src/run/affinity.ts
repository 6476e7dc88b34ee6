/**
 * `mtl affinity`: train the config's multi-task model while measuring inter-task affinity (TAG), print
 * the T×T matrix and the task grouping that maximises total affinity, and optionally train one model
 * per suggested group to compare against all-in-one training and the single-task baselines — here, or
 * (with a `runUnits`, `mtl affinity --train-groups --queue`) as jobs for `mtl worker`s (../sweep/).
 */
import path from 'node:path';
import { loadConfigDataset } from '../config/dataset.js';
import type { ExperimentConfig } from '../config/schema.js';
import { deltaM } from '../eval/delta.js';
import { bestGrouping, type Grouping } from '../relations/grouping.js';
import { writeFileAtomic } from '../train/node/atomic.js';
import { trainUnit, unitLabel, unitRunDir, type CompareUnit, type UnitResult } from './compare.js';
import { selectTasks, trainModel, type ExperimentOptions } from './experiment.js';

export interface AffinityResult {
  tasks: string[];
  affinity: number[][];
  grouping: Grouping & { names: string[][] };
  /** With trainGroups: per-task test primary metric for all-in-one, grouped and STL training. */
  comparison?: { task: string; primary: string; all: number; grouped: number; stl: number }[];
  deltaM?: { all: number; grouped: number };
}

/**
 * The trainings of `--train-groups`, in a fixed order: all tasks in one model, then each suggested group,
 * then each task alone — each at the config's seed, trained as the config says (./compare.ts trainUnit).
 */
export function affinityUnits(taskNames: string[], groups: string[][], seed: number): { unit: CompareUnit; seed: number }[] {
  return [
    { unit: { kind: 'group', tasks: taskNames }, seed },
    ...groups.map((tasks) => ({ unit: { kind: 'group', tasks } as CompareUnit, seed })),
    ...taskNames.map((task) => ({ unit: { kind: 'stl', task } as CompareUnit, seed })),
  ];
}

/**
 * Trains `units` elsewhere (a queue: ../sweep/) instead of here; results in the order of `units`. Used for
 * the trainings of `--train-groups`: the affinity measurement itself always runs here.
 */
export type UnitRunner = (args: { config: ExperimentConfig; taskNames: string[]; units: { unit: CompareUnit; seed: number }[] }) => Promise<UnitResult[]>;

export async function runAffinity(config: ExperimentConfig, options: ExperimentOptions & { every: number; maxGroups?: number; trainGroups?: boolean; runUnits?: UnitRunner }): Promise<AffinityResult> {
  const split = await loadConfigDataset(config, options.baseDir, options.dataDir, { log: options.log });
  const taskNames = selectTasks(config, split);
  const all = await trainModel({
    config, split, taskNames, runDir: path.join(options.outDir, 'all'), label: 'all-tasks', options,
    trainerOverrides: { affinity: { every: options.every } },
  });
  const affinity = all.trainer.affinity();
  const allTasks = all.tasks.map((t) => ({ name: t.name, primary: t.primary, higherIsBetter: t.higherIsBetter }));
  const allTest = all.test;
  all.trainer.dispose(); all.trainer.model.dispose();
  if (!affinity) throw new Error('no affinity was measured (too few steps for --every?)');
  const g = bestGrouping(affinity, options.maxGroups);
  const result: AffinityResult = { tasks: taskNames, affinity, grouping: { ...g, names: g.groups.map((grp) => grp.map((i) => taskNames[i])) } };

  if (options.trainGroups) {
    let allMetrics = allTest;
    let results: UnitResult[];
    if (options.runUnits) {
      // Queued: all-in-one is a job too (the same training as the measuring run's: the lookahead leaves the model unchanged).
      const units = affinityUnits(taskNames, result.grouping.names, config.seed);
      results = await options.runUnits({ config, taskNames, units });
      allMetrics = results[0]!.metrics;
      results = results.slice(1);
    } else {
      results = [];
      // Here: the measuring run is the all-in-one model.
      for (const { unit, seed } of affinityUnits(taskNames, result.grouping.names, config.seed).slice(1)) {
        results.push(await trainUnit({ config, split, taskNames, unit, seed, runDir: unitRunDir(options.outDir, unit, seed, 1), label: unitLabel(unit, seed, 1), options }));
      }
    }
    const grouped: Record<string, Record<string, number>> = {};
    const stl: Record<string, Record<string, number>> = {};
    for (const r of results) Object.assign(r.unit.kind === 'stl' ? stl : grouped, r.metrics);
    result.comparison = allTasks.map((t) => ({ task: t.name, primary: t.primary, all: allMetrics[t.name][t.primary], grouped: grouped[t.name][t.primary], stl: stl[t.name][t.primary] }));
    const dm = (key: 'all' | 'grouped') => deltaM(allTasks.map((t, i) => ({ mtl: result.comparison![i][key], stl: result.comparison![i].stl, higherIsBetter: t.higherIsBetter })));
    result.deltaM = { all: dm('all'), grouped: dm('grouped') };
  }
  writeFileAtomic(path.join(options.outDir, 'affinity.json'), JSON.stringify(result, null, 2));
  return result;
}

export function formatAffinity(r: AffinityResult): string {
  const w = Math.max(...r.tasks.map((t) => t.length), 6);
  const lines = ['inter-task affinity Z[i→j] (row i: the task stepped on; column j: the task whose loss changes; ×1000)', ''];
  lines.push(' '.repeat(w) + '  ' + r.tasks.map((t) => t.slice(0, 8).padStart(8)).join(' '));
  r.affinity.forEach((row, i) => lines.push(r.tasks[i].padEnd(w) + '  ' + row.map((v) => (v * 1000).toFixed(2).padStart(8)).join(' ')));
  lines.push('', `suggested groups (total affinity ${(r.grouping.score * 1000).toFixed(2)}e-3): ${r.grouping.names.map((g) => `{${g.join(', ')}}`).join(' ')}`);
  if (r.comparison) {
    lines.push('', '| task | primary | all tasks | grouped | STL |', '|---|---|---|---|---|');
    for (const c of r.comparison) lines.push(`| ${c.task} | ${c.primary} | ${c.all.toFixed(4)} | ${c.grouped.toFixed(4)} | ${c.stl.toFixed(4)} |`);
    lines.push('', `Δm% vs STL: all tasks ${r.deltaM!.all.toFixed(2)}%, grouped ${r.deltaM!.grouped.toFixed(2)}%`);
  }
  return lines.join('\n');
}
