import path from 'node:path';
import { packageRoot } from '../../src/native';
import type { BenchContext } from '../context';
import type { ClassifyStreamRun } from '../measurements';
import type { PredictModelSet } from '../models';
import { runMeasured } from '../process-run';

/**
 * A predictor's classify() on a long stream of reads (tiny models): the parent's resident memory and
 * its heap after a full collection after each twentieth of the stream. Flat memory: the last sample
 * about equals the one at a quarter.
 */
export async function measureClassifyStream(
  context: BenchContext,
  models: PredictModelSet,
  records: number,
): Promise<ClassifyStreamRun> {
  const child = path.join(packageRoot(), 'dist', 'bench', 'classify-stream.js');
  context.log(`classify stream: ${records} reads through one predictor, ${models.name}`);
  const args = ['--expose-gc', child, models.dir, String(records), String(context.seed)];
  const run = await runMeasured(process.execPath, args);
  const { frames, seconds, rssMb, heapMb } = JSON.parse(run.stdout) as {
    frames: number;
    seconds: number;
    rssMb: number[];
    heapMb: number[];
  };
  const growth = (samples: number[]) => samples[samples.length - 1] / samples[Math.floor(samples.length / 4)];
  context.log(
    `  ${seconds.toFixed(1)} s; parent heap after collection ${heapMb[Math.floor(heapMb.length / 4)].toFixed(1)} MiB ` +
      `at a quarter, ${heapMb[heapMb.length - 1].toFixed(1)} MiB at the end`,
  );
  return {
    models: models.name,
    records,
    frames,
    wallSeconds: seconds,
    rssMb,
    rssGrowth: growth(rssMb),
    heapMb,
    heapGrowth: growth(heapMb),
  };
}
