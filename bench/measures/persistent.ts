import path from 'node:path';
import type { BenchContext } from '../context';
import { runEmbedCommand } from '../embed-command';
import { secondsPerLoad } from '../load-time';
import type { EmbedRun, MemoryCase, PersistentCase } from '../measurements';
import { parameterCount } from '../model-shape';
import type { BenchModel } from '../models';
import type { PersistentPlan } from '../plan';
import { writeProteinFiles } from '../synthetic';

export interface PersistentOutcome {
  /** one repeat's case; the spread is added over repeats */
  case: Omit<PersistentCase, 'spread'>;
  memory: MemoryCase;
  /** the input files, for the scaling runs */
  files: string[];
}

/**
 * `embed` over the same files with one persistent worker and with a fresh process per file; the
 * per-file mode loads the model once per file, so the gap is the load cost being amortised.
 */
export async function measurePersistent(
  context: BenchContext,
  model: BenchModel,
  plan: PersistentPlan,
  lengths: [number, number],
): Promise<PersistentOutcome> {
  const dir = path.join(context.workDir, `persistent-${model.arch}`);
  const paths = await writeProteinFiles(path.join(dir, 'input'), context.seed, plan, lengths);
  const perLoad = await secondsPerLoad(model.manifest.modulePath);
  const common = {
    modelDir: model.dir,
    files: paths,
    workers: 1,
    cores: context.cores,
    secondsPerLoad: perLoad,
  };
  context.log(`persistent ${model.arch}: ${plan.files} files x ${plan.sequencesPerFile} proteins`);
  const persistent = await runEmbedCommand({
    ...common,
    label: 'persistent',
    outDir: path.join(dir, 'persistent'),
    persistent: true,
  });
  context.log(`  persistent ${persistent.run.wallSeconds.toFixed(1)} s; now load-per-file`);
  const perFile = await runEmbedCommand({
    ...common,
    label: 'load-per-file',
    outDir: path.join(dir, 'per-file'),
    persistent: false,
  });
  context.log(`  load-per-file ${perFile.run.wallSeconds.toFixed(1)} s`);
  return {
    case: {
      arch: model.arch,
      files: plan.files,
      sequencesPerFile: plan.sequencesPerFile,
      persistent: persistent.run,
      perFile: perFile.run,
      speedup: perFile.run.wallSeconds / persistent.run.wallSeconds,
    },
    memory: memoryCase(model, persistent.run),
    files: paths,
  };
}

function memoryCase(model: BenchModel, run: EmbedRun): MemoryCase {
  const parameterBytes = 4 * parameterCount(model.shape).total;
  const peakRssMb = Math.max(0, ...run.peakRssMb);
  return {
    arch: model.arch,
    parameterBytes,
    peakRssMb,
    rssOverParameters: (peakRssMb * 2 ** 20) / parameterBytes,
  };
}
