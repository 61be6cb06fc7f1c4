import { Tokenizer as JavascriptTokenizer } from '@huggingface/tokenizers';
import { readFileSync } from 'node:fs';
import { Tokenizer as RustTokenizer } from 'tokenizers';
import { native } from '../../src/native';
import type { BenchContext } from '../context';
import type { TokenizerCase } from '../measurements';
import type { BenchModel } from '../models';
import { randomReads, seededRandom } from '../synthetic';

/** One repeat: the three tokenizers' seconds on the same reads; the spreads are added over repeats. */
export type TokenizerRun = Omit<TokenizerCase, 'spread' | 'rustSpread'>;

async function timed<T>(run: () => Promise<T> | T): Promise<{ seconds: number; value: T }> {
  const started = process.hrtime.bigint();
  const value = await run();
  return { seconds: Number(process.hrtime.bigint() - started) / 1e9, value };
}

function countMismatches(expected: number[][], ids: Int32Array, offsets: Uint32Array): number {
  let mismatched = 0;
  expected.forEach((want, i) => {
    const actual = ids.subarray(offsets[i], offsets[i + 1]);
    if (want.length !== actual.length || want.some((id, k) => id !== actual[k])) mismatched++;
  });
  return mismatched;
}

/**
 * The C++ BPE tokenizer, Hugging Face's Rust tokenizers (Node binding) and the pure-JavaScript
 * @huggingface/tokenizers on the same reads with the same tokenizer.json, specials added by each; every
 * library's ids are compared read by read with the native ones.
 */
export async function measureTokenizer(
  context: BenchContext,
  model: BenchModel,
  reads: number,
  readLength: number,
): Promise<TokenizerRun> {
  const file = model.manifest.tokenizerPath;
  if (!file) throw new Error(`${model.dir}: the model has no tokenizer.json`);
  const sequences = randomReads(seededRandom(context.seed + 2), reads, readLength);
  context.log(`tokenizer: ${reads} reads of ${readLength} nt with ${model.arch}'s tokenizer.json`);

  const addon = native();
  addon.loadTokenizer('bench-tokenizer', 'hf', file);
  await addon.tokenize('bench-tokenizer', sequences.slice(0, 100)); // warm-up
  const nativeRun = await timed(() => addon.tokenize('bench-tokenizer', sequences));
  const { ids, offsets } = nativeRun.value;

  const rust = RustTokenizer.fromFile(file);
  await rust.encodeBatch(sequences.slice(0, 100)); // warm-up
  const rustRun = await timed(() => rust.encodeBatch(sequences));
  const rustIds = rustRun.value.map((encoding) => encoding.getIds());

  const javascript = new JavascriptTokenizer(JSON.parse(readFileSync(file, 'utf8')), {});
  for (const sequence of sequences.slice(0, 100)) javascript.encode(sequence); // warm-up
  const javascriptRun = await timed(() => sequences.map((sequence) => javascript.encode(sequence).ids));

  const mismatchedReads =
    countMismatches(javascriptRun.value, ids, offsets) + countMismatches(rustIds, ids, offsets);
  context.log(
    `  native ${nativeRun.seconds.toFixed(3)} s, tokenizers (Rust) ${rustRun.seconds.toFixed(3)} s, ` +
      `@huggingface/tokenizers ${javascriptRun.seconds.toFixed(2)} s`,
  );
  return {
    reads,
    readLength,
    vocabSize: addon.tokenizerInfo('bench-tokenizer').vocabSize,
    nativeSeconds: nativeRun.seconds,
    javascriptSeconds: javascriptRun.seconds,
    rustSeconds: rustRun.seconds,
    idsEqual: mismatchedReads === 0,
    mismatchedReads,
    speedup: javascriptRun.seconds / nativeRun.seconds,
    rustSpeedup: rustRun.seconds / nativeRun.seconds,
  };
}
