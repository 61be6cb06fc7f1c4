import path from 'node:path';
import type { BenchContext } from '../context';
import type { DeterministicCase } from '../measurements';
import type { PredictModelSet } from '../models';
import type { PredictPlan } from '../plan';
import { runPredictCommand } from '../predict-command';
import { predictReads } from '../predict-reads';
import { writeFastaFile } from '../synthetic';

/** One repeat: the three runs and both ratios; the spreads are added over repeats. */
export type DeterministicRun = Omit<DeterministicCase, 'spread' | 'twoWorkersSpread'>;

/**
 * `predict` on the same reads by default (one worker, every core), with --deterministic on one worker
 * (one thread, batches of one sequence), and with --deterministic on two workers of one thread each.
 */
export async function measureDeterministic(
  context: BenchContext,
  models: PredictModelSet,
  workload: PredictPlan,
): Promise<DeterministicRun> {
  const dir = path.join(context.workDir, 'deterministic');
  const input = path.join(dir, 'reads.fa');
  await writeFastaFile(input, predictReads(context, workload));
  const run = (label: string, workers: number, deterministic: boolean) =>
    runPredictCommand({
      label,
      modelsDir: models.dir,
      input,
      outDir: path.join(dir, label),
      workers,
      deterministic,
    });
  context.log(
    `deterministic: predict on ${workload.reads} reads, default then --deterministic x 1 and x 2 workers`,
  );
  const standard = await run('default', 1, false);
  const oneWorker = await run('deterministic-1-worker', 1, true);
  const twoWorkers = await run('deterministic-2-workers', 2, true);
  context.log(
    `  ${standard.wallSeconds.toFixed(1)} s, ${oneWorker.wallSeconds.toFixed(1)} s, ` +
      `${twoWorkers.wallSeconds.toFixed(1)} s`,
  );
  return {
    models: models.name,
    reads: workload.reads,
    readLengths: workload.readLengths,
    standard,
    oneWorker,
    twoWorkers,
    ratio: oneWorker.wallSeconds / standard.wallSeconds,
    twoWorkersRatio: twoWorkers.wallSeconds / standard.wallSeconds,
  };
}
