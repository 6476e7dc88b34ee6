/**
 * Encoder choice for text-hps, measured: Transformer vs bidirectional GRU on SNIPS (joint intent + slots),
 * same width, optimizer and batches; prints seconds per epoch and dev metrics after each epoch.
 *   npx tsx examples/agent/bench-encoders.ts [epochs=2] [limit] [lr=5e-3] [transformer1|transformer2|bigru]
 */
import { initBackend } from '../../src/engine/backend.js';
import { loadSnips } from '../../src/data/loaders/snips.js';
import { buildModel } from '../../src/models/registry.js';
import { createTask } from '../../src/tasks/registry.js';
import { Trainer } from '../../src/train/node/trainer.js';

const epochs = Number(process.argv[2] ?? 2);
const limit = process.argv[3] ? Number(process.argv[3]) : undefined;
const lr = Number(process.argv[4] ?? 5e-3);
const only = process.argv[5];
const backend = await initBackend(process.env.MTL_BACKEND ?? 'wasm');
const split = await loadSnips({ limit });
console.log(`backend ${backend}; SNIPS ${split.train.n} train, L = ${split.text.maxLength}, vocabulary ${split.text.vocabulary.length}`);
const encoders = [
  { type: 'transformer', dim: 64, layers: 1, heads: 4, ffn: 128 },
  { type: 'transformer', dim: 64, layers: 2, heads: 4, ffn: 128 },
  { type: 'bigru', dim: 64, units: 32 },
] as const;
for (const encoder of encoders) {
  if (only && !`${encoder.type}${'layers' in encoder ? encoder.layers : ''}`.startsWith(only)) continue;
  const tasks = split.train.tasks.map((s) => createTask(s));
  const model = buildModel('text-hps', { inputShape: split.train.inputShape, tasks, seed: 0 }, { vocabSize: split.text.vocabulary.length, encoder });
  const params = model.trainableVariables().reduce((s, v) => s + v.size, 0);
  const trainer = new Trainer(model, tasks, { epochs, batchSize: Number(process.env.BATCH ?? 64), optimizer: { name: 'adam', lr }, seed: 0, progress: 'silent' });
  await trainer.fit(split.train, split.dev);
  const h = trainer['history' as keyof Trainer] as unknown as { seconds: number; val: Record<string, Record<string, number>> }[];
  for (const [i, r] of h.entries()) {
    console.log(`${encoder.type}${'layers' in encoder ? `×${encoder.layers}` : ''} (${params} params) epoch ${i + 1}: ${r.seconds.toFixed(1)} s, dev intent acc ${r.val.intent.accuracy.toFixed(4)}, slot F1 ${r.val.slots.span_f1.toFixed(4)}`);
  }
  trainer.dispose();
  model.dispose();
}
process.exit(0);
