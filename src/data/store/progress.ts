/**
 * Progress of a download on stderr: a cli-progress bar on a terminal; else (a log, CI) one line at the
 * start, a line at each further tenth of the work, at most one per 5 s, with the rate and the time
 * left, and one at the end — long work shows it is moving without flooding the log.
 */
import cliProgress from 'cli-progress';

export interface ProgressReporter {
  update: (received: number, total: number) => void;
  done: (ok: boolean) => void;
}

/** A line per further tenth of the work (at most one per `minGapMs`), for output that is not a terminal. */
export function tenthsLogger(total: number, line: (done: number, rate: number, etaS: number) => string, write: (s: string) => void = (s) => process.stderr.write(s), minGapMs = 5000, now: () => number = () => Date.now()): (done: number) => void {
  const start = now();
  let lastAt = start;
  let lastTenth = 0;
  return (done) => {
    if (!(total > 0)) return;
    const tenth = Math.min(10, Math.floor((10 * done) / total));
    const t = now();
    if (tenth <= lastTenth || tenth >= 10 || t - lastAt < minGapMs) return;
    lastTenth = tenth;
    lastAt = t;
    const rate = done / Math.max(1e-3, (t - start) / 1000);
    write(`${line(done, rate, (total - done) / Math.max(rate, 1e-9))}\n`);
  };
}

function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  return s < 90 ? `${Math.round(s)} s` : `${Math.round(s / 60)} min`;
}

function mb(bytes: number): string {
  return (bytes / 1e6).toFixed(bytes < 1e6 ? 2 : 1);
}

export function stderrProgress(label: string, total: number): ProgressReporter {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: `${label} [{bar}] {percentage}% {value_mb}/{total_mb} MB`, hideCursor: true, clearOnComplete: false },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0, { value_mb: mb(0), total_mb: mb(total) });
    return {
      update: (received) => bar.update(received, { value_mb: mb(received) }),
      done: () => bar.stop(),
    };
  }
  process.stderr.write(`${label} (${mb(total)} MB) ...\n`);
  let last = 0;
  const log = tenthsLogger(total, (done, rate, eta) => `${label}: ${Math.floor((100 * done) / total)}%, ${mb(done)}/${mb(total)} MB, ${mb(rate)} MB/s, ~${duration(eta)} left`);
  return {
    update: (received) => {
      last = received;
      log(received);
    },
    done: (ok) => process.stderr.write(`${label}: ${ok ? `done, ${mb(last)} MB` : 'failed'}\n`),
  };
}

/** Progress of `total` items of work (e.g. utterances spoken) on stderr, like stderrProgress. */
export function stderrCountProgress(label: string, total: number, unit: string): ProgressReporter {
  if (process.stderr.isTTY) {
    const bar = new cliProgress.SingleBar(
      { stream: process.stderr, format: `${label} [{bar}] {percentage}% {value}/{total} ${unit} | ETA {eta_formatted}`, hideCursor: true, clearOnComplete: false, etaBuffer: 200 },
      cliProgress.Presets.shades_classic,
    );
    bar.start(total, 0);
    return { update: (done) => bar.update(done), done: () => bar.stop() };
  }
  process.stderr.write(`${label}: ${total} ${unit} ...\n`);
  let last = 0;
  const log = tenthsLogger(total, (n, rate, eta) => `${label}: ${Math.floor((100 * n) / total)}%, ${n}/${total} ${unit}, ${rate.toFixed(rate < 10 ? 1 : 0)} ${unit}/s, ~${duration(eta)} left`);
  return {
    update: (done) => {
      last = done;
      log(done);
    },
    done: (ok) => process.stderr.write(`${label}: ${ok ? `done, ${last} ${unit}` : `failed after ${last} ${unit}`}\n`),
  };
}
