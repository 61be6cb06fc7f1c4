import path from 'node:path';
import type { BenchContext } from '../context';
import type { DedupCase } from '../measurements';
import type { PredictModelSet } from '../models';
import type { PredictPlan } from '../plan';
import { runPredictCommand } from '../predict-command';
import { predictReads } from '../predict-reads';
import { withEveryRecordTwice, writeFastaFile } from '../synthetic';

/**
 * `predict` on a file where every read appears twice under another id, then on the reads once: each
 * distinct frame goes through the models once, so the doubled file should cost about what the unique
 * reads cost.
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
  await writeFastaFile(doubledFile, withEveryRecordTwice(reads));
  const run = (label: string, input: string) =>
    runPredictCommand({
      label,
      modelsDir: models.dir,
      input,
      outDir: path.join(dir, label),
      workers: 1,
      deterministic: false,
    });
  context.log(`dedup: predict on ${2 * reads.length} records (every read twice) vs ${reads.length}`);
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
