/**
 * `mtl data speak [snips|sentiment] [--limit N] [--seed N] [--data-dir DIR] [--force]`: generates a spoken
 * corpus with espeak-ng into the data cache (src/data/node/speech-corpus.ts) — both when no corpus is
 * named — and prints where it is and how much it holds. Without espeak-ng: one message with the install
 * command, exit 2.
 */
import type { Command } from 'commander';
import { ensureSpokenCorpus } from '../../data/node/speech-corpus.js';
import { SPOKEN_CORPORA, SPOKEN_SPLITS, type SpokenCorpusName } from '../../data/speech/plan.js';
import { choice, nonNegativeInt, positiveInt } from '../flags.js';
import { dataDirOption } from '../options.js';

const corpusArg = choice('corpus', SPOKEN_CORPORA);
const n = (x: number) => x.toLocaleString('en-US');

export function registerDataSpeak(data: Command): void {
  data
    .command('speak')
    .description('speak SNIPS utterances / review sentences with espeak-ng (several voices; test voices never heard in training) into the cache, 16 kHz')
    .argument('[corpus]', `${SPOKEN_CORPORA.join(' | ')} (default: both)`, corpusArg)
    .option('--limit <n>', 'at most this many utterances per split (default: the corpus\'s sizes, ≈ 400 MB for both)', positiveInt('--limit'))
    .option('--seed <n>', 'seed of the text order, voices, rates and pitches (default 0)', nonNegativeInt('--seed'))
    .option('--concurrency <n>', 'espeak-ng processes at once (default 2–4)', positiveInt('--concurrency'))
    .option('--force', 'generate again even when the cache holds the corpus')
    .addOption(dataDirOption())
    .action(async (corpus: SpokenCorpusName | undefined, opts: { limit?: number; seed?: number; concurrency?: number; force?: boolean; dataDir?: string }) => {
      for (const c of corpus ? [corpus] : SPOKEN_CORPORA) {
        const started = Date.now();
        const info = await ensureSpokenCorpus({ corpus: c, limit: opts.limit, seed: opts.seed, concurrency: opts.concurrency, force: opts.force, dataDir: opts.dataDir });
        const m = info.manifest;
        const total = SPOKEN_SPLITS.reduce((a, s) => a + info.counts[s], 0);
        const seconds = SPOKEN_SPLITS.reduce((a, s) => a + m.splits[s].seconds, 0);
        const mb = SPOKEN_SPLITS.reduce((a, s) => a + 2 * m.splits[s].samples, 0) / 1e6;
        const parts = SPOKEN_SPLITS.map((s) => `${s} ${n(info.counts[s])}${m.splits[s].count > info.counts[s] ? ` of ${n(m.splits[s].count)}` : ''}`).join(', ');
        const how = info.generated ? `generated in ${((Date.now() - started) / 1000).toFixed(0)} s` : `already there (${info.where === 'data-dir' ? 'data folder' : 'cache'})`;
        process.stdout.write(
          `${c}: ${n(total)} utterances (${parts}), ${(seconds / 3600).toFixed(2)} h of 16 kHz audio, ${mb.toFixed(1)} MB, ${how}\n` +
            `  ${info.dir}\n` +
            `  ${m.generator.version}; voices: train ${m.settings.voices.train.length}, dev ${m.settings.voices.dev.length}, test ${m.settings.voices.test.length} (${m.voiceSplit})\n`,
        );
      }
    });
}
