import { createPredictor, type SequenceRecord } from '../src';
import { randomCodingReads, seededRandom } from './synthetic';

// Child process of the classify-stream case: one predictor streams `count` generated reads through
// classify() and prints, as one JSON line, its own resident memory and its heap after a full garbage
// collection (run with --expose-gc) after every twentieth of the stream, so the parent memory of an
// endless stream can be read as a slope. RSS alone rises while V8 puts off collecting.
// Usage: node --expose-gc classify-stream.js MODELS COUNT SEED

function* reads(count: number, seed: number): Generator<SequenceRecord> {
  const random = seededRandom(seed);
  for (let i = 0; i < count; i++) yield randomCodingReads(random, 1, [150, 300], `read_${i}_`)[0];
}

async function main(): Promise<void> {
  const [models, countText, seedText] = process.argv.slice(2);
  const count = Number(countText);
  const started = process.hrtime.bigint();
  const rssMb: number[] = [];
  const heapMb: number[] = [];
  const collect = (globalThis as { gc?: () => void }).gc ?? (() => {});
  let frames = 0;
  let taken = 0;
  await using predictor = await createPredictor({ models, threads: 1 });
  for await (const call of predictor.classify(reads(count, Number(seedText)))) {
    frames += call.frames;
    if (++taken % Math.max(1, Math.floor(count / 20)) === 0) {
      collect();
      const { rss, heapUsed } = process.memoryUsage();
      rssMb.push(rss / 2 ** 20);
      heapMb.push(heapUsed / 2 ** 20);
    }
  }
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  process.stdout.write(`${JSON.stringify({ records: taken, frames, seconds, rssMb, heapMb })}\n`);
}

void main();
