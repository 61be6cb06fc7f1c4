import { rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../../src/native';
import type { BenchContext } from '../context';
import type { SamplesCase } from '../measurements';
import type { PredictModelSet } from '../models';
import type { SamplesPlan } from '../plan';
import { runMeasured } from '../process-run';
import { predictReads } from '../predict-reads';
import { writeFastaFile } from '../synthetic';

/**
 * Many small samples three ways, side by side: `predict --samples` (one command, the models loaded
 * once), one `predict` command per sample, and one `predict` of all the reads together (the floor).
 */
export async function measureSamples(
  context: BenchContext,
  models: PredictModelSet,
  plan: SamplesPlan,
): Promise<Omit<SamplesCase, 'spread' | 'separateSpread'>> {
  const dir = path.join(context.workDir, `samples-${path.basename(models.dir)}`);
  const reads = predictReads(context, {
    esm2: plan.esm2,
    reads: plan.samples * plan.readsPerSample,
    readLengths: plan.readLengths,
  });
  const files: string[] = [];
  for (let k = 0; k < plan.samples; k++) {
    const file = path.join(dir, 'inputs', `sample_${k + 1}.fa`);
    await writeFastaFile(file, reads.slice(k * plan.readsPerSample, (k + 1) * plan.readsPerSample));
    files.push(file);
  }
  const allReads = path.join(dir, 'inputs', 'all.fa');
  await writeFastaFile(allReads, reads);
  const sheet = path.join(dir, 'sheet.tsv');
  await writeFile(sheet, `sample\tinput\n${files.map((file, k) => `s${k + 1}\t${file}\n`).join('')}`);
  const cli = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
  const predict = async (outDir: string, args: string[]) => {
    await rm(outDir, { recursive: true, force: true });
    const base = [cli, 'predict', '--models', models.dir, '-o', outDir, '--devices', 'cpu', '--no-progress'];
    return runMeasured(process.execPath, [...base, ...args]);
  };
  context.log(`samples: ${plan.samples} x ${plan.readsPerSample} reads, ${models.name}`);
  const sheetRun = await predict(path.join(dir, 'sheet'), ['--samples', sheet]);
  let separateSeconds = 0;
  let separateCpuSeconds = 0;
  for (const [k, file] of files.entries()) {
    const run = await predict(path.join(dir, 'separate', `s${k + 1}`), [file]);
    separateSeconds += run.wallSeconds;
    separateCpuSeconds += run.cpuSeconds;
  }
  const combined = await predict(path.join(dir, 'combined'), [allReads]);
  context.log(
    `  sheet ${sheetRun.wallSeconds.toFixed(1)} s, separate ${separateSeconds.toFixed(1)} s, ` +
      `combined ${combined.wallSeconds.toFixed(1)} s`,
  );
  return {
    models: models.name,
    samples: plan.samples,
    readsPerSample: plan.readsPerSample,
    readLengths: plan.readLengths,
    sheetSeconds: sheetRun.wallSeconds,
    separateSeconds,
    combinedSeconds: combined.wallSeconds,
    cpuSeconds: { sheet: sheetRun.cpuSeconds, separate: separateCpuSeconds, combined: combined.cpuSeconds },
    ratio: sheetRun.wallSeconds / combined.wallSeconds,
    separateRatio: separateSeconds / combined.wallSeconds,
  };
}
