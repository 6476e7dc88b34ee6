/**
 * Where a sweep's queue lives: a Redis URL (`redis://[user:password@]HOST:PORT[/db]`, `rediss://` for
 * TLS), checked before anything connects, and a quick reachability check that fails with one line
 * naming the URL instead of ioredis's endless reconnect loop. Queue name and key prefix shared by the
 * sweep (./sweep.ts), the worker (./worker.ts) and the sandboxed processor (./processor.ts).
 */
import { Redis, type RedisOptions } from 'ioredis';
import { UsageError } from '../config/errors.js';

/** The queue every `mtl sweep` and `mtl worker` use unless told otherwise (`--queue-name`). */
export const DEFAULT_QUEUE_NAME = 'mtl-sweep';
/** BullMQ's key prefix for mtljs queues (BullMQ's own default is `bull`). */
export const KEY_PREFIX = 'mtl';

export interface QueueTarget {
  /** The URL as the user gave it (for messages; the password is masked). */
  url: string;
  redis: RedisOptions;
}

/** The URL with its password replaced by `***`. */
export function maskUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString().replace(/\/$/, '');
  } catch {
    return url;
  }
}

/** Parses `--queue`: redis://HOST:PORT (user, password, /db optional), rediss:// for TLS; a UsageError otherwise. */
export function parseQueueUrl(url: string, flag = '--queue'): QueueTarget {
  const bad = (why: string) => new UsageError(`${flag}: ${why}; expected redis://HOST:PORT (e.g. redis://127.0.0.1:6379), got '${url.length > 80 ? `${url.slice(0, 77)}...` : url}'`);
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    throw bad('not a URL');
  }
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw bad(`the scheme must be redis:// or rediss://, not ${u.protocol}//`);
  if (!u.hostname) throw bad('no host');
  const port = u.port === '' ? 6379 : Number(u.port);
  if (!Number.isInteger(port) || port < 1 || port > 65535) throw bad('bad port');
  const dbText = u.pathname.replace(/^\//, '');
  if (dbText !== '' && !/^\d+$/.test(dbText)) throw bad(`the path must be a database number, not /${dbText}`);
  const redis: RedisOptions = {
    host: u.hostname.replace(/^\[|\]$/g, ''),
    port,
    db: dbText === '' ? 0 : Number(dbText),
  };
  if (u.username) redis.username = decodeURIComponent(u.username);
  if (u.password) redis.password = decodeURIComponent(u.password);
  if (u.protocol === 'rediss:') redis.tls = {};
  return { url: maskUrl(url), redis };
}

/** A plain client (not BullMQ's) that gives up instead of reconnecting forever: for checks and one-off commands. */
export function oneShotClient(target: QueueTarget, connectTimeoutMs = 5000): Redis {
  return new Redis({
    ...target.redis,
    lazyConnect: true,
    connectTimeout: connectTimeoutMs,
    maxRetriesPerRequest: 0,
    enableOfflineQueue: false,
    retryStrategy: () => null,
  });
}

/** Connects and PINGs; an Error naming the URL (exit 1: the environment, not the input) when Redis is not there. */
export async function checkRedis(target: QueueTarget, connectTimeoutMs = 5000): Promise<void> {
  const client = oneShotClient(target, connectTimeoutMs);
  let lastError = '';
  client.on('error', (e: Error) => (lastError = e.message));
  try {
    await client.connect();
    const pong = await client.ping();
    if (pong !== 'PONG') throw new Error(`unexpected answer to PING: ${pong}`);
  } catch (e) {
    // ioredis rejects with "Connection is closed." and tells the cause (ECONNREFUSED, ETIMEDOUT, …) by an 'error' event.
    const own = (e as Error).message;
    const why = (lastError && (!own || /connection is closed/i.test(own)) ? lastError : own) || 'no answer';
    throw new Error(`cannot reach Redis at ${target.url}: ${why.split('\n')[0]} (is redis-server running there, and reachable from this machine?)`);
  } finally {
    client.disconnect();
  }
}
