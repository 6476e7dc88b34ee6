/**
 * How the CLI ends on an error: mistakes in the user's input (config, data file, arguments) print one
 * message and exit 2 with no stack trace; anything else is a bug or an environment failure and exits 1
 * (with the stack when MTL_DEBUG is set).
 */
import { CommanderError } from 'commander';
import { UsageError } from '../config/errors.js';
import { DataError } from '../data/errors.js';

export function exitCodeFor(err: unknown): number {
  if (err instanceof UsageError || err instanceof DataError) return 2;
  if (err instanceof CommanderError) return err.exitCode === 0 ? 0 : 2;
  return 1;
}

export function reportError(err: unknown): number {
  const code = exitCodeFor(err);
  if (err instanceof CommanderError) return code; // commander already printed its message
  const message = err instanceof Error ? err.message : String(err);
  process.stderr.write(`mtl: error: ${message}\n`);
  if (code === 1 && process.env.MTL_DEBUG && err instanceof Error && err.stack) process.stderr.write(err.stack + '\n');
  return code;
}
