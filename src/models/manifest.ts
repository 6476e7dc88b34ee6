/**
 * The mtljs manifest saved beside a tfjs model: what a reader needs to turn its raw outputs into task
 * answers (task kinds, label names, target scaling) and raw records into inputs (preprocessing).
 * A browser needs only model.json, weights.bin and this file.
 */
import type { PreprocessingState, TaskSpec } from '../data/types.js';
import { createTask } from '../tasks/registry.js';
import type { Task } from '../tasks/types.js';

export interface TaskManifest extends TaskSpec {
  primary: string;
  higherIsBetter: boolean;
  state: Record<string, unknown>;
}

export interface Manifest {
  format: 'mtljs-manifest';
  version: 1;
  architecture: string;
  inputShape: number[];
  /** Output i of model.json is the logits of tasks[i]. */
  tasks: TaskManifest[];
  preprocessing?: PreprocessingState;
  dataset?: { name: string; options?: Record<string, unknown> };
  createdAt: string;
}

export function buildManifest(args: {
  architecture: string;
  inputShape: number[];
  tasks: Task[];
  preprocessing?: PreprocessingState;
  dataset?: Manifest['dataset'];
}): Manifest {
  return {
    format: 'mtljs-manifest',
    version: 1,
    architecture: args.architecture,
    inputShape: args.inputShape,
    tasks: args.tasks.map((t) => ({ ...t.spec, primary: t.primary, higherIsBetter: t.higherIsBetter, state: t.state() })),
    preprocessing: args.preprocessing,
    dataset: args.dataset,
    createdAt: new Date().toISOString(),
  };
}

export function tasksFromManifest(manifest: Manifest): Task[] {
  return manifest.tasks.map((t) => {
    const { primary: _p, higherIsBetter: _h, state, ...spec } = t;
    return createTask(spec, { state });
  });
}

export function parseManifest(json: unknown, source: string): Manifest {
  const m = json as Partial<Manifest>;
  if (!m || m.format !== 'mtljs-manifest' || !Array.isArray(m.tasks) || !Array.isArray(m.inputShape)) {
    throw new Error(`${source}: not an mtljs manifest`);
  }
  return m as Manifest;
}
