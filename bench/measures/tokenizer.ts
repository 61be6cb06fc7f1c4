import { Tokenizer } from '@huggingface/tokenizers';
import { readFileSync } from 'node:fs';
import { native } from '../../src/native';
import type { BenchContext } from '../context';
import type { TokenizerCase } from '../measurements';
import type { BenchModel } from '../models';
import { randomReads, seededRandom } from '../synthetic';

function secondsSince(started: bigint): number {
  return Number(process.hrtime.bigint() - started) / 1e9;
}

/** The best of three timings: the native side takes a fraction of a second, easily disturbed. */
async function fastestOfThree(run: () => Promise<unknown>): Promise<number> {
  let best = Infinity;
  for (let i = 0; i < 3; i++) {
    const started = process.hrtime.bigint();
    await run();
    best = Math.min(best, secondsSince(started));
  }
  return best;
}

/** The C++ BPE tokenizer and @huggingface/tokenizers on the same reads with the same tokenizer.json. */
export async function measureTokenizer(
  context: BenchContext,
  model: BenchModel,
  reads: number,
  readLength: number,
): Promise<TokenizerCase> {
  const file = model.manifest.tokenizerPath;
  if (!file) throw new Error(`${model.dir}: the model has no tokenizer.json`);
  const sequences = randomReads(seededRandom(context.seed + 2), reads, readLength);
  context.log(`tokenizer: ${reads} reads of ${readLength} nt with ${model.arch}'s tokenizer.json`);

  const addon = native();
  addon.loadTokenizer('bench-tokenizer', 'hf', file);
  await addon.tokenize('bench-tokenizer', sequences.slice(0, 100)); // warm-up
  const nativeSeconds = await fastestOfThree(() => addon.tokenize('bench-tokenizer', sequences));
  const { ids, offsets } = await addon.tokenize('bench-tokenizer', sequences);

  const javascript = new Tokenizer(JSON.parse(readFileSync(file, 'utf8')), {});
  for (const sequence of sequences.slice(0, 100)) javascript.encode(sequence); // warm-up
  // a minute or so: one timing is steady enough, and its ids are the ones compared
  const started = process.hrtime.bigint();
  const expectedIds = sequences.map((sequence) => javascript.encode(sequence).ids);
  const javascriptSeconds = secondsSince(started);

  let mismatchedReads = 0;
  expectedIds.forEach((expected, i) => {
    const actual = ids.subarray(offsets[i], offsets[i + 1]);
    if (expected.length !== actual.length || expected.some((id, k) => id !== actual[k])) mismatchedReads++;
  });
  context.log(
    `  native ${nativeSeconds.toFixed(3)} s, @huggingface/tokenizers ${javascriptSeconds.toFixed(2)} s`,
  );
  return {
    reads,
    readLength,
    vocabSize: addon.tokenizerInfo('bench-tokenizer').vocabSize,
    nativeSeconds,
    javascriptSeconds,
    idsEqual: mismatchedReads === 0,
    mismatchedReads,
    speedup: javascriptSeconds / nativeSeconds,
  };
}
