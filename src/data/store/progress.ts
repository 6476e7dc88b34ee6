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
