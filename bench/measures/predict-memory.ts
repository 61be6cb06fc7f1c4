import { existsSync } from 'node:fs';
import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../../src/native';
import type { BenchContext } from '../context';
import type { PredictMemoryRun } from '../measurements';
import { pythonCommand } from '../models';
import { runMeasured } from '../process-run';
import { writeCodingReads } from '../synthetic';

// `virnucpro predict` on the tiny models at growing read counts, one CPU worker: the peak resident
// memory of the parent and of the worker at each count, side by side, so that a growth with the
// number of reads shows; then `virnucpro rescore` on the finished folder, its wall time beside
// predict's and its peak beside the parent's. The models are tiny so that the run is about the
// pipeline, not the forward.

export const READ_LENGTH = 150;

/** The tiny demo model set under the model cache, exported on first use. */
async function tinyModels(context: BenchContext): Promise<string> {
  const dir = path.join(context.modelCacheDir, 'tiny');
  if (!existsSync(path.join(dir, 'classifier', 'manifest.json'))) {
    const script = path.join(packageRoot(), 'scripts', 'export-models.py');
    await runMeasured(pythonCommand, [script, 'tiny', '--out', dir]);
  }
  return dir;
}

interface PredictReport {
  records: number;
  frames: number;
  failed: unknown[];
}

export async function measurePredictMemory(context: BenchContext, reads: number): Promise<PredictMemoryRun> {
  const models = await tinyModels(context);
  const dir = path.join(context.workDir, `predict-${reads}`);
  const input = path.join(dir, 'reads.fa');
  context.log(`predict memory: writing ${reads} reads of ${READ_LENGTH} nt`);
  await writeCodingReads(input, context.seed, reads, READ_LENGTH);
  const outDir = path.join(dir, 'out');
  const report = path.join(dir, 'report.json');
  const cli = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
  context.log(`predict memory: ${reads} reads, tiny models, 1 CPU worker`);
  const measured = await runMeasured(
    process.execPath,
    [cli, 'predict', '--models', models, '-o', outDir, '--no-progress', '--report', report, input],
    { sampleMilliseconds: 250 },
  );
  const parsed = JSON.parse(await readFile(report, 'utf8')) as PredictReport;
  if (parsed.failed.length > 0) throw new Error(`predict ${reads} reads: shards failed (${report})`);
  const [parent] = measured.peaks;
  const workers = measured.peaks.filter((peak) => /worker\.js/.test(peak.command));
  const rescore = await runMeasured(process.execPath, [cli, 'rescore', outDir, '--min-score', '0.5'], {
    sampleMilliseconds: 250,
  });
  const run: PredictMemoryRun = {
    reads,
    readLength: READ_LENGTH,
    frames: parsed.frames,
    wallSeconds: measured.wallSeconds,
    cpuSeconds: measured.cpuSeconds,
    parentPeakRssMb: parent.peakRssMb,
    workerPeakRssMb: Math.max(...workers.map((peak) => peak.peakRssMb)),
    rescoreWallSeconds: rescore.wallSeconds,
    rescorePeakRssMb: rescore.peaks[0].peakRssMb,
  };
  context.log(
    `  parent ${run.parentPeakRssMb.toFixed(0)} MiB, worker ${run.workerPeakRssMb.toFixed(0)} MiB, ` +
      `${run.wallSeconds.toFixed(0)} s; rescore ${run.rescoreWallSeconds.toFixed(1)} s ` +
      `(${((100 * run.rescoreWallSeconds) / run.wallSeconds).toFixed(1)}% of predict), ` +
      `peak ${run.rescorePeakRssMb.toFixed(0)} MiB`,
  );
  await rm(dir, { recursive: true, force: true });
  return run;
}
