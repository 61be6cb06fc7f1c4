import { mkdir, readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { BenchContext } from '../context';
import { runEmbedCommand } from '../embed-command';
import type { BatchedEmbedRun, CrossFileCase } from '../measurements';
import type { BenchModel } from '../models';
import type { PersistentPlan } from '../plan';
import { writeProteinFiles } from '../synthetic';

/**
 * `embed` with one persistent worker over many small files, then over one file holding the same
 * proteins in the same order: when batches are filled across files, the two cost about the same.
 */
export async function measureCrossFile(
  context: BenchContext,
  model: BenchModel,
  plan: PersistentPlan,
  lengths: [number, number],
): Promise<Omit<CrossFileCase, 'spread'>> {
  const dir = path.join(context.workDir, `cross-file-${model.arch}`);
  const files = await writeProteinFiles(path.join(dir, 'input'), context.seed, plan, lengths);
  const single = path.join(dir, 'single', 'all_proteins.faa');
  await mkdir(path.dirname(single), { recursive: true });
  await writeFile(single, (await Promise.all(files.map((file) => readFile(file, 'utf8')))).join(''));
  const run = async (label: string, inputs: string[]): Promise<BatchedEmbedRun> => {
    const result = await runEmbedCommand({
      label,
      modelDir: model.dir,
      files: inputs,
      outDir: path.join(dir, label),
      workers: 1,
      persistent: true,
      cores: context.cores,
      secondsPerLoad: null,
    });
    return { ...result.run, batches: result.batches, paddedTokens: result.paddedTokens };
  };
  const total = plan.files * plan.sequencesPerFile;
  context.log(
    `cross-file ${model.arch}: ${plan.files} files x ${plan.sequencesPerFile} vs 1 file x ${total}`,
  );
  const manyFiles = await run(`${plan.files}-files`, files);
  const oneFile = await run('1-file', [single]);
  context.log(
    `  ${manyFiles.wallSeconds.toFixed(1)} s (${manyFiles.batches} batches) vs ` +
      `${oneFile.wallSeconds.toFixed(1)} s (${oneFile.batches} batches)`,
  );
  return {
    arch: model.arch,
    files: plan.files,
    sequencesPerFile: plan.sequencesPerFile,
    manyFiles,
    oneFile,
    ratio: manyFiles.wallSeconds / oneFile.wallSeconds,
  };
}
