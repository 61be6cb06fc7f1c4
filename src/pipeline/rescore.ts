import { createHash, type Hash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import path from 'node:path';
import { AtomicFileWriter, writeFileAtomic } from '../io/atomic-write';
import { FastaError } from '../io/fasta';
import { TextSink } from '../io/text-sink';
import { HighestScoreWriter } from './highest-score';
import { PREDICTION_PLOT, plotChunks, RunOverview, type PlotSelection } from './plot';
import { PredictError } from './predict-errors';
import {
  ChunkScores,
  modifiedId,
  PREDICTION_SUMMARY,
  summarizeRecord,
  summaryHeader,
  summaryLine,
  type RecordCall,
} from './prediction-files';
import { readRunRecord, readSavedRecords } from './record-calls';
import { RunFolder, type RunRecord } from './run-folder';
import { writeRunReport } from './run-report';
import { ViralHitsWriter, type ViralHits } from './viral-hits';

// `rescore`: a finished run's calls again under another --min-score, from the scores it saved
// (prediction_results.txt holds every frame's): the highest-score table, the summary, viral_hits.fa / .fq and
// the plot are rewritten and run.json updated, then the run report, without embedding anything again. One pass: the saved
// records are read once, in input order, beside the inputs (read once, for viral_hits.fa / .fq, and hashed on
// the way to prove they are the run's); the highest-score table goes through the same external sort as
// predict's, so memory stays flat in the number of reads. Nothing is replaced until all of it is made.

export interface RescoreOptions {
  /** the output folder of a finished predict run */
  outDir: string;
  /** a chunk is called virus only when VirNucPro's rule calls it so and its best virus score is at least this */
  minScore: number;
  /** the plot's tracks (default: the run's own choice) */
  plot?: PlotSelection;
}

export interface RescoreResult {
  outDir: string;
  minScore: number;
  records: number;
  calls: Record<RecordCall, number>;
  viralHits: number;
  /** viral_hits.fa and/or viral_hits.fq, by the inputs' formats */
  viralHitsFiles: string[];
}

interface RunOptions {
  inputs: string[];
  renameDuplicates: boolean;
  chunkSize: number;
  minScore?: number;
  plot: PlotSelection;
}

type RunInput = { path: string; sha256: string };

function changedInput(input: RunInput, how: 'missing' | 'changed'): PredictError {
  return new PredictError(`${input.path}: ${how} since the run; rescore needs the run's inputs`, 'E_CHANGED');
}

/** The run's inputs (absolute paths, their sha256 when the run read them), each still there. */
function runInputs(run: RunRecord): RunInput[] {
  const inputs = (run.inputs ?? []) as RunInput[];
  const missing = inputs.find((input) => !existsSync(input.path));
  if (missing) throw changedInput(missing, 'missing');
  return inputs;
}

interface Rescored {
  calls: Record<RecordCall, number>;
  viralHits: ViralHits;
}

/**
 * The summary, the highest-score table and viral_hits.fa under `minScore`, in one pass over the saved
 * records and the inputs; each file is complete or absent, and none is replaced unless every input
 * hashed as the run recorded.
 */
async function rewriteCalls(
  outDir: string,
  scratchDir: string,
  options: RunOptions,
  inputs: RunInput[],
  minScore: number,
  overview: RunOverview,
): Promise<Rescored> {
  const calls: Record<RecordCall, number> = { virus: 0, others: 0, no_frame: 0, empty: 0, not_scored: 0 };
  const hashes: Hash[] = inputs.map(() => createHash('sha256'));
  const summaryFile = path.join(outDir, PREDICTION_SUMMARY);
  const highest = new HighestScoreWriter(path.join(scratchDir, 'highest-score-runs'), minScore);
  const summary = new TextSink(await AtomicFileWriter.open(summaryFile));
  let hits: ViralHitsWriter | null = null;
  try {
    hits = await ViralHitsWriter.open(outDir, {
      inputs: inputs.map((input) => input.path),
      renameDuplicates: options.renameDuplicates,
      onFileBytes: (index, bytes) => hashes[index].update(bytes),
    });
    await summary.add(summaryHeader(options.inputs.length > 1));
    let row = 1;
    for await (const saved of readSavedRecords(outDir)) {
      row++;
      const scores = new ChunkScores();
      for (const frame of saved.frames) scores.add(frame);
      const chunkIds = Array.from({ length: saved.chunks }, (_, k) => `${saved.id}_chunk_${k + 1}`);
      const known = new Set(chunkIds);
      const unknown = saved.frames.find((frame) => !known.has(modifiedId(frame.id)));
      if (unknown)
        throw new PredictError(`${outDir}: frame ${unknown.id} is of no chunk of ${saved.id}`, 'E_INPUT');
      const record = summarizeRecord(saved.id, saved.length, chunkIds, scores, saved.nonAcgt, minScore);
      calls[record.call]++;
      await summary.add(summaryLine(record, saved.source));
      await highest.add(scores);
      await hits.add(saved.id, record.call, `${summaryFile}:${row}`);
      overview.add(record, () => plotChunks(saved.id, saved.length, options.chunkSize, scores, minScore));
    }
    const viralHits = await hits.finish(`${summaryFile}:${row + 1}`);
    const changed = inputs.find((input, k) => hashes[k].digest('hex') !== input.sha256);
    if (changed) throw changedInput(changed, 'changed');
    await summary.flush();
    await highest.write(outDir);
    await summary.writer.commit();
    await hits.commit();
    return { calls, viralHits };
  } catch (error) {
    await summary.writer.abort();
    await hits?.abort();
    // the run read these inputs without fault: one that fails now has changed
    const unreadable = error instanceof FastaError && inputs.find((input) => input.path === error.file);
    if (unreadable) throw changedInput(unreadable, 'changed');
    throw error;
  }
}

export async function rescore(options: RescoreOptions): Promise<RescoreResult> {
  const { outDir, minScore } = options;
  if (!(minScore >= 0 && minScore <= 1)) {
    throw new PredictError(`--min-score must be between 0 and 1, got ${minScore}`, 'E_USAGE');
  }
  const run = await readRunRecord(outDir);
  if (!run.complete) {
    throw new PredictError(
      `${outDir}: its predict run has not finished; rerun predict there with --resume`,
      'E_FOLDER',
    );
  }
  const runOptions = run.options as RunOptions | undefined;
  if (!runOptions)
    throw new PredictError(`${outDir}: run.json is from a version without rescore`, 'E_FOLDER');
  const inputs = runInputs(run);
  const folder = await RunFolder.hold(outDir);
  try {
    const overview = new RunOverview(options.plot ?? runOptions.plot, runOptions.chunkSize);
    const { calls, viralHits: hits } = await rewriteCalls(
      outDir,
      folder.workDir,
      runOptions,
      inputs,
      minScore,
      overview,
    );
    await writeFileAtomic(path.join(outDir, PREDICTION_PLOT), await overview.svg());
    const records = Object.values(calls).reduce((sum, n) => sum + n, 0);
    const result = run.result as Record<string, unknown> | undefined;
    await folder.writeRecord({
      ...run,
      options: { ...runOptions, minScore, plot: options.plot ?? runOptions.plot },
      counts: { ...run.counts, viralHits: hits.count, calls },
      result: result && { ...result, calls },
      rescored: { at: new Date().toISOString(), minScore },
      files: [...new Set([...run.files, ...hits.files])],
    });
    await writeRunReport(outDir);
    return { outDir, minScore, records, calls, viralHits: hits.count, viralHitsFiles: hits.files };
  } finally {
    // a finished run has no work folder: this one held only the sort's scratch files
    await rm(folder.workDir, { recursive: true, force: true });
    await folder.release();
  }
}
