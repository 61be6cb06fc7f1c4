import { existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm } from 'node:fs/promises';
import path from 'node:path';
import { packageVersion } from '../native';
import { writeFileAtomic } from '../io/atomic-write';
import { stopsAllWrites as isUnwritable } from '../io/file-errors';
import { PREDICTION_PLOT } from './plot';
import type { ParsedPredictOptions } from './predict-schema';
import { writePredictionOutputs } from './predict-outputs';
import { RUN_REPORT, RUN_REPORT_FILES, writeRunReport } from './run-report';
import { embedAndClassify } from './predict-jobs';
import { checkInputs, nonAcgtWarning } from './check-inputs';
import { PredictError, PredictInterrupted } from './predict-errors';
import type { PredictEngine } from './predict-engine';
import { runChunkSize, runFingerprint } from './predict-models';
import {
  HIGHEST_SCORE,
  intermediateNames,
  inputStem,
  PREDICTION_RESULTS,
  PREDICTION_SUMMARY,
  sourceName,
} from './prediction-files';
import { prepareShards, type PrepareResult } from './prepare';
import { checkWritablePath, RUN_LOG, RUN_RECORD, RunFolder, WORK_DIR, type RunRecord } from './run-folder';
import { VIRAL_HITS, VIRAL_HITS_FASTQ, writeViralHits } from './viral-hits';
import type { PredictEvent, PredictFiles, PredictHooks, PredictResult, PredictStage } from './predict';

// The stages of one predict run, for predict() (its own engine) and a predictor (one engine for many
// runs). Each stage reads what the previous one wrote in OUTDIR/.virnucpro-work, every file there is
// written atomically, and every job output carries the fingerprint of what it was made from, so a killed
// run resumes from the last complete file and finishes with the same bytes as an uninterrupted one.

const EMBEDDINGS_DIR = 'embeddings';
type Options = ParsedPredictOptions;

/** The final files every run writes, by name in the folder. */
const FINAL_FILES = {
  predictions: PREDICTION_RESULTS,
  highestScore: HIGHEST_SCORE,
  summary: PREDICTION_SUMMARY,
  plot: PREDICTION_PLOT,
  runRecord: RUN_RECORD,
  viralHits: VIRAL_HITS,
  viralHitsFastq: VIRAL_HITS_FASTQ,
  report: RUN_REPORT,
};

function finalFiles(outDir: string, hitsFiles: string[]): PredictFiles {
  const written = Object.entries(FINAL_FILES).filter(
    ([, name]) => ![VIRAL_HITS, VIRAL_HITS_FASTQ].includes(name) || hitsFiles.includes(name),
  );
  const entries = written.map(([key, name]) => [key, path.join(outDir, name)]);
  return Object.fromEntries(entries);
}

/**
 * Every path this run may write in the folder (recorded so a later --force deletes exactly these), with
 * those of the run it resumes (the same run, by its fingerprint). Kept embeddings are added by name
 * when they are moved out of the work folder.
 */
function plannedFiles(options: Options, chunkSize: number, resumed: RunRecord | null): string[] {
  const files = new Set([
    ...Object.values(FINAL_FILES),
    ...RUN_REPORT_FILES,
    RUN_LOG,
    WORK_DIR,
    ...(resumed?.files ?? []),
  ]);
  const add = (names: string[]) => names.forEach((name) => files.add(name));
  if (options.keepIntermediate) {
    for (const input of options.inputs) add(Object.values(intermediateNames(inputStem(input), chunkSize)));
  }
  if (options.report && path.resolve(path.dirname(options.report)) === path.resolve(options.outDir)) {
    add([path.basename(options.report)]);
  }
  return [...files];
}

/**
 * The run: checks, the folder, the stages. `engine` gives the models and workers once the run's own
 * checks passed (so a one-shot run refuses bad inputs before it checks the models); `jobsDone` is
 * called once the run will give the workers no more jobs (a predictor starts its next run then).
 */
export async function predictWith(
  engine: () => Promise<PredictEngine>,
  options: Options,
  hooks: PredictHooks,
  jobsDone: () => void = () => {},
): Promise<PredictResult> {
  const started = new Date();
  const timings = new StageTimings();
  const emit = (event: PredictEvent) => {
    timings.see(event);
    hooks.onEvent?.(event);
  };
  // Everything cheap is checked before anything is created.
  await checkWritablePath(options.outDir, 'the output folder', 'folder');
  if (options.report) await checkWritablePath(options.report, 'the report', 'file', [options.outDir]);
  const inputs = await checkInputs(options.inputs, {
    rna: options.rna,
    renameDuplicates: options.renameDuplicates,
  });
  const { models, pool } = await engine();
  const chunkSize = runChunkSize(models, options.chunkSize);
  for (const message of pool.notes) emit({ type: 'info', message });
  const { dtype, deterministic } = pool.numericOptions;
  const fingerprint = await runFingerprint(inputs, models, {
    dtype,
    deterministic,
    chunkSize,
    shardSize: options.shardSize,
    renameDuplicates: options.renameDuplicates,
    rna: options.rna,
    keepIntermediate: options.keepIntermediate,
  });
  const folder = await RunFolder.claim(options.outDir, {
    resume: options.resume,
    force: options.force,
    fingerprint,
    inputs: options.inputs,
    lockWait: options.lockWait,
  });
  let record: RunRecord = {
    format: 'virnucpro-run/1',
    fingerprint,
    files: plannedFiles(options, chunkSize, folder.resumed),
    complete: false,
    version: packageVersion(),
    command: hooks.command ?? null,
    options: { ...options, chunkSize, dtype },
    models: Object.fromEntries(Object.entries(fingerprint).filter(([key]) => key.endsWith(' model'))),
    inputs: fingerprint.inputs as unknown[],
    started: started.toISOString(),
    ended: null,
    resumed: folder.resumed !== null,
  };
  try {
    if (folder.resumed?.complete) {
      emit({ type: 'info', message: `${options.outDir}: this run is already complete; nothing to do` });
      return { ...(folder.resumed.result as PredictResult), alreadyComplete: true };
    }
    await folder.writeRecord(record);
    const prepared = await prepareStage(options, folder, chunkSize, emit, hooks.signal);
    if (options.keepIntermediate) await takeBackKeptEmbeddings(folder);
    const shards = await embedAndClassify(pool, models, folder, prepared, fingerprint, emit, hooks.signal);
    jobsDone();
    emit({ type: 'stage', stage: 'write', total: prepared.records, unit: 'records' });
    const summaryOptions = { chunkSize, minScore: options.minScore, plot: options.plot };
    const { calls } = await writePredictionOutputs(
      folder.dir,
      folder.workDir,
      { ...summaryOptions, sources: options.inputs.map(sourceName) },
      shards.scored,
    );
    const { count: viralHits, files: hitsFiles } = await writeViralHits(folder.dir, options);
    emit({ type: 'advance', stage: 'write', amount: prepared.records });
    emit({ type: 'stage-done', stage: 'write' });
    const files = finalFiles(options.outDir, hitsFiles);
    if (options.keepIntermediate)
      files.intermediates = prepared.intermediates.map((name) => path.join(options.outDir, name));
    if (options.keepIntermediate && shards.failed.length === 0) {
      record = await keepEmbeddings(folder, record);
      files.embeddings = path.join(options.outDir, EMBEDDINGS_DIR);
    }
    const result: PredictResult = {
      exitCode: shards.failed.length > 0 ? 2 : 0,
      outDir: options.outDir,
      files,
      records: prepared.records,
      frames: prepared.frames,
      embedded: shards.embedded,
      calls,
      failed: shards.failed,
      alreadyComplete: false,
    };
    if (prepared.nonAcgtRecords > 0)
      emit({ type: 'warning', message: nonAcgtWarning(prepared.nonAcgtRecords) });
    if (options.report) {
      const report = {
        ...result,
        inputs: options.inputs,
        chunkSize,
        chunks: prepared.chunks,
        shards: prepared.shards.length,
        renames: prepared.renames,
        emptyRecords: prepared.emptyRecords,
        pool: shards.stats,
      };
      await writeFileAtomic(options.report, `${JSON.stringify(report, null, 2)}\n`);
    }
    const finished: RunRecord = {
      ...record,
      complete: shards.failed.length === 0,
      ended: new Date().toISOString(),
      counts: {
        records: prepared.records,
        emptyRecords: prepared.emptyRecords,
        nonAcgtRecords: prepared.nonAcgtRecords,
        chunks: prepared.chunks,
        frames: prepared.frames,
        shards: prepared.shards.length,
        failedShards: shards.failed.length,
        renamedIds: prepared.renames.length,
        viralHits,
        calls,
      },
      renames: prepared.renames.slice(0, 100),
      timings: timings.seconds(),
      engine: pool.settings,
      result,
    };
    await writeRunReport(folder.dir, finished);
    await folder.writeRecord(finished);
    if (finished.complete) await rm(folder.workDir, { recursive: true, force: true });
    return result;
  } finally {
    await folder.release();
  }
}

/** Seconds from each stage's start to its end, as the events tell them. */
class StageTimings {
  private readonly started = new Map<PredictStage, number>();
  private readonly spent: Partial<Record<PredictStage, number>> = {};

  see(event: PredictEvent): void {
    if (event.type === 'stage') this.started.set(event.stage, performance.now());
    if (event.type !== 'stage-done') return;
    const start = this.started.get(event.stage);
    if (start !== undefined) this.spent[event.stage] = Math.round(performance.now() - start) / 1000;
  }

  seconds(): Record<string, number> {
    return { ...this.spent };
  }
}

const PREPARED_FILE = 'prepared.json';

/** Stage 1: chunks and frames into shards (redone whole unless it finished: it is cheap and pure). */
async function prepareStage(
  options: Options,
  folder: RunFolder,
  chunkSize: number,
  emit: (event: PredictEvent) => void,
  signal: AbortSignal | undefined,
): Promise<PrepareResult> {
  const preparedFile = path.join(folder.workDir, PREPARED_FILE);
  if (existsSync(preparedFile)) {
    const prepared = JSON.parse(await readFile(preparedFile, 'utf8')) as PrepareResult;
    for (const { from, to } of prepared.renames)
      emit({ type: 'warning', message: `duplicate id "${from}" renamed to "${to}"` });
    return prepared;
  }
  await mkdir(folder.workDir, { recursive: true });
  emit({ type: 'stage', stage: 'prepare', total: null, unit: 'records' });
  let reported = 0;
  let prepared: PrepareResult;
  try {
    prepared = await prepareShards({
      inputs: options.inputs,
      workDir: folder.workDir,
      chunkSize,
      shardSize: options.shardSize,
      renameDuplicates: options.renameDuplicates,
      rna: options.rna,
      intermediateDir: options.keepIntermediate ? folder.dir : null,
      onRecords: (records) => {
        emit({ type: 'advance', stage: 'prepare', amount: records - reported });
        reported = records;
      },
      onWarning: (message) => emit({ type: 'warning', message }),
      signal,
    });
  } catch (error) {
    // stopped, or a full disk: the record stays, so --resume redoes this stage
    if (error instanceof PredictInterrupted || isUnwritable(error)) throw error;
    // bad input: leave nothing behind
    await rm(folder.workDir, { recursive: true, force: true });
    await rm(folder.path('run.json'), { force: true });
    throw error instanceof PredictError
      ? error
      : new PredictError((error as Error).message, 'E_INPUT', { cause: error });
  }
  await writeFileAtomic(preparedFile, JSON.stringify(prepared));
  emit({ type: 'stage-done', stage: 'prepare' });
  return prepared;
}

/**
 * A run that failed after moving the kept embeddings out of the work folder (say, on a full disk while
 * recording that it finished) resumes from them instead of embedding again.
 */
async function takeBackKeptEmbeddings(folder: RunFolder): Promise<void> {
  for (const kept of folder.resumed?.files ?? []) {
    if (!kept.startsWith(`${EMBEDDINGS_DIR}/`) || !existsSync(folder.path(kept))) continue;
    const work = path.join(folder.workDir, path.relative(EMBEDDINGS_DIR, kept));
    await mkdir(path.dirname(work), { recursive: true });
    await rename(folder.path(kept), work);
  }
}

/**
 * --keep-intermediate: the shards' embeddings move out of the work folder of a complete run, one file at
 * a time (a user's files under embeddings/ stay), each recorded as the run's own before it moves.
 */
async function keepEmbeddings(folder: RunFolder, record: RunRecord): Promise<RunRecord> {
  const moves: { from: string; to: string }[] = [];
  for (const model of ['dnabert-s', 'esm2']) {
    const names = await readdir(path.join(folder.workDir, model)).catch(() => [] as string[]);
    for (const name of names.filter((file) => file.endsWith('.safetensors'))) {
      moves.push({
        from: path.join(folder.workDir, model, name),
        to: path.join(EMBEDDINGS_DIR, model, name),
      });
    }
  }
  const kept = { ...record, files: [...new Set([...record.files, ...moves.map((move) => move.to)])] };
  await folder.writeRecord(kept);
  for (const { from, to } of moves) {
    await mkdir(path.dirname(folder.path(to)), { recursive: true });
    await rename(from, folder.path(to));
  }
  return kept;
}
