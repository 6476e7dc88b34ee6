/**
 * The run folder's safety rules: nothing a user owns is deleted or overwritten. Called only after the
 * config and the data have been validated, so a bad config never touches the folder.
 *   - a new run needs a folder that does not exist, is empty, or is an unfinished mtljs run with no
 *     checkpoint (the remains of a run that failed before its first epoch);
 *   - `--overwrite` replaces only a folder that is an mtljs run (run.json, or a run of an earlier
 *     version: config.json + checkpoint/ or report.json), never any other folder;
 *   - `--resume` continues only with the stored config: a different one is refused with the keys that
 *     differ, unless `allowChanges`, which records the changes in changes.jsonl and stores the new config.
 */
import fs from 'node:fs';
import path from 'node:path';
import { UsageError } from '../config/errors.js';
import type { ExperimentConfig } from '../config/schema.js';
import { writeFileAtomic } from '../train/node/atomic.js';

export const RUN_MARKER = 'run.json';

export interface RunFolderOptions {
  resume?: boolean;
  overwrite?: boolean;
  /** With resume: accept a config that differs from the stored one (recorded in changes.jsonl). */
  allowChanges?: boolean;
}

function readJson(file: string): unknown {
  try {
    return JSON.parse(fs.readFileSync(file, 'utf8'));
  } catch {
    return undefined;
  }
}

/** Whether `dir` is a run folder that mtljs wrote. */
export function isRunFolder(dir: string): boolean {
  const marker = readJson(path.join(dir, RUN_MARKER)) as { format?: string } | undefined;
  if (marker?.format === 'mtljs-run') return true;
  // Runs written before run.json existed: our config.json beside a checkpoint or a report.
  const config = readJson(path.join(dir, 'config.json')) as Record<string, unknown> | undefined;
  const ours = !!config && typeof config === 'object' && 'name' in config && 'model' in config && 'train' in config && 'data' in config;
  return ours && (fs.existsSync(path.join(dir, 'checkpoint')) || fs.existsSync(path.join(dir, 'report.json')));
}

function isEmptyDir(dir: string): boolean {
  return fs.readdirSync(dir).length === 0;
}

/** The config as stored in config.json (baseDir aside: where the config file lives is not a setting). */
function comparable(config: unknown): unknown {
  if (!config || typeof config !== 'object') return config;
  const { baseDir: _ignored, ...rest } = config as Record<string, unknown>;
  return JSON.parse(JSON.stringify(rest));
}

/** The settings that differ between two configs, as `path: old → new` lines. */
export function configDifferences(stored: unknown, next: unknown, prefix = ''): string[] {
  const show = (v: unknown) => (v === undefined ? '(unset)' : JSON.stringify(v));
  const isObj = (v: unknown): v is Record<string, unknown> => !!v && typeof v === 'object' && !Array.isArray(v);
  if (isObj(stored) && isObj(next)) {
    const keys = [...new Set([...Object.keys(stored), ...Object.keys(next)])].sort();
    return keys.flatMap((k) => configDifferences(stored[k], next[k], prefix ? `${prefix}.${k}` : k));
  }
  return JSON.stringify(stored) === JSON.stringify(next) ? [] : [`${prefix || '(config)'}: ${show(stored)} → ${show(next)}`];
}

function writeRunFiles(dir: string, config: ExperimentConfig, baseDir: string): void {
  fs.mkdirSync(dir, { recursive: true });
  if (!fs.existsSync(path.join(dir, RUN_MARKER))) {
    writeFileAtomic(path.join(dir, RUN_MARKER), JSON.stringify({ format: 'mtljs-run', createdAt: new Date().toISOString() }, null, 2));
  }
  writeFileAtomic(path.join(dir, 'config.json'), JSON.stringify({ ...config, baseDir }, null, 2));
}

/**
 * Makes `dir` ready for the run by the rules above, or throws a UsageError and leaves it untouched.
 * Returns the changes accepted on resume (empty otherwise).
 */
export function prepareRunFolder(dir: string, config: ExperimentConfig, baseDir: string, options: RunFolderOptions): string[] {
  if (options.overwrite && options.resume) throw new UsageError('--overwrite and --resume exclude each other');
  if (options.allowChanges && !options.resume) throw new UsageError('--allow-changes goes with --resume');
  const exists = fs.existsSync(dir);
  if (exists && !fs.statSync(dir).isDirectory()) throw new UsageError(`--out ${dir} is a file, not a folder`);

  if (options.resume) {
    if (!exists || !isRunFolder(dir)) throw new UsageError(`--resume: ${dir} holds no mtljs run to continue`);
    const stored = readJson(path.join(dir, 'config.json'));
    if (stored === undefined) throw new UsageError(`--resume: ${path.join(dir, 'config.json')} is missing or not valid JSON`);
    const changes = configDifferences(comparable(stored), comparable(config));
    if (changes.length === 0) return [];
    if (!options.allowChanges) {
      throw new UsageError(`--resume: the config differs from the run's stored config (${path.join(dir, 'config.json')}):\n  ${changes.join('\n  ')}\nresume with the same config, or pass --allow-changes to continue with the new settings (recorded in changes.jsonl)`);
    }
    fs.appendFileSync(path.join(dir, 'changes.jsonl'), JSON.stringify({ at: new Date().toISOString(), changes }) + '\n');
    writeRunFiles(dir, config, baseDir);
    return changes;
  }

  if (exists && !isEmptyDir(dir)) {
    const ours = isRunFolder(dir) || fs.existsSync(path.join(dir, RUN_MARKER));
    if (!ours) {
      throw new UsageError(`--out ${dir} exists and is not an mtljs run folder: nothing was changed; choose a new or empty folder${options.overwrite ? ' (--overwrite only replaces mtljs runs)' : ''}`);
    }
    const started = fs.existsSync(path.join(dir, 'checkpoint')) || fs.existsSync(path.join(dir, 'report.json'));
    if (started && !options.overwrite) throw new UsageError(`${dir} already holds a run: pass --resume to continue it, --overwrite to replace it, or choose another --out`);
    fs.rmSync(dir, { recursive: true, force: true });
  }
  writeRunFiles(dir, config, baseDir);
  return [];
}
