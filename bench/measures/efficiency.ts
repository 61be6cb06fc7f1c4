import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import type { Dtype } from '../../binding';
import { cpuTokenBudget } from '../../src/embed/batching';
import { modelFolderBytes, planWorkerSlots } from '../../src/embed/devices';
import { engineDefaults } from '../../src/embed/options';
import { native, packageRoot } from '../../src/native';
import type { BenchContext } from '../context';
import { runEmbedCommand } from '../embed-command';
import {
  engineBatchShapes,
  forwardProducts,
  mergeProducts,
  usefulFlops,
  type MatrixProduct,
} from '../matrix-products';
import type { EfficiencyCase } from '../measurements';
import { pythonCommand, type BenchModel } from '../models';
import type { EfficiencyPlan } from '../plan';
import { runMeasured } from '../process-run';
import { randomProteins, randomReads, seededRandom, writeFastaFile } from '../synthetic';

const gemmScript = path.join(packageRoot(), 'bench', 'python', 'gemm_rate.py');

/**
 * The machine's rate on the products alone, in the engine's layout: `workers` processes of `threads`
 * intra-op threads each, at once, each timing every product (bench/python/gemm_rate.py); their rates
 * add up. A busy machine slows the probe as it slows the engine.
 */
async function gemmGflops(
  workDir: string,
  products: MatrixProduct[],
  dtype: Dtype,
  layout: { workers: number; threads: number },
): Promise<number> {
  const spec = path.join(workDir, `gemm-${dtype}.json`);
  await writeFile(spec, JSON.stringify({ threads: layout.threads, dtype, products }));
  const runs = await Promise.all(
    Array.from({ length: layout.workers }, () => runMeasured(pythonCommand, [gemmScript, spec])),
  );
  return runs.reduce((sum, run) => sum + (JSON.parse(run.stdout) as { gflops: number }).gflops, 0);
}

/** The sequences of the case, cut into files so that every worker gets a share (the pool groups files). */
function caseRecords(model: BenchModel, plan: EfficiencyPlan, seed: number) {
  const random = seededRandom(seed);
  if (model.shape.kind === 'esm2')
    return randomProteins(random, plan.sequences, plan.lengths[0], plan.lengths[1], 'p');
  return randomReads(random, plan.sequences, plan.lengths[1]).map((sequence, i) => ({
    id: `r${i + 1}`,
    sequence,
  }));
}

/** Token lengths with the specials, from the model's own tokenizer through the addon. */
async function tokenLengths(model: BenchModel, sequences: string[]): Promise<number[]> {
  const addon = native();
  const name = `efficiency-${model.arch}`;
  const kind = model.shape.kind === 'esm2' ? 'esm' : 'hf';
  addon.loadTokenizer(name, kind, model.manifest.tokenizerPath ?? '');
  const { offsets } = await addon.tokenize(name, sequences);
  return Array.from({ length: sequences.length }, (_, i) => offsets[i + 1] - offsets[i]);
}

/**
 * One repeat: the machine's rate on the model's own matrix products at the engine's batch shapes, then
 * `virnucpro embed` end to end with the engine's defaults (and `--dtype`), then that rate again; the
 * denominator is the mean of the two rates around the run. The probe runs in the engine's worker and
 * thread layout, so the useful work is compared with what the same processes could multiply.
 */
export async function measureEfficiency(
  context: BenchContext,
  model: BenchModel,
  plan: EfficiencyPlan,
  dtype: Dtype,
): Promise<Omit<EfficiencyCase, 'spread'>> {
  const dir = path.join(context.workDir, `efficiency-${model.arch}-${dtype}`);
  const records = caseRecords(model, plan, context.seed + 5);
  // the engine's own worker count for these options, as the pool will plan it; the report confirms it
  const slots = planWorkerSlots(
    'cpu',
    engineDefaults.workers,
    dtype,
    engineDefaults.threads,
    false,
    modelFolderBytes([model.dir]),
  );
  const workers = slots.length;
  const layout = { workers, threads: slots[0].threads ?? context.cores };
  // One file per worker: the pool makes each its own batch group, so every worker batches exactly one
  // file's sequences and the batch shapes follow from the file alone.
  const files: string[] = [];
  const perFile = Math.ceil(records.length / workers);
  for (let f = 0; f < workers; f++) {
    const file = path.join(dir, 'inputs', `part_${f + 1}.fa`);
    await writeFastaFile(file, records.slice(f * perFile, (f + 1) * perFile));
    files.push(file);
  }
  const lengths = await tokenLengths(
    model,
    records.map((record) => record.sequence),
  );
  const shapes = files.flatMap((_, f) =>
    engineBatchShapes(lengths.slice(f * perFile, (f + 1) * perFile), cpuTokenBudget),
  );

  context.log(
    `efficiency ${model.arch} ${dtype}: ${records.length} sequences in ${files.length} files, GEMM probe, embed, probe`,
  );
  const extraArgs = dtype === 'fp32' ? [] : ['--dtype', dtype];
  const embed = () =>
    runEmbedCommand({
      label: `embed ${dtype}, engine defaults`,
      modelDir: model.dir,
      files,
      outDir: path.join(dir, 'out'),
      workers: null,
      persistent: true,
      cores: context.cores,
      secondsPerLoad: null,
      extraArgs,
    });
  const products = (shapes: [number, number][]) =>
    mergeProducts(shapes.flatMap(([rows, width]) => forwardProducts(model.shape, rows, width)));

  const before = await gemmGflops(dir, products(shapes), dtype, layout);
  const timed = await embed();
  const after = await gemmGflops(dir, products(shapes), dtype, layout);
  const predictedPadded = shapes.reduce((sum, [rows, width]) => sum + rows * width, 0);
  const shapesMatchReport =
    timed.workerCount === workers &&
    shapes.length === timed.batches &&
    predictedPadded === timed.paddedTokens;

  const useful = usefulFlops(model.shape, lengths);
  const engineGflops = useful / timed.run.wallSeconds / 1e9;
  const gemm = (before + after) / 2;
  context.log(
    `  embed ${timed.run.wallSeconds.toFixed(1)} s = ${engineGflops.toFixed(1)} useful GFLOP/s; ` +
      `GEMM ${before.toFixed(1)} / ${after.toFixed(1)} GFLOP/s; ratio ${(engineGflops / gemm).toFixed(3)}`,
  );
  return {
    arch: model.arch,
    dtype,
    sequences: records.length,
    tokens: lengths.reduce((a, b) => a + b, 0),
    batches: shapes.length,
    paddedTokens: predictedPadded,
    shapesMatchReport,
    usefulGflop: useful / 1e9,
    embed: timed.run,
    engineGflops,
    gemmGflopsBefore: before,
    gemmGflopsAfter: after,
    gemmGflops: gemm,
    ratio: engineGflops / gemm,
  };
}
