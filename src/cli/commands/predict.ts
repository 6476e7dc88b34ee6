/** `mtl predict <run folder | model folder> "text" …`: a text model's answers for raw sentences. */
import type { Command } from 'commander';
import { UsageError } from '../../config/errors.js';
import { initBackend } from '../../engine/backend.js';
import { formatTextPrediction, predictText, resolveTextModelDir } from '../../run/predict-text.js';
import { backendOption } from '../options.js';

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('predict with a saved text model (intent, slots as spans, sentiment, …) from raw sentences')
    .argument('<dir>', 'run folder with model/ (e.g. runs/agent/snips-sentiment) or a model folder with text.json')
    .argument('<text...>', 'one or more sentences (quote each)')
    .option('--json', 'print the predictions as JSON')
    .addOption(backendOption())
    .action(async (dir: string, texts: string[], opts: { json?: boolean; backend?: string }) => {
      try {
        resolveTextModelDir(dir);
      } catch (e) {
        throw new UsageError((e as Error).message);
      }
      await initBackend(opts.backend);
      const predictions = await predictText(dir, texts);
      console.log(opts.json ? JSON.stringify(predictions, null, 2) : predictions.map(formatTextPrediction).join('\n\n'));
    });
}
