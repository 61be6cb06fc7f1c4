import path from 'node:path';
import type { BenchContext } from '../context';
import type { DedupCase } from '../measurements';
import type { PredictModelSet } from '../models';
import type { PredictPlan } from '../plan';
import { runPredictCommand } from '../predict-command';
import { predictReads } from '../predict-reads';
import { seededRandom, withShuffledCopy, writeFastaFile } from '../synthetic';

/** Frames per shard: well below the doubled file's, so copies land in other shards than their originals. */
const SHARD_SIZE = 1000;

/**
 * `predict` (two workers, so each model's shards make several batch groups) on the reads followed by a
 * shuffled copy of them under other ids, then on the reads once: each distinct frame goes through the
 * models once per run, wherever its copy is, so the doubled file should cost about what the reads cost.
 */
export async function measureDedup(
  context: BenchContext,
  models: PredictModelSet,
  workload: PredictPlan,
): Promise<Omit<DedupCase, 'spread'>> {
  const dir = path.join(context.workDir, 'dedup');
  const reads = predictReads(context, workload);
  const uniqueFile = path.join(dir, 'unique.fa');
  const doubledFile = path.join(dir, 'doubled.fa');
  await writeFastaFile(uniqueFile, reads);
  await writeFastaFile(doubledFile, withShuffledCopy(reads, seededRandom(context.seed + 5)));
  const run = (label: string, input: string) =>
    runPredictCommand({
      label,
      modelsDir: models.dir,
      input,
      outDir: path.join(dir, label),
      workers: 2,
      deterministic: false,
      shardSize: SHARD_SIZE,
    });
  context.log(
    `dedup: predict on ${2 * reads.length} records (the reads, then a shuffled copy) vs ${reads.length}, ` +
      `--shard-size ${SHARD_SIZE}, 2 workers`,
  );
  const doubled = await run('doubled', doubledFile);
  const unique = await run('unique', uniqueFile);
  context.log(`  ${doubled.wallSeconds.toFixed(1)} s vs ${unique.wallSeconds.toFixed(1)} s`);
  return {
    models: models.name,
    reads: workload.reads,
    readLengths: workload.readLengths,
    doubled,
    unique,
    ratio: doubled.wallSeconds / unique.wallSeconds,
  };
}
