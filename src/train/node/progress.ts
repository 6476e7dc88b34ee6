/**
 * Progress of a training run: a live bar (cli-progress) on a terminal, plain one-line-per-epoch output
 * when stderr is not a TTY (CI logs, pipes), nothing when silent.
 */
import cliProgress from 'cli-progress';

export interface Progress {
  startEpoch(epoch: number, epochs: number, steps: number): void;
  /** One step done; `loss` when a fresh value was read. */
  step(loss?: number): void;
  endEpoch(summary: string): void;
  stop(): void;
}

export function createProgress(mode: 'auto' | 'bar' | 'lines' | 'silent' = 'auto', label = 'train', write: (s: string) => void = (s) => process.stderr.write(s + '\n')): Progress {
  const useBar = mode === 'bar' || (mode === 'auto' && process.stderr.isTTY === true);
  if (mode === 'silent') return { startEpoch() {}, step() {}, endEpoch() {}, stop() {} };
  if (!useBar) {
    let header = '';
    return {
      startEpoch(epoch, epochs) { header = `[${label}] epoch ${epoch + 1}/${epochs}`; },
      step() {},
      endEpoch(summary) { write(`${header} ${summary}`); },
      stop() {},
    };
  }
  const bar = new cliProgress.SingleBar({
    format: `${label} {epochLabel} [{bar}] {value}/{total} steps | loss {loss} | {duration_formatted} eta {eta_formatted}`,
    hideCursor: true,
    clearOnComplete: false,
  }, cliProgress.Presets.shades_classic);
  let done = 0;
  return {
    startEpoch(epoch, epochs, steps) {
      done = 0;
      bar.start(steps, 0, { epochLabel: `epoch ${epoch + 1}/${epochs}`, loss: '-' });
    },
    step(loss) { bar.update(++done, loss === undefined ? {} : { loss: loss.toFixed(4) }); },
    endEpoch(summary) { bar.stop(); write(`  ${summary}`); },
    stop() { bar.stop(); },
  };
}
