/**
 * One mtljs row of `npm run bench` in a process of its own (bench/row-process.ts starts it):
 *   row-child.ts <data dir> <model> <method> <seconds> [backend]
 * Prints the MeasureResult as one JSON line on stdout; progress and errors go to stderr.
 */
import { initBackend } from '../src/engine/backend.js';
import { measureMtljs, type MeasureResult } from './mtljs.js';
import { readRowData } from './row-process.js';
import { isBenchMethod, isTextBenchModel, type BenchMethod, type BenchModelName } from './spec.js';

async function main(): Promise<void> {
  const [dir, model, method, seconds, backend] = process.argv.slice(2);
  if (!dir || !model || !method || !isBenchMethod(method) || !(Number(seconds) > 0)) {
    throw new Error('usage: row-child.ts <data dir> <model> <method> <seconds> [backend]');
  }
  await initBackend(backend || undefined, (m) => process.stderr.write(`[bench row] ${m}\n`));
  const data = readRowData(dir);
  const measure = (s: number): MeasureResult => {
    if (isTextBenchModel(model)) {
      if (!data.text) throw new Error('no SNIPS data was written for the text rows');
      return measureMtljs({ model, method: method as BenchMethod, data: data.text, seconds: s });
    }
    if (!data.mnist) throw new Error('no MNIST data was written for the image rows');
    const images = model === 'cnn' ? { ...data.mnist, inputShape: [28, 28, 1] } : data.mnist;
    return measureMtljs({ model: model as Exclude<BenchModelName, 'text_bigru' | 'text_transformer'>, method: method as BenchMethod, data: images, seconds: s });
  };
  // A fresh process, warmed up by the same rule as each PyTorch child (bench/spec.ts WARMUP), nothing more:
  // a separate warm-up model would also leave its memory in the peak RSS.
  process.stdout.write(`${JSON.stringify(measure(Number(seconds)))}\n`);
}

main().then(
  // Exit explicitly: a threaded wasm backend keeps worker threads alive.
  () => process.exit(0),
  (e: unknown) => {
    process.stderr.write(`${e instanceof Error ? e.message : String(e)}\n`);
    process.exit(1);
  },
);
