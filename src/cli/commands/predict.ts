import { InvalidArgumentError, Option, type Command } from 'commander';
import path from 'node:path';
import { predict, type PredictHooks, type PredictOptions, type PredictResult } from '../../pipeline/predict';
import { stopsAllWrites } from '../../io/file-errors';
import { PredictError, PredictInterrupted } from '../../pipeline/predict-errors';
import { DEFAULT_REPORT_ROWS } from '../../pipeline/report-data';
import type { RecordCall } from '../../pipeline/prediction-files';
import {
  addEngineOptions,
  addPlotOptions,
  engineOptionsFrom,
  minScoreOption,
  nonNegativeInteger,
  plotSelection,
  positiveInteger,
} from '../arguments';
import { createProgressReporter } from '../predict-progress';
import { runSampleSheet } from '../predict-samples';
import { RunLog } from '../run-log';

export function describeCalls(calls: Record<RecordCall, number>): string {
  const counted = Object.entries(calls)
    .filter(([, n]) => n > 0)
    .map(([call, n]) => `${n} ${call}`)
    .join(', ');
  return counted || 'nothing to call';
}

export function describeResult(result: PredictResult): string {
  const names = Object.values(result.files)
    .filter((file): file is string => typeof file === 'string')
    .map((file) => path.basename(file));
  const distinct = Object.entries(result.embedded)
    .filter(([, counts]) => counts.sequences > 0)
    .map(([model, counts]) => {
      const resumed = counts.embedded === counts.distinct ? '' : ` (${counts.embedded} by this invocation)`;
      return `${model} ${counts.distinct} distinct of ${counts.sequences}${resumed}`;
    })
    .join(', ');
  const lines = [
    `${result.records} records, ${result.frames} frames scored: ${describeCalls(result.calls)}`,
    ...(distinct ? [`embedded: ${distinct}`] : []),
    `results in ${result.outDir}: ${names.join(', ')}`,
  ];
  for (const failure of result.failed)
    lines.push(`FAILED ${failure.shard}: ${failure.message} (${failure.code})`);
  return lines.join('\n');
}

/** How one CLI run ended: its exit code, its result when it finished, and why it did not. */
export interface PredictOutcome {
  exitCode: number;
  result: PredictResult | null;
  /** the PredictError code, or the reason, of a run that did not finish */
  failure: string | null;
}

/** What runs predict: the one-shot predict(), or a predictor's (predict --samples). */
export type PredictRunner = (options: PredictOptions, hooks: PredictHooks) => Promise<PredictResult>;

/**
 * Runs predict with progress on stderr and sets the exit code (0 done, 1 failed, 2 partial or input
 * rejected by the checks, 130/143 signals).
 */
export async function runPredict(
  options: PredictOptions,
  showProgress: boolean,
  command: string[] = ['virnucpro', ...process.argv.slice(2)],
): Promise<PredictResult | null> {
  const outcome = await predictOutcome(options, showProgress, command, predict);
  process.exitCode = outcome.exitCode;
  return outcome.result;
}

/** runPredict's run, its exit code returned rather than set. */
export async function predictOutcome(
  options: PredictOptions,
  showProgress: boolean,
  command: string[],
  run: PredictRunner,
): Promise<PredictOutcome> {
  const runLog = new RunLog(options.outDir);
  const log = (line: string) => runLog.print(line);
  const reporter = createProgressReporter(showProgress && process.stderr.isTTY === true, log, (line) =>
    runLog.keep(line),
  );
  const restoreTerminal = () => reporter.stop();
  process.once('exit', restoreTerminal);
  const abort = new AbortController();
  let signalled: NodeJS.Signals | null = null;
  const stop = (signal: NodeJS.Signals) => {
    signalled = signal;
    // the bars end first, so the terminal is clean and the cursor back
    reporter.stop();
    log(`${signal}: stopping; finished files are kept and --resume continues from them`);
    abort.abort();
  };
  process.once('SIGINT', stop);
  process.once('SIGTERM', stop);
  runLog.keep(`$ ${command.join(' ')}`);
  try {
    const result = await run(options, {
      onEvent: (e) => reporter.onEvent(e),
      signal: abort.signal,
      command,
    });
    reporter.stop();
    result.files.log = await runLog.save(
      describeResult({ ...result, files: { ...result.files, log: runLog.file } }),
    );
    return { exitCode: result.exitCode, result, failure: null };
  } catch (error) {
    reporter.stop();
    if (error instanceof PredictInterrupted || signalled) {
      await runLog.save((error as Error).message);
      return { exitCode: signalled === 'SIGTERM' ? 143 : 130, result: null, failure: 'interrupted' };
    }
    if (error instanceof PredictError) {
      process.stderr.write(`virnucpro predict: ${error.message}\n`);
      // a run that had started keeps its log; a refusal or rejected input leaves nothing
      if (error.exitCode === 1 && error.code !== 'E_INPUT') {
        runLog.keep(`failed: ${error.message}`);
        await runLog.save(null).catch(() => undefined);
      }
      return { exitCode: error.exitCode, result: null, failure: error.code };
    }
    if (stopsAllWrites(error)) {
      process.stderr.write(
        `virnucpro predict: ${(error as Error).message}; finished files are kept: make room (or make the folder writable) and rerun with --resume\n`,
      );
      const code = (error as NodeJS.ErrnoException).code ?? 'E_DISK_FULL';
      return { exitCode: 1, result: null, failure: code };
    }
    throw error;
  } finally {
    process.removeListener('SIGINT', stop);
    process.removeListener('SIGTERM', stop);
    process.removeListener('exit', restoreTerminal);
  }
}

export function registerPredictCommand(program: Command): void {
  const command = program
    .command('predict')
    .description(
      'call FASTA or FASTQ records viral or not with VirNucPro (chunk, six frames, DNABERT-S + ESM-2, classifier)',
    )
    .argument('[inputs...]', 'FASTA or FASTQ files, plain or gzip (told by content)')
    .option(
      '--samples <sheet>',
      'many samples, models loaded once: a TSV with the columns sample and input; each sample gets OUTDIR/<sample>/ and OUTDIR/samples.tsv lists them',
    )
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
    .option('--rna', 'the input is RNA: read U as T (without it, a U is refused)')
    .addOption(minScoreOption());
  addPlotOptions(command)
    .option('--shard-size <n>', 'frames per embedding file (the unit of resume)', positiveInteger, 10000)
    .option('--no-progress', 'plain log lines instead of progress bars')
    .option(
      '--report <file>',
      'also write a JSON report of the run to this file (report.html is always written)',
    )
    .option(
      '--report-rows <n>',
      "records in report.html's table, the best by virus score (the rest stay in the TSV files)",
      nonNegativeInteger,
      DEFAULT_REPORT_ROWS,
    )
    .option(
      '--no-multiqc',
      "don't write the MultiQC files (the workflow's shard runs: only the merged folder counts)",
    )
    .option(
      '--lock-wait <seconds>',
      'wait this long while another live run holds the output folder, then exit 2',
      nonNegativeInteger,
      180,
    )
    .action(async (inputs: string[], o) => {
      if (o.resume && o.force) throw new InvalidArgumentError('--resume and --force exclude each other');
      if (inputs.length > 0 && o.samples)
        throw new InvalidArgumentError('give inputs or --samples, not both');
      if (inputs.length === 0 && !o.samples)
        throw new InvalidArgumentError('give inputs, or --samples SHEET');
      const options: PredictOptions = {
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
        minScore: o.minScore,
        plot: plotSelection(o),
        shardSize: o.shardSize,
        report: o.report ?? null,
        lockWait: o.lockWait,
        reportRows: o.reportRows,
        multiqc: o.multiqc !== false,
      };
      if (!o.samples) {
        await runPredict(options, o.progress !== false);
        return;
      }
      if (o.report) throw new InvalidArgumentError('--report does not go with --samples');
      if (!options.persistent)
        throw new InvalidArgumentError('--no-persistent-models does not go with --samples');
      process.exitCode = await runSampleSheet(o.samples, options, predictOutcome);
    });
}
