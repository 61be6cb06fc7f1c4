import { existsSync } from 'node:fs';
import { mkdir, readdir, rmdir } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic-write';
import { PredictError } from '../pipeline/predict-errors';
import type { PredictOptions, PredictorOptions } from '../pipeline/predict-options';
import { predictorOptionsSchema, predictRunOptionsSchema } from '../pipeline/predict-schema';
import { createPredictor, type Predictor } from '../pipeline/predictor';
import { checkWritablePath, RunFolder } from '../pipeline/run-folder';
import { RUN_REPORT } from '../pipeline/run-report';
import { renderSamplesReportHtml, type SampleSummary } from '../pipeline/samples-report';
import type { predictOutcome as PredictOutcomeFunction, PredictOutcome } from './commands/predict';
import { readSampleSheet, SAMPLES_LISTING, type Sample } from './sample-sheet';

// predict --samples: every sample of a sheet run one after the other on one predictor, so the models
// load once; each sample gets OUTDIR/<sample>/, a complete predict folder of its own (its own lock,
// run.json and log, resumable alone), and OUTDIR/samples.tsv and OUTDIR/report.html list how each one
// ended. OUTDIR holds one lock for the whole sheet.

const SAMPLES_IN_FLIGHT = 2;
const LISTING_HEADER = 'sample\tstatus\trecords\tvirus\tfolder\terror\n';

type Status = 'pending' | 'done' | 'partial' | 'failed' | 'interrupted';

interface SampleRow {
  sample: Sample;
  status: Status;
  outcome: PredictOutcome | null;
}

function listing(outDir: string, rows: SampleRow[]): string {
  const lines = rows.map(({ sample, status, outcome }) => {
    const result = outcome?.result ?? null;
    const records = result ? String(result.records) : 'NA';
    const virus = result ? String(result.calls.virus) : 'NA';
    return `${sample.name}\t${status}\t${records}\t${virus}\t${path.join(outDir, sample.name)}\t${outcome?.failure ?? ''}\n`;
  });
  return LISTING_HEADER + lines.join('');
}

function summaries(rows: SampleRow[]): SampleSummary[] {
  return rows.map(({ sample, status, outcome }) => ({
    name: sample.name,
    status,
    records: outcome?.result?.records ?? null,
    calls: outcome?.result?.calls ?? null,
    error: outcome?.failure ?? '',
  }));
}

/** samples.tsv, then report.html: how each sample stands, each file complete or absent. */
async function writeSheetFiles(outDir: string, rows: SampleRow[]): Promise<void> {
  await writeFileAtomic(path.join(outDir, SAMPLES_LISTING), listing(outDir, rows));
  const title = path.basename(path.resolve(outDir));
  await writeFileAtomic(path.join(outDir, RUN_REPORT), renderSamplesReportHtml(title, summaries(rows)));
}

const pick = (from: object, keys: string[]) =>
  Object.fromEntries(Object.entries(from).filter(([key]) => keys.includes(key)));

function statusOf(outcome: PredictOutcome): Status {
  if (outcome.exitCode === 130 || outcome.exitCode === 143) return 'interrupted';
  if (outcome.result) return outcome.result.exitCode === 0 ? 'done' : 'partial';
  return 'failed';
}

/** Refuses an output folder that holds anything unless --resume or --force says what to do with it. */
async function checkOutputFolder(outDir: string, options: PredictOptions): Promise<void> {
  await checkWritablePath(outDir, 'the output folder', 'folder');
  if (!existsSync(outDir) || options.resume || options.force) return;
  if ((await readdir(outDir)).length > 0) {
    throw new PredictError(
      `${outDir}: the folder is not empty; use --resume to continue its samples or --force to start them over`,
      'E_FOLDER',
    );
  }
}

/**
 * Runs the sheet and returns the exit code: 0 when every sample is done, 2 when the sheet is refused
 * (nothing created) or any sample failed or is partial (the others still run), 130/143 on a signal.
 */
export async function runSampleSheet(
  sheet: string,
  options: PredictOptions,
  runOne: typeof PredictOutcomeFunction,
): Promise<number> {
  const command = ['virnucpro', ...process.argv.slice(2)];
  const fail = (error: unknown) => {
    if (!(error instanceof PredictError)) throw error;
    process.stderr.write(`virnucpro predict: ${error.message}\n`);
    return error.exitCode === 2 ? 2 : 1;
  };
  // the predictor takes the models and engine options, each sample's run the rest
  const { outDir, rna, renameDuplicates } = options;
  const poolOptions = pick(options, Object.keys(predictorOptionsSchema.shape)) as PredictorOptions;
  const runOptions = pick(options, Object.keys(predictRunOptionsSchema.shape));
  let samples: Sample[];
  let predictor: Predictor;
  try {
    samples = await readSampleSheet(sheet, {
      rna: Boolean(rna),
      renameDuplicates: Boolean(renameDuplicates),
    });
    await checkOutputFolder(outDir, options);
    predictor = await createPredictor(poolOptions);
  } catch (error) {
    return fail(error);
  }
  const created = !existsSync(outDir);
  let lock: RunFolder;
  try {
    await mkdir(outDir, { recursive: true });
    lock = await RunFolder.hold(outDir);
  } catch (error) {
    await predictor.close();
    if (created) await rmdir(outDir).catch(() => undefined);
    return fail(error);
  }
  const rows: SampleRow[] = samples.map((sample) => ({ sample, status: 'pending', outcome: null }));
  const listingFile = path.join(outDir, SAMPLES_LISTING);
  let listed = writeSheetFiles(outDir, rows);
  const runSample = async (k: number, row: SampleRow) => {
    process.stderr.write(`sample ${row.sample.name} (${k + 1} of ${rows.length})\n`);
    const run = { ...runOptions, inputs: row.sample.inputs, outDir: path.join(outDir, row.sample.name) };
    // plain lines: two samples' progress would interleave
    row.outcome = await runOne({ ...options, ...run }, false, command, (_, hooks) =>
      predictor.predict(run, hooks),
    );
    row.status = statusOf(row.outcome);
    listed = listed.then(() => writeSheetFiles(outDir, rows));
    await listed;
  };
  try {
    // Two samples in flight: the predictor gives the workers one run's jobs at a time, so the next
    // sample's work starts while the one before writes its files.
    const inFlight = new Set<Promise<void>>();
    for (const [k, row] of rows.entries()) {
      while (inFlight.size >= SAMPLES_IN_FLIGHT) await Promise.race(inFlight);
      if (rows.some((other) => other.status === 'interrupted')) break;
      const running: Promise<void> = runSample(k, row).finally(() => inFlight.delete(running));
      inFlight.add(running);
    }
    await Promise.all(inFlight);
    await listed;
    const stopped = rows.find((row) => row.status === 'interrupted');
    if (stopped?.outcome) return stopped.outcome.exitCode;
  } catch (error) {
    return fail(error);
  } finally {
    await predictor.close();
    await lock.release();
  }
  const failed = rows.filter((row) => row.status !== 'done');
  for (const { sample, status, outcome } of failed)
    process.stderr.write(
      `sample ${sample.name}: ${status}${outcome?.failure ? ` (${outcome.failure})` : ''}\n`,
    );
  process.stderr.write(
    `${rows.length - failed.length} of ${rows.length} samples done; listed in ${listingFile}\n`,
  );
  return failed.length > 0 ? 2 : 0;
}
