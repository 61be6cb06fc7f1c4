import { Command, InvalidArgumentError } from 'commander';
import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from '../src/io/atomic-write';
import { packageRoot } from '../src/native';
import { renderVegaLiteSvg } from '../src/pipeline/plot';
import { chartSpec } from './chart';
import type { BenchContext } from './context';
import { readCudaResults } from './cuda-results';
import { machineInfo } from './machine';
import { emptyMeasurements, type Measurements } from './measurements';
import { measureCrossFile } from './measures/cross-file';
import { measureCuda } from './measures/cuda';
import { measureDedup } from './measures/dedup';
import { measureDeterministic } from './measures/deterministic';
import { measureEfficiency } from './measures/efficiency';
import { measurePersistent } from './measures/persistent';
import { measurePredictMemory } from './measures/predict-memory';
import { measurePythonReference } from './measures/python-reference';
import { measureSamples } from './measures/samples';
import { measureClassifyStream } from './measures/classify-stream';
import { measureRunReport } from './measures/run-report';
import { measureScaling } from './measures/scaling';
import { measureTokenizer } from './measures/tokenizer';
import { randomArchitectures, type RandomArchitecture } from './model-shape';
import { predictModelSet, randomModel, type BenchModel, type PredictModelSet } from './models';
import { benchPlan, type BenchMode, type BenchPlan, type PredictPlan } from './plan';
import { repeatMeasure, spread } from './repeats';
import { buildResults, type BenchResults } from './results';
import { formatTable, summaryRows } from './table';

const measureNames = [
  'persistent',
  'python',
  'tokenizer',
  'scaling',
  'predict',
  'cuda',
  'cross-file',
  'dedup',
  'deterministic',
  'samples',
  'classify-stream',
  'report',
  'efficiency',
] as const;
type MeasureName = (typeof measureNames)[number];

interface CliOptions {
  quick?: boolean;
  only?: MeasureName[];
  name?: string;
  work: string;
  models?: string;
  out: string;
  seed: number;
  repeats: number;
  cudaResults?: string;
  render?: string;
  shapes?: RandomArchitecture[];
  predictReads?: number[];
}

function measureList(value: string): MeasureName[] {
  const names = value.split(',').map((name) => (name.trim() === 'memory' ? 'persistent' : name.trim()));
  for (const name of names) {
    if (!(measureNames as readonly string[]).includes(name)) {
      throw new InvalidArgumentError(
        `expected some of ${measureNames.join(', ')} (memory comes with persistent)`,
      );
    }
  }
  return names as MeasureName[];
}

function shapeList(value: string): RandomArchitecture[] {
  const names = value.split(',').map((name) => name.trim());
  for (const name of names) {
    if (!(name in randomArchitectures)) {
      throw new InvalidArgumentError(`expected some of ${Object.keys(randomArchitectures).join(', ')}`);
    }
  }
  return names as RandomArchitecture[];
}

function readCounts(value: string): number[] {
  const counts = value.split(',').map((count) => positiveInteger(count.trim()));
  return counts.sort((a, b) => a - b);
}

function integer(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed)) throw new InvalidArgumentError('expected an integer');
  return parsed;
}

function positiveInteger(value: string): number {
  const parsed = integer(value);
  if (parsed < 1) throw new InvalidArgumentError('expected at least 1');
  return parsed;
}

function log(line: string): void {
  process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
}

/** The plan with only the given ESM-2 shapes in the persistent and Python comparisons. */
function restrictShapes(plan: BenchPlan, shapes: RandomArchitecture[] | undefined): BenchPlan {
  if (!shapes) return plan;
  return {
    ...plan,
    persistent: plan.persistent.filter((p) => shapes.includes(p.arch)),
    python: { ...plan.python, archs: plan.python.archs.filter((arch) => shapes.includes(arch)) },
    efficiency: plan.efficiency.filter((e) => shapes.includes(e.arch)),
    notes: [...plan.notes, `model shapes limited to ${shapes.join(', ')}`],
  };
}

async function runBench(options: CliOptions): Promise<number> {
  const mode: BenchMode = options.quick ? 'quick' : 'full';
  const shaped = restrictShapes(benchPlan(mode), options.shapes);
  const plan = { ...shaped, predictReads: options.predictReads ?? shaped.predictReads };
  const selected = new Set<MeasureName>(options.only ?? measureNames);
  const started = new Date();
  const name = options.name ?? `${mode}-${started.toISOString().slice(0, 10)}`;
  const context: BenchContext = {
    workDir: path.join(options.work, 'runs'),
    modelCacheDir: options.models ?? path.join(options.work, 'models'),
    cores: os.availableParallelism(),
    seed: options.seed,
    log,
  };
  await rm(context.workDir, { recursive: true, force: true });
  await mkdir(context.workDir, { recursive: true });
  const notes = [
    ...plan.notes,
    `load average at start ${os.loadavg()[0].toFixed(1)} on ${context.cores} cores`,
  ];
  const machine = await machineInfo();
  log(
    `${name}: ${machine.cpuModel}, ${machine.cores} cores, torch ${machine.torchVersion} (${machine.variant})`,
  );
  if (machine.blasGflops !== null && machine.blasGflops < 10) {
    notes.push(
      `torch's BLAS runs fp32 matmul at ${machine.blasGflops.toFixed(1)} GFLOP/s: a reference BLAS; ` +
        'an optimised one (Debian: libopenblas0-openmp) makes every CPU forward several times faster',
    );
  }

  const models = new Map<RandomArchitecture, BenchModel>();
  const model = async (arch: RandomArchitecture) => {
    let found = models.get(arch);
    if (!found) {
      log(`model ${arch}: exporting random weights to ${context.modelCacheDir} unless already there`);
      found = await randomModel(context.modelCacheDir, arch);
      if (found.exportSeconds > 0) log(`  exported in ${found.exportSeconds.toFixed(1)} s`);
      models.set(arch, found);
    }
    return found;
  };

  const predictModels = new Map<PredictPlan['esm2'], PredictModelSet>();
  const predictModel = async (esm2: PredictPlan['esm2']) => {
    let found = predictModels.get(esm2);
    if (!found) {
      log(`predict models (ESM-2 ${esm2}): writing to ${context.modelCacheDir} unless already there`);
      found = await predictModelSet(context.modelCacheDir, esm2);
      if (found.exportSeconds > 0) log(`  written in ${found.exportSeconds.toFixed(1)} s`);
      predictModels.set(esm2, found);
    }
    return found;
  };

  // each repeat writes its outputs in its own folder, so that no run finds another's outputs complete
  const inRepeat = (repeat: number): BenchContext => ({
    ...context,
    workDir: path.join(context.workDir, `repeat-${repeat + 1}`),
  });
  const repeats = options.repeats;
  notes.push(`every ratio: min and median over ${repeats} repeat(s), side by side in each`);

  const measurements: Measurements = emptyMeasurements();
  const failures: string[] = [];
  const attempt = async (what: string, run: () => Promise<void>) => {
    try {
      await run();
    } catch (error) {
      const message = `${what} failed: ${(error as Error).message}`;
      log(message);
      failures.push(message);
    }
  };

  if (selected.has('report')) {
    await attempt('run report', async () => {
      measurements.runReport = await measureRunReport(context, repeats);
    });
  }
  let scalingFiles: string[] = [];
  if (selected.has('persistent') || selected.has('scaling')) {
    for (const [i, persistentPlan] of plan.persistent.entries()) {
      if (!selected.has('persistent') && i > 0) break;
      await attempt(`persistent ${persistentPlan.arch}`, async () => {
        const benchModel = await model(persistentPlan.arch);
        const { representative, spread: speedups } = await repeatMeasure(
          repeats,
          (repeat) => measurePersistent(inRepeat(repeat), benchModel, persistentPlan, plan.proteinLengths),
          (outcome) => outcome.case.speedup,
        );
        if (i === 0) scalingFiles = representative.files;
        if (selected.has('persistent')) {
          measurements.persistent.push({ ...representative.case, spread: speedups });
          measurements.memory.push(representative.memory);
        }
      });
    }
  }
  if (selected.has('python')) {
    for (const arch of plan.python.archs) {
      await attempt(`python ${arch}`, async () => {
        const { sequences, lengths, toksPerBatch } = plan.python;
        const benchModel = await model(arch);
        const { representative, spread: ratios } = await repeatMeasure(
          repeats,
          (repeat) => measurePythonReference(inRepeat(repeat), benchModel, sequences, lengths, toksPerBatch),
          (outcome) => outcome.ratio,
        );
        measurements.python.push({ ...representative, spread: ratios });
      });
    }
  }
  if (selected.has('tokenizer')) {
    await attempt('tokenizer', async () => {
      const { reads, readLength, arch } = plan.tokenizer;
      const benchModel = await model(arch);
      const {
        representative,
        spread: speedups,
        outcomes,
      } = await repeatMeasure(
        repeats,
        () => measureTokenizer(context, benchModel, reads, readLength),
        (outcome) => outcome.speedup,
      );
      const rustSpread = spread(outcomes.map((outcome) => outcome.rustSpeedup));
      measurements.tokenizer = {
        ...representative,
        idsEqual: outcomes.every((outcome) => outcome.idsEqual),
        spread: speedups,
        rustSpread,
      };
    });
  }
  if (selected.has('scaling') && scalingFiles.length > 0) {
    await attempt('scaling', async () => {
      const benchModel = await model(plan.persistent[0].arch);
      const { representative, spread: speedups } = await repeatMeasure(
        repeats,
        (repeat) => measureScaling(inRepeat(repeat), benchModel, scalingFiles),
        (outcome) => outcome.speedup,
      );
      measurements.scaling = { ...representative, spread: speedups };
    });
  }
  if (selected.has('predict')) {
    for (const reads of plan.predictReads) {
      await attempt(`predict memory ${reads} reads`, async () => {
        measurements.predictMemory.push(await measurePredictMemory(context, reads));
      });
    }
  }
  if (selected.has('cross-file')) {
    await attempt('cross-file', async () => {
      const benchModel = await model(plan.crossFile.arch);
      const { representative, spread: ratios } = await repeatMeasure(
        repeats,
        (repeat) => measureCrossFile(inRepeat(repeat), benchModel, plan.crossFile, plan.proteinLengths),
        (outcome) => outcome.ratio,
      );
      measurements.crossFile = { ...representative, spread: ratios };
    });
  }
  if (selected.has('dedup')) {
    await attempt('dedup', async () => {
      const models = await predictModel(plan.dedup.esm2);
      const { representative, spread: ratios } = await repeatMeasure(
        repeats,
        (repeat) => measureDedup(inRepeat(repeat), models, plan.dedup),
        (outcome) => outcome.ratio,
      );
      measurements.dedup = { ...representative, spread: ratios };
    });
  }
  if (selected.has('deterministic')) {
    await attempt('deterministic', async () => {
      const models = await predictModel(plan.deterministic.esm2);
      const {
        representative,
        spread: ratios,
        outcomes,
      } = await repeatMeasure(
        repeats,
        (repeat) => measureDeterministic(inRepeat(repeat), models, plan.deterministic),
        (outcome) => outcome.ratio,
      );
      const twoWorkersSpread = spread(outcomes.map((outcome) => outcome.twoWorkersRatio));
      measurements.deterministic = { ...representative, spread: ratios, twoWorkersSpread };
    });
  }
  if (selected.has('samples')) {
    for (const samples of plan.samples) {
      await attempt(`samples ${samples.esm2}`, async () => {
        const models = await predictModel(samples.esm2);
        const {
          representative,
          spread: ratios,
          outcomes,
        } = await repeatMeasure(
          repeats,
          (repeat) => measureSamples(inRepeat(repeat), models, samples),
          (outcome) => outcome.ratio,
        );
        const separateSpread = spread(outcomes.map((outcome) => outcome.separateRatio));
        measurements.samples?.push({ ...representative, spread: ratios, separateSpread });
      });
    }
  }
  if (selected.has('classify-stream')) {
    await attempt('classify-stream', async () => {
      const models = await predictModel('tiny');
      measurements.classifyStream = await measureClassifyStream(context, models, plan.classifyStream);
    });
  }
  if (selected.has('efficiency')) {
    for (const efficiencyPlan of plan.efficiency) {
      for (const dtype of ['fp32', 'bf16'] as const) {
        await attempt(`efficiency ${efficiencyPlan.arch} ${dtype}`, async () => {
          const benchModel = await model(efficiencyPlan.arch);
          const { representative, spread: ratios } = await repeatMeasure(
            repeats,
            (repeat) => measureEfficiency(inRepeat(repeat), benchModel, efficiencyPlan, dtype),
            (outcome) => outcome.ratio,
          );
          measurements.efficiency.push({ ...representative, spread: ratios });
        });
      }
    }
  }
  if (selected.has('cuda')) {
    await attempt('cuda', async () => {
      measurements.cuda = options.cudaResults
        ? readCudaResults(options.cudaResults)
        : await measureCuda(context);
    });
  }

  notes.push(...failures, `load average at end ${os.loadavg()[0].toFixed(1)}`);
  const results = buildResults(
    { name, mode, createdAt: started.toISOString(), machine, notes, command: reproducingCommand() },
    measurements,
  );
  await report(results, options.out);
  return failures.length === 0 ? 0 : 1;
}

/** The npm command line that runs this bench again with the same options; scratch and output folders left out. */
function reproducingCommand(): string {
  const args: string[] = [];
  const argv = process.argv.slice(2);
  for (let i = 0; i < argv.length; i++) {
    if (['--work', '--models', '--out'].includes(argv[i])) i++;
    else if (!/^--(work|models|out)=/.test(argv[i])) args.push(argv[i]);
  }
  return args.length > 0 ? `npm run bench -- ${args.join(' ')}` : 'npm run bench';
}

/** Writes <out>/<name>.json and .svg and prints the table. */
async function report(results: BenchResults, out: string): Promise<void> {
  await mkdir(out, { recursive: true });
  const jsonFile = path.join(out, `${results.name}.json`);
  const svgFile = path.join(out, `${results.name}.svg`);
  await writeFileAtomic(jsonFile, `${JSON.stringify(results, null, 2)}\n`);
  await writeFile(svgFile, await renderVegaLiteSvg(chartSpec(results)));
  process.stdout.write(`\n${formatTable(summaryRows(results))}\n\n`);
  for (const note of results.notes) process.stdout.write(`note: ${note}\n`);
  process.stdout.write(`\nreproduce with: ${results.command}\n`);
  process.stdout.write(`\nwrote ${jsonFile} and ${svgFile}\n`);
}

const program = new Command('bench')
  .description('virnucpro benchmark: ratios of the engine against its alternatives, side by side in one run')
  .option('--quick', 'smaller workloads (each repeat a few minutes on two cores); what is shrunk is printed')
  .option('--only <names>', `comma-separated subset of ${measureNames.join(', ')}`, measureList)
  .option('--name <name>', 'results file name (default: <mode>-<date>)')
  .option(
    '--work <dir>',
    'scratch folder for inputs, outputs and models',
    path.join(os.tmpdir(), 'virnucpro-bench'),
  )
  .option('--models <dir>', 'exported random models, kept between runs (default: <work>/models)')
  .option('--out <dir>', 'where the results JSON and SVG go', path.join(packageRoot(), 'bench', 'results'))
  .option(
    '--shapes <list>',
    'only these model shapes in the persistent, Python and efficiency comparisons',
    shapeList,
  )
  .option(
    '--predict-reads <list>',
    'read counts of the predict memory case (default 100000,1000000; quick 5000,20000)',
    readCounts,
  )
  .option('--seed <n>', 'seed of the synthetic inputs', integer, 1)
  .option(
    '--repeats <n>',
    'side-by-side repeats of every comparison; min and median are reported',
    positiveInteger,
    3,
  )
  .option(
    '--cuda-results <dir>',
    'summarise a folder written by bench/cuda/run-cuda-bench.sh instead of measuring CUDA',
  )
  .option('--render <results.json>', 'only redraw the chart and reprint the table of an earlier results file')
  .action(async (options: CliOptions) => {
    if (options.render) {
      const results = JSON.parse(await readFile(options.render, 'utf8')) as BenchResults;
      await report(results, options.out);
      return;
    }
    process.exitCode = await runBench(options);
  });

program.parseAsync(process.argv).catch((error: Error) => {
  process.stderr.write(`bench: ${error.message}\n`);
  process.exitCode = 1;
});
