/**
 * Progress of a download on stderr: a cli-progress bar on a terminal, else one line at the start and
 * one at the end (logs and CI stay readable).
 */
import cliProgress from 'cli-progress';

export interface ProgressReporter {
  update: (received: number, total: number) => void;
  done: (ok: boolean) => void;
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
  return {
    update: (received) => {
      last = received;
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
  return {
    update: (done) => {
      last = done;
    },
    done: (ok) => process.stderr.write(`${label}: ${ok ? `done, ${last} ${unit}` : `failed after ${last} ${unit}`}\n`),
  };
}
