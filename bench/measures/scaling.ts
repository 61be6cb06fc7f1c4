import path from 'node:path';
import type { BenchContext } from '../context';
import { runEmbedCommand } from '../embed-command';
import type { ScalingCase } from '../measurements';
import type { BenchModel } from '../models';

/** The same files with one worker using every core, then one single-threaded worker per core. */
export async function measureScaling(
  context: BenchContext,
  model: BenchModel,
  files: string[],
): Promise<Omit<ScalingCase, 'spread'>> {
  const dir = path.join(context.workDir, `scaling-${model.arch}`);
  const run = (workers: number) =>
    runEmbedCommand({
      label: `${workers} worker(s) x ${Math.max(1, Math.floor(context.cores / workers))} thread(s)`,
      modelDir: model.dir,
      files,
      outDir: path.join(dir, `workers-${workers}`),
      workers,
      persistent: true,
      cores: context.cores,
      secondsPerLoad: null,
    });
  context.log(
    `scaling ${model.arch}: ${files.length} files, 1 x ${context.cores} threads then ${context.cores} x 1`,
  );
  const one = await run(1);
  const many = await run(context.cores);
  context.log(`  ${one.run.wallSeconds.toFixed(1)} s vs ${many.run.wallSeconds.toFixed(1)} s`);
  return {
    arch: model.arch,
    oneWorkerAllCores: one.run,
    workerPerCore: many.run,
    speedup: one.run.wallSeconds / many.run.wallSeconds,
  };
}
