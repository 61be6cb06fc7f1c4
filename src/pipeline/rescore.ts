import path from 'node:path';
import { AtomicFileWriter, writeFileAtomic } from '../io/atomic-write';
import { idBytes } from '../io/fasta';
import { sha256File } from '../io/fingerprint';
import { PREDICTION_PLOT, plotChunks, RunOverview, type PlotSelection } from './plot';
import { PredictError } from './predict-errors';
import {
  ChunkScores,
  HIGHEST_SCORE,
  highestScoreTable,
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
import { VIRAL_HITS, writeViralHits } from './viral-hits';

// `rescore`: a finished run's calls again under another --min-score, from the scores it saved
// (prediction_results.txt holds every frame's): the highest-score table, the summary, viral_hits.fa and
// the plot are rewritten and run.json updated, then the run report, without embedding anything again.

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
}

interface RunOptions {
  inputs: string[];
  renameDuplicates: boolean;
  chunkSize: number;
  minScore?: number;
  plot: PlotSelection;
}

/** The run's inputs (absolute paths); they must be unchanged, since viral_hits.fa copies their records. */
async function runInputs(run: RunRecord): Promise<string[]> {
  const inputs = (run.inputs ?? []) as { path: string; sha256: string }[];
  for (const input of inputs) {
    const hash = await sha256File(input.path).catch(() => null);
    if (hash !== input.sha256) {
      throw new PredictError(
        `${input.path}: ${hash === null ? 'missing' : 'changed'} since the run; rescore needs the run's inputs`,
        'E_CHANGED',
      );
    }
  }
  return inputs.map((input) => input.path);
}

/** The summary again under `minScore`; returns the per-chunk maxima and the calls. */
async function rewriteSummary(outDir: string, options: RunOptions, minScore: number, overview: RunOverview) {
  const all = new ChunkScores();
  const calls: Record<RecordCall, number> = { virus: 0, others: 0, no_frame: 0, empty: 0, not_scored: 0 };
  const summary = await AtomicFileWriter.open(path.join(outDir, PREDICTION_SUMMARY));
  try {
    await summary.write(summaryHeader(options.inputs.length > 1));
    for await (const saved of readSavedRecords(outDir)) {
      const scores = new ChunkScores();
      for (const frame of saved.frames) {
        scores.add(frame);
        all.add(frame);
      }
      const chunkIds = Array.from({ length: saved.chunks }, (_, k) => `${saved.id}_chunk_${k + 1}`);
      const known = new Set(chunkIds);
      const unknown = saved.frames.find((frame) => !known.has(modifiedId(frame.id)));
      if (unknown)
        throw new PredictError(`${outDir}: frame ${unknown.id} is of no chunk of ${saved.id}`, 'E_INPUT');
      const record = summarizeRecord(saved.id, saved.length, chunkIds, scores, saved.nonAcgt, minScore);
      calls[record.call]++;
      await summary.write(idBytes(summaryLine(record, saved.source)));
      overview.add(record, () => plotChunks(saved.id, saved.length, options.chunkSize, scores, minScore));
    }
    await summary.commit();
  } catch (error) {
    await summary.abort();
    throw error;
  }
  return { all, calls };
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
  const inputs = await runInputs(run);
  const folder = await RunFolder.hold(outDir);
  try {
    const overview = new RunOverview(options.plot ?? runOptions.plot, runOptions.chunkSize);
    const { all, calls } = await rewriteSummary(outDir, runOptions, minScore, overview);
    await writeFileAtomic(path.join(outDir, HIGHEST_SCORE), idBytes(highestScoreTable(all, minScore)));
    const viralHits = await writeViralHits(outDir, { ...runOptions, inputs });
    await writeFileAtomic(path.join(outDir, PREDICTION_PLOT), await overview.svg());
    const records = Object.values(calls).reduce((sum, n) => sum + n, 0);
    const result = run.result as Record<string, unknown> | undefined;
    await folder.writeRecord({
      ...run,
      options: { ...runOptions, minScore, plot: options.plot ?? runOptions.plot },
      counts: { ...run.counts, viralHits, calls },
      result: result && { ...result, calls },
      rescored: { at: new Date().toISOString(), minScore },
      files: [...new Set([...run.files, VIRAL_HITS])],
    });
    await writeRunReport(outDir);
    return { outDir, minScore, records, calls, viralHits };
  } finally {
    await folder.release();
  }
}
