import path from 'node:path';
import { packageRoot } from '../../src/native';
import type { BenchContext } from '../context';
import type { ClassifyStreamRun } from '../measurements';
import type { PredictModelSet } from '../models';
import { runMeasured } from '../process-run';

/**
 * A predictor's classify() on a long stream of reads (tiny models): the parent's resident memory after
 * each twentieth of the stream. Flat memory: the last sample about equals the one at a quarter.
 */
export async function measureClassifyStream(
  context: BenchContext,
  models: PredictModelSet,
  records: number,
): Promise<ClassifyStreamRun> {
  const child = path.join(packageRoot(), 'dist', 'bench', 'classify-stream.js');
  context.log(`classify stream: ${records} reads through one predictor, ${models.name}`);
  const run = await runMeasured(process.execPath, [child, models.dir, String(records), String(context.seed)]);
  const { frames, seconds, rssMb } = JSON.parse(run.stdout) as {
    frames: number;
    seconds: number;
    rssMb: number[];
  };
  const quarter = rssMb[Math.floor(rssMb.length / 4)];
  const last = rssMb[rssMb.length - 1];
  context.log(
    `  ${seconds.toFixed(1)} s; parent RSS ${quarter.toFixed(0)} MiB at a quarter, ${last.toFixed(0)} MiB at the end`,
  );
  return { models: models.name, records, frames, wallSeconds: seconds, rssMb, rssGrowth: last / quarter };
}
