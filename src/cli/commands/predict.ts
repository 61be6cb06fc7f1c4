import { InvalidArgumentError, Option, type Command } from 'commander';
import { predict, type PredictOptions, type PredictResult } from '../../pipeline/predict';
import { stopsAllWrites } from '../../io/file-errors';
import { PredictError, PredictInterrupted } from '../../pipeline/predict-errors';
import {
  addEngineOptions,
  addPlotOptions,
  engineOptionsFrom,
  plotSelection,
  positiveInteger,
} from '../arguments';
import { createProgressReporter } from '../predict-progress';

export function describeResult(result: PredictResult): string {
  const calls = Object.entries(result.calls)
    .filter(([, n]) => n > 0)
    .map(([call, n]) => `${n} ${call}`)
    .join(', ');
  const distinct = Object.entries(result.embedded)
    .filter(([, counts]) => counts.sequences > 0)
    .map(([model, counts]) => `${model} ${counts.embedded} distinct of ${counts.sequences}`)
    .join(', ');
  const lines = [
    `${result.records} records, ${result.frames} frames scored: ${calls || 'nothing to call'}`,
    ...(distinct ? [`embedded: ${distinct}`] : []),
    `results in ${result.outDir}: ${result.files.join(', ')}`,
  ];
  for (const failure of result.failed)
    lines.push(`FAILED ${failure.shard}: ${failure.message} (${failure.code})`);
  return lines.join('\n');
}

/**
 * Runs predict with progress on stderr and sets the exit code (0 done, 1 failed, 2 partial or input
 * rejected by the checks, 130/143 signals).
 */
export async function runPredict(
  options: PredictOptions,
  showProgress: boolean,
): Promise<PredictResult | null> {
  const log = (line: string) => process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
  const reporter = createProgressReporter(showProgress && process.stderr.isTTY === true, log);
  const abort = new AbortController();
  let signalled: NodeJS.Signals | null = null;
  const stop = (signal: NodeJS.Signals) => {
    signalled = signal;
    log(`${signal}: stopping; finished files are kept and --resume continues from them`);
    abort.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  try {
    const result = await predict(options, { onEvent: (e) => reporter.onEvent(e), signal: abort.signal });
    reporter.stop();
    process.stderr.write(`${describeResult(result)}\n`);
    process.exitCode = result.exitCode;
    return result;
  } catch (error) {
    reporter.stop();
    if (error instanceof PredictInterrupted || signalled) {
      process.exitCode = signalled === 'SIGTERM' ? 143 : 130;
      log((error as Error).message);
      return null;
    }
    if (error instanceof PredictError) {
      process.exitCode = error.exitCode;
      process.stderr.write(`virnucpro predict: ${error.message}\n`);
      return null;
    }
    if (stopsAllWrites(error)) {
      process.exitCode = 1;
      process.stderr.write(
        `virnucpro predict: ${(error as Error).message}; finished files are kept: make room (or make the folder writable) and rerun with --resume\n`,
      );
      return null;
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
  }
}

export function registerPredictCommand(program: Command): void {
  const command = program
    .command('predict')
    .description(
      'call FASTA records viral or not with VirNucPro (chunk, six frames, DNABERT-S + ESM-2, classifier)',
    )
    .argument('<inputs...>', 'FASTA files, plain or gzip')
    .requiredOption('-o, --out <dir>', 'output folder')
    .requiredOption('--models <dir>', 'folder with the exported esm2/, dnabert-s/ and classifier/')
    .addOption(
      new Option('--chunk-size <n>', 'chunk size; must match the classifier (default: its own)').argParser(
        positiveInteger,
      ),
    );
  addEngineOptions(command)
    .option('--resume', 'continue an interrupted run in the output folder')
    .option('--force', 'delete an earlier run in the output folder and start over')
    .option('--keep-intermediate', 'also keep the chunked and identified FASTA files and the embeddings')
    .option('--rename-duplicates', 'suffix repeated record ids with _2, _3 instead of failing')
    .option('--rna', 'the input is RNA: read U as T (without it, a U is refused)');
  addPlotOptions(command)
    .option('--shard-size <n>', 'frames per embedding file (the unit of resume)', positiveInteger, 10000)
    .option('--no-progress', 'plain log lines instead of progress bars')
    .option('--report <file>', 'write a JSON report of the run')
    .action(async (inputs: string[], o) => {
      if (o.resume && o.force) throw new InvalidArgumentError('--resume and --force exclude each other');
      await runPredict(
        {
          inputs,
          outDir: o.out,
          models: o.models,
          chunkSize: o.chunkSize,
          ...engineOptionsFrom(o),
          resume: Boolean(o.resume),
          force: Boolean(o.force),
          keepIntermediate: Boolean(o.keepIntermediate),
          renameDuplicates: Boolean(o.renameDuplicates),
          rna: Boolean(o.rna),
          plot: plotSelection(o),
          shardSize: o.shardSize,
          report: o.report ?? null,
        },
        o.progress !== false,
      );
    });
}
