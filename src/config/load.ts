/**
 * Reads a config file (JSON, or YAML for .yaml/.yml) and validates it. Every problem becomes one
 * UsageError naming the file and the setting, e.g.
 *   examples/adult.yaml: train.epochs: Too small: expected number to be >0
 */
import fs from 'node:fs';
import path from 'node:path';
import { isUtf8 } from 'node:buffer';
import YAML from 'yaml';
import { configSchema, type ExperimentConfig } from './schema.js';
import { UsageError } from './errors.js';

export function parseConfig(raw: unknown, source: string): ExperimentConfig {
  const result = configSchema.safeParse(raw);
  if (!result.success) {
    const lines = result.error.issues.map((i) => `  ${i.path.length ? i.path.join('.') : '(top level)'}: ${i.message}`);
    throw new UsageError(`${source}: invalid config\n${lines.join('\n')}`);
  }
  return result.data;
}

export function readConfigFile(file: string): { config: ExperimentConfig; baseDir: string } {
  if (!fs.existsSync(file)) throw new UsageError(`config file not found: ${file}`);
  if (fs.statSync(file).isDirectory()) throw new UsageError(`${file} is a folder, not a config file (.yaml, .yml or .json)`);
  const bytes = fs.readFileSync(file);
  // A binary file (a NUL byte, or not UTF-8) is not a config: say so instead of echoing its bytes.
  if (bytes.includes(0) || !isUtf8(bytes)) throw new UsageError(`${file}: not a text file (a config is YAML or JSON)`);
  const text = bytes.toString('utf8');
  let raw: unknown;
  try {
    raw = /\.ya?ml$/i.test(file) ? YAML.parse(text) : JSON.parse(text);
  } catch (e) {
    throw new UsageError(`${file}: cannot parse (${(e as Error).message.split('\n')[0]})`);
  }
  return { config: parseConfig(raw, file), baseDir: path.dirname(path.resolve(file)) };
}
