/** `mtl predict <run folder | model folder> "text" …`: a text model's answers for raw sentences; `--audio file.wav`: an audio model's. */
import type { Command } from 'commander';
import { UsageError } from '../../config/errors.js';
import { initBackend } from '../../engine/backend.js';
import { formatTextPrediction, predictText, resolveTextModelDir } from '../../run/predict-text.js';
import { backendOption } from '../options.js';
import { formatAudioPrediction, predictAudioFile, resolveAudioModelDir } from '../../run/predict-audio.js';
import fs from 'node:fs';

export function registerPredict(program: Command): void {
  program
    .command('predict')
    .description('predict with a saved text model (intent, slots as spans, sentiment, …) from raw sentences')
    .argument('<dir>', 'run folder with model/ (e.g. runs/agent/snips-sentiment) or a model folder with text.json')
    .argument('[text...]', 'one or more sentences (quote each)')
    .option('--audio <file>', 'an audio model (mtl agent --speech): transcript, intent, frame with its slots, sentiment of a 16-bit PCM WAV file (any rate, mono or stereo)')
    .option('--json', 'print the predictions as JSON')
    .addOption(backendOption())
    .action(async (dir: string, texts: string[], opts: { json?: boolean; backend?: string; audio?: string }) => {
      if (opts.audio !== undefined) {
        if (texts.length) throw new UsageError('--audio reads a WAV file: give no sentences with it');
        try {
          resolveAudioModelDir(dir);
        } catch (e) {
          throw new UsageError((e as Error).message);
        }
        if (!fs.existsSync(opts.audio)) throw new UsageError(`--audio: no file ${opts.audio}`);
        await initBackend(opts.backend);
        const p = await predictAudioFile(dir, opts.audio);
        console.log(opts.json ? JSON.stringify(p, null, 2) : formatAudioPrediction(p, opts.audio));
        return;
      }
      if (!texts.length) throw new UsageError('give one or more sentences to predict (or --audio file.wav for an audio model)');
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
