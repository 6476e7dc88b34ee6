/**
 * The page's side of the studio worker: starts it, forwards its messages, and survives it. An exception
 * that escapes the worker (its `error` event) or a worker that cannot start is reported once through
 * `crashed`, and a fresh worker is started, so the page stays usable (the page then reloads its table
 * into the new worker).
 *
 * Stop: when the page is cross-origin isolated (`mtl studio` sends COOP/COEP), a SharedArrayBuffer flag
 * is shared with the worker, which reads it before every step; otherwise the `stop` message is read
 * between epochs, and a worker that does not answer within `hardStopMs` is ended and replaced.
 */
import type { FromWorker, ToWorker } from '../protocol.js';

export interface WorkerHandlers {
  message(m: FromWorker): void;
  /** The worker died (an uncaught exception, or it could not start); a new one is starting. */
  crashed(message: string): void;
}

export class StudioWorker {
  private worker: Worker | null = null;
  private readonly flag: Int32Array | null;
  private hardStop: ReturnType<typeof setTimeout> | undefined;
  /** When the last workers died: three deaths within a minute mean it cannot run here, and no fourth is started. */
  private deaths: number[] = [];

  constructor(private readonly url: string, private readonly handlers: WorkerHandlers, private readonly options: { hardStopMs?: number; backend?: string } = {}) {
    const isolated = (globalThis as { crossOriginIsolated?: boolean }).crossOriginIsolated === true;
    this.flag = isolated && typeof SharedArrayBuffer !== 'undefined' ? new Int32Array(new SharedArrayBuffer(4)) : null;
    this.start();
  }

  /** Whether Stop acts within a step (a shared flag) rather than between epochs. */
  get stopsWithinEpoch(): boolean {
    return this.flag !== null;
  }

  private start(): void {
    const w = new Worker(this.url);
    this.worker = w;
    w.onmessage = (ev: MessageEvent<FromWorker>) => {
      if (this.worker !== w) return;
      if (ev.data.type === 'done' || ev.data.type === 'error') this.clearHardStop();
      this.handlers.message(ev.data);
    };
    w.onerror = (ev: ErrorEvent) => {
      ev.preventDefault();
      if (this.worker !== w) return;
      this.replace(`the worker stopped with an error: ${ev.message || 'it could not start'}`);
    };
    w.onmessageerror = () => {
      if (this.worker === w) this.replace('the worker sent a message the page could not read');
    };
    this.send({ type: 'init', ...(this.flag ? { stop: this.flag.buffer as SharedArrayBuffer } : {}), ...(this.options.backend ? { backend: this.options.backend } : {}) });
  }

  private replace(why: string): void {
    this.clearHardStop();
    this.worker?.terminate();
    this.worker = null;
    const now = Date.now();
    this.deaths = [...this.deaths.filter((t) => now - t < 60_000), now];
    if (this.deaths.length >= 3) {
      this.handlers.crashed(`${why}; the worker died three times within a minute, so no new one is started: reload the page to try again`);
      return;
    }
    this.start();
    this.handlers.crashed(why);
  }

  /** Whether a worker is running (false after repeated deaths). */
  get alive(): boolean {
    return this.worker !== null;
  }

  private clearHardStop(): void {
    clearTimeout(this.hardStop);
    this.hardStop = undefined;
  }

  send(m: ToWorker): void {
    if ((m.type === 'train' || m.type === 'resume') && this.flag) Atomics.store(this.flag, 0, 0);
    this.worker?.postMessage(m);
  }

  /** Asks the training to stop; a worker that does not answer within hardStopMs is replaced. */
  stop(): void {
    if (this.flag) Atomics.store(this.flag, 0, 1);
    this.send({ type: 'stop' });
    this.clearHardStop();
    const ms = this.options.hardStopMs ?? 10_000;
    this.hardStop = setTimeout(() => this.replace(`the training did not stop within ${ms / 1000} s (an epoch still running): it was cut off, its model is not kept`), ms);
  }

  /** The worker answered the stop (it is stopping after the current epoch, or done). */
  stopAcknowledged(): void {
    this.clearHardStop();
  }
}
