/** Helpers of the server commands (serve, report, train --dashboard). */
import { UsageError } from '../../config/errors.js';

export function parsePort(value: string, option = '--port'): number {
  const port = Number(value);
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`${option}: expected a port number 0-65535, got '${value}'`);
  return port;
}

/** Resolves at the first SIGINT or SIGTERM (then removes its handlers). */
export function untilSignal(): Promise<NodeJS.Signals> {
  return new Promise((resolve) => {
    const on = (s: NodeJS.Signals) => {
      process.off('SIGINT', on);
      process.off('SIGTERM', on);
      resolve(s);
    };
    process.on('SIGINT', on);
    process.on('SIGTERM', on);
  });
}
