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

/** A listen() failure as the user's mistake when the port is taken or the address is not local. */
export function listenError(e: unknown, port: number, host: string): Error {
  const code = (e as { code?: string }).code;
  const message = (e as Error).message ?? String(e);
  if (code === 'EADDRINUSE' || message.includes('EADDRINUSE')) return new UsageError(`port ${port} on ${host} is in use: choose another --port (0 = any free port)`);
  if (code === 'EADDRNOTAVAIL' || code === 'ENOTFOUND' || message.includes('EADDRNOTAVAIL') || message.includes('ENOTFOUND')) return new UsageError(`cannot listen on ${host}: not an address of this machine`);
  return e instanceof Error ? e : new Error(message);
}
