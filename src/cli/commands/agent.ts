/** `mtl agent`: the conversational-agent example (SNIPS — or `--corpus`, one of your own — joint intent + slots vs single-task, + sentiment). */
import path from 'node:path';
import type { Command } from 'commander';
import { UsageError } from '../../config/errors.js';
import { readConfigFile } from '../../config/load.js';
import { isSequenceData, loadSequenceData, sequenceDataName } from '../../config/sequence-data.js';
import { initBackend } from '../../engine/backend.js';
import { formatAgentReport, runAgent, type AgentCorpus } from '../../run/agent.js';
import { DEFAULT_TEXT_SETTINGS, type TextTrainSettings } from '../../run/text.js';
import type { TextEncoderConfig } from '../../models/text/encoder.js';
import { backendOption, dataDirOption, progressOption } from '../options.js';
import { nonNegativeInt, positiveNumber, seedList } from '../flags.js';
import { formatSpeechAgentReport, runSpeechAgent, SPEECH_PRESETS } from '../../run/speech-agent.js';


export function registerAgent(program: Command): void {
  program
    .command('agent')
    .description('SNIPS joint intent + slot model vs single-task models (intent accuracy, slot F1, exact match, Δm%), and a model with the review sentiment tasks too')
    .option('-o, --out <dir>', 'run folder', path.join('runs', 'agent'))
    .option('--seed <n>', 'seed of everything (initialisation, batches, sentiment split)', nonNegativeInt('--seed'), DEFAULT_TEXT_SETTINGS.seed)
    .option('--epochs <n>', 'most epochs per model (early stopping on dev)', nonNegativeInt('--epochs'), DEFAULT_TEXT_SETTINGS.epochs)
    .option('--patience <n>', 'early-stopping patience in epochs (0 = off)', nonNegativeInt('--patience'), DEFAULT_TEXT_SETTINGS.patience)
    .option('--batch-size <n>', 'batch size', nonNegativeInt('--batch-size'), DEFAULT_TEXT_SETTINGS.batchSize)
    .option('--lr <x>', 'Adam learning rate', positiveNumber('--lr'), DEFAULT_TEXT_SETTINGS.lr)
    .option('--encoder <type>', 'bigru | transformer', 'bigru')
    .option('--dim <n>', 'encoder width', nonNegativeInt('--dim'), 64)
    .option('--layers <n>', 'transformer layers', nonNegativeInt('--layers'), 1)
    .option('--pool <mode>', 'sentence pooling: mean | max', 'mean')
    .option('--batching <mode>', 'mixed | per-task (multi-input model)', 'mixed')
    .option('--limit <n>', 'first n training sentences per dataset (quick runs)', nonNegativeInt('--limit'))
    .option('--no-sentiment', 'skip the model with the review sentiment tasks')
    .option('--frame', 'also train SNIPS text-to-frame generation, e.g. PlayMusic(artist=daft punk; service=spotify): alone and with intent + slots')
    .option('--speech', 'the spoken agent: one model from audio (espeak-ng speech, test voices unseen) with transcript (CTC), intent, sentiment and the generated frame, vs the single-task models')
    .option('--small', 'with --speech: a quick run (≈ 280 utterances, a small encoder, 10 epochs; under 2 minutes on 2 cores)')
    .option('--seeds <list>', 'with --speech: comma-separated seeds, e.g. 0,1,2: every model at each; mean ± std and a paired test of Δm% (default: --seed)', seedList('--seeds'))
    .option('--corpus <config>', 'an intent + slots corpus of your own instead of SNIPS: a config file whose data is { dataset: sequence, … } (no sentiment model then)')
    .addOption(backendOption())
    .addOption(dataDirOption())
    .addOption(progressOption('lines'))
    .action(async (opts: {
      out: string; seed: number; epochs: number; patience: number; batchSize: number; lr: number; encoder: string; dim: number; layers: number;
      pool: string; batching: string; limit?: number; sentiment: boolean; frame?: boolean; corpus?: string; backend?: string; dataDir?: string; progress: TextTrainSettings['progress'];
      speech?: boolean; small?: boolean; seeds?: number[];
    }, cmd: Command) => {
      if (opts.small && !opts.speech) throw new UsageError('--small goes with --speech');
      if (opts.seeds && !opts.speech) throw new UsageError('--seeds goes with --speech (for the text agent use --seed)');
      if (opts.speech) {
        if (opts.frame || opts.corpus !== undefined || opts.limit !== undefined) throw new UsageError('--speech trains its own four tasks on spoken SNIPS + reviews: it does not go with --frame, --corpus or --limit');
        const preset = SPEECH_PRESETS[opts.small ? 'small' : 'full'];
        const given = (k: string) => cmd.getOptionValueSource(k) !== 'default' && cmd.getOptionValueSource(k) !== undefined;
        const settings = {
          ...preset.settings, progress: opts.progress,
          ...(given('epochs') ? { epochs: opts.epochs } : {}), ...(given('patience') ? { patience: opts.patience } : {}),
          ...(given('batchSize') ? { batchSize: opts.batchSize } : {}), ...(given('lr') ? { lr: opts.lr } : {}),
        };
        const backend = await initBackend(opts.backend, (m) => console.error(m));
        const out = given('out') ? opts.out : path.join('runs', opts.small ? 'agent-speech-small' : 'agent-speech');
        const seeds = opts.seeds ?? [opts.seed];
        const t0 = performance.now();
        const { report, models } = await runSpeechAgent({ outDir: out, seeds, settings, sizes: preset.sizes, maxFrames: preset.maxFrames, dataDir: opts.dataDir, log: (m) => console.error(m) });
        for (const m of models) m.model.dispose();
        console.log(formatSpeechAgentReport(report));
        console.log(`\nbackend ${backend}; total ${((performance.now() - t0) / 1000).toFixed(0)} s; run folder ${out} (report.md, report.json; models in seed-<s>/mtl, seed-<s>/stl/<task>)`);
        console.log(`try: node bin/mtl.js predict ${path.join(out, `seed-${seeds[0]}`, 'mtl')} --audio utterance.wav   (16-bit PCM WAV; e.g. espeak-ng -v en-us-nyc+f5 -w utterance.wav "play some jazz on spotify")`);
        return;
      }
      if (opts.encoder !== 'transformer' && opts.encoder !== 'bigru') throw new UsageError(`--encoder: transformer or bigru, got '${opts.encoder}'`);
      if (opts.frame && opts.corpus !== undefined) throw new UsageError('--frame is built from SNIPS: it does not go with --corpus');
      if (opts.pool !== 'mean' && opts.pool !== 'max') throw new UsageError(`--pool: mean or max, got '${opts.pool}'`);
      if (opts.batching !== 'mixed' && opts.batching !== 'per-task') throw new UsageError(`--batching: mixed or per-task, got '${opts.batching}'`);
      if (!(opts.lr > 0)) throw new UsageError('--lr: expected a positive number');
      const encoder: TextEncoderConfig = opts.encoder === 'bigru'
        ? { type: 'bigru', dim: opts.dim, units: Math.max(1, Math.floor(opts.dim / 2)) }
        : { type: 'transformer', dim: opts.dim, layers: opts.layers, heads: 4, ffn: 2 * opts.dim };
      let corpus: AgentCorpus | undefined;
      if (opts.corpus !== undefined) {
        const { config, baseDir } = readConfigFile(opts.corpus);
        const d = config.data;
        if (!isSequenceData(d)) throw new UsageError(`${opts.corpus}: --corpus takes a config whose data is dataset: sequence (format seq or conll), not ${d.dataset}`);
        const split = loadSequenceData({ ...d, options: { ...d.options, ...(opts.limit !== undefined ? { limit: opts.limit } : {}) } }, baseDir);
        if (!split.train.tasks.some((t) => t.name === d.labelTask)) throw new UsageError(`${opts.corpus}: the corpus has no sentence labels (label files or '# label = …' lines); the agent trains ${d.labelTask} + ${d.tagTask}`);
        corpus = { name: sequenceDataName(d, baseDir), split, intentTask: d.labelTask, slotTask: d.tagTask };
      }
      const backend = await initBackend(opts.backend, (m) => console.error(m));
      const settings: TextTrainSettings = {
        ...DEFAULT_TEXT_SETTINGS, seed: opts.seed, epochs: opts.epochs, patience: opts.patience, batchSize: opts.batchSize, lr: opts.lr,
        encoder, pool: opts.pool, batching: opts.batching, progress: opts.progress,
      };
      const t0 = performance.now();
      const sentiment = opts.sentiment && !corpus;
      const report = await runAgent({ outDir: opts.out, dataDir: opts.dataDir, settings, limit: opts.limit, sentiment, corpus, frame: opts.frame === true, log: (m) => console.error(m) });
      console.log(formatAgentReport(report));
      const name = corpus?.name ?? 'snips';
      console.log(`\nbackend ${backend}; total ${((performance.now() - t0) / 1000).toFixed(0)} s; run folder ${opts.out} (report.md, report.json; models in ${name}/${sentiment ? ', snips-sentiment/' : ''})`);
      console.log(`try: node bin/mtl.js predict ${path.join(opts.out, sentiment ? 'snips-sentiment' : name)} "${corpus ? 'a sentence of yours' : 'book a table for two at sushi place tomorrow'}"`);
    });
}
