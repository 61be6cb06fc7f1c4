import { readFile, writeFile, mkdir } from 'node:fs/promises';
import path from 'node:path';
import { readSafetensors, toFloat32Array } from '../../src/io/safetensors';
import { packageRoot } from '../../src/native';
import type { BenchContext } from '../context';
import { runEmbedCommand } from '../embed-command';
import { secondsPerLoad } from '../load-time';
import type { PythonCase } from '../measurements';
import { pythonCommand, type BenchModel } from '../models';
import { runMeasured } from '../process-run';
import { esmTokenCount, fastaText, randomProteins, seededRandom } from '../synthetic';

interface ReferenceReport {
  ids: string[];
  dim: number;
  batches: number;
  load_seconds: number;
  forward_seconds: number;
}

interface Embeddings {
  ids: string[];
  dim: number;
  values: Float32Array;
}

async function engineEmbeddings(file: string): Promise<Embeddings> {
  const { tensors, metadata } = await readSafetensors(file);
  const tensor = tensors.embeddings;
  return {
    ids: JSON.parse(metadata.ids) as string[],
    dim: tensor.shape[1],
    values: toFloat32Array(tensor),
  };
}

/** The largest |a - b| over every embedding value, rows matched by id. */
export function maxAbsDifference(a: Embeddings, b: Embeddings): number {
  if (a.dim !== b.dim || a.ids.length !== b.ids.length) {
    throw new Error(`embeddings differ in shape: ${a.ids.length}x${a.dim} vs ${b.ids.length}x${b.dim}`);
  }
  const rowOfB = new Map(b.ids.map((id, row) => [id, row]));
  let max = 0;
  a.ids.forEach((id, rowA) => {
    const rowB = rowOfB.get(id);
    if (rowB === undefined) throw new Error(`id ${id} is missing from the other side`);
    for (let k = 0; k < a.dim; k++) {
      max = Math.max(max, Math.abs(a.values[rowA * a.dim + k] - b.values[rowB * b.dim + k]));
    }
  });
  return max;
}

/**
 * The same FASTA through `virnucpro embed` (one worker, all cores) and through the Python reference
 * (fair-esm's batching, torch with all cores), each timed as a whole process.
 */
export async function measurePythonReference(
  context: BenchContext,
  model: BenchModel,
  sequences: number,
  lengths: [number, number],
  toksPerBatch: number,
): Promise<Omit<PythonCase, 'spread'>> {
  const dir = path.join(context.workDir, `python-${model.arch}`);
  await mkdir(dir, { recursive: true });
  const records = randomProteins(seededRandom(context.seed + 1), sequences, lengths[0], lengths[1], 'prot');
  const fasta = path.join(dir, 'proteins.faa');
  await writeFile(fasta, fastaText(records));
  const tokens = esmTokenCount(records);

  context.log(`python ${model.arch}: ${sequences} proteins, ${tokens} tokens; engine first`);
  const perLoad = await secondsPerLoad(model.manifest.modulePath);
  const engine = await runEmbedCommand({
    label: 'engine',
    modelDir: model.dir,
    files: [fasta],
    outDir: path.join(dir, 'engine'),
    workers: 1,
    persistent: true,
    cores: context.cores,
    secondsPerLoad: perLoad,
  });
  context.log(`  engine ${engine.run.wallSeconds.toFixed(1)} s; now Python`);
  const script = path.join(packageRoot(), 'bench', 'python', 'esm_reference.py');
  const prefix = path.join(dir, 'python');
  const python = await runMeasured(pythonCommand, [
    script,
    ...['--model', model.dir, '--fasta', fasta, '--out', prefix],
    ...['--toks-per-batch', String(toksPerBatch), '--threads', String(context.cores)],
  ]);
  context.log(`  python ${python.wallSeconds.toFixed(1)} s`);
  const report = JSON.parse(await readFile(`${prefix}.json`, 'utf8')) as ReferenceReport;
  const reference: Embeddings = {
    ids: report.ids,
    dim: report.dim,
    values: toFloat32Array({
      dtype: 'F32',
      shape: [report.ids.length, report.dim],
      data: await readFile(`${prefix}.f32`),
    }),
  };
  const ours = await engineEmbeddings(path.join(dir, 'engine', 'proteins.safetensors'));

  // the worker's serving time: the pool's wall time less the one model load before it was ready
  const serving = engine.poolWallSeconds - perLoad;
  return {
    arch: model.arch,
    sequences,
    tokens,
    engine: {
      seconds: engine.run.wallSeconds,
      cpuSeconds: engine.run.cpuSeconds,
      tokensPerSecond: tokens / engine.run.wallSeconds,
      loadSeconds: perLoad,
      forwardSeconds: engine.run.forwardSeconds,
      forwardFraction: engine.run.forwardSeconds / serving,
    },
    python: {
      seconds: python.wallSeconds,
      cpuSeconds: python.cpuSeconds,
      tokensPerSecond: tokens / python.wallSeconds,
      batches: report.batches,
      loadSeconds: report.load_seconds,
      forwardSeconds: report.forward_seconds,
    },
    ratio: python.wallSeconds / engine.run.wallSeconds,
    maxAbsDiff: maxAbsDifference(ours, reference),
  };
}
