/**
 * SNIPS + UCI sentiment as one multi-input dataset (`snips-sentiment`): a conversational agent's four
 * tasks on one model — `intent`, `slots` (SNIPS utterances) and `sentiment`, `domain` (review
 * sentences). Each row is labelled only for the tasks of its own dataset (src/data/merge.ts), so the
 * masked losses train every task on its own samples; train with `batching: 'per-task'` so every step
 * sees every task.
 *
 * One vocabulary, built from both training splits only (SNIPS train + the sentiment training part, each
 * tokenized as its loader does), and one length L (default: the longest SNIPS training utterance, 35;
 * the few longer review sentences are truncated). Splits: SNIPS train/dev/test merged with the seeded,
 * stratified sentiment train/dev/test.
 */
import { mergeTaskDatasets } from '../merge.js';
import { applyLimit } from './common.js';
import { longest, readSnips, snipsDataset } from './snips.js';
import { readUciSentiment, SENTIMENT_TOKENIZER, sentimentDataset, stratifiedSentimentSplit } from './sentiment.js';
import { textState, type TextLoadOptions, type TextSplit } from '../text/state.js';
import { tokenize, Vocabulary } from '../text/tokenizer.js';

export async function loadSnipsSentiment(options: TextLoadOptions = {}): Promise<TextSplit> {
  const [snips, records] = await Promise.all([readSnips(options.dataDir), readUciSentiment(options.dataDir)]);
  const split = stratifiedSentimentSplit(records, options.seed ?? 0);
  const minCount = options.minCount ?? 2;
  const maxLength = options.maxLength ?? longest(snips.train.tokens);
  // `limit` / `testLimit` apply to each of the two datasets.
  const snipsTrain = applyLimit(snips.train.tokens, options.limit);
  const sentTrain = applyLimit(split.train, options.limit);
  const sentTest = applyLimit(split.test, options.testLimit, 'testLimit');
  const vocab = options.vocabulary
    ? Vocabulary.fromTokens(options.vocabulary)
    : Vocabulary.build([...snipsTrain, ...sentTrain.map((i) => tokenize(records[i]!.sentence, SENTIMENT_TOKENIZER))], { minCount });
  const merge = (part: 'train' | 'dev' | 'test', rows: number[], limit?: number) =>
    mergeTaskDatasets([snipsDataset(snips, part, vocab, maxLength, limit), sentimentDataset(`uci-sentiment-${part}`, records, rows, vocab, maxLength)], `snips-sentiment-${part}`);
  return {
    train: merge('train', sentTrain, options.limit),
    dev: merge('dev', split.dev),
    test: merge('test', sentTest, options.testLimit),
    text: textState({ tokenizer: SENTIMENT_TOKENIZER, vocabulary: vocab, maxLength, minCount, sources: ['snips/train', 'uci-sentiment/train'] }),
  };
}
