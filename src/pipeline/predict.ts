import { z } from 'zod';
import type { PredictOptions } from './predict-options';
import { predictOptionsSchema, type ParsedPredictOptions } from './predict-schema';
import type { EmbeddingCounts, ShardFailure } from './predict-jobs';
import { PredictError } from './predict-errors';
import { startPredictEngine, type PredictEngine } from './predict-engine';
import type { RecordCall } from './prediction-files';
import { predictWith } from './predict-run';

// `predict`: FASTA or FASTQ in, VirNucPro's prediction files out. Here: its public types and the one-shot
// predict(), which starts the workers for one run; the run's stages are in predict-run.ts. The parsed
// options stay internal, so these declarations do not reach into zod.

export type { PredictOptions, PredictorOptions, PredictRunOptions } from './predict-options';
export type { EmbeddingCounts, ShardFailure } from './predict-jobs';

export type PredictStage = 'prepare' | 'dnabert-s' | 'esm2' | 'classify' | 'write';

export type PredictEvent =
  | { type: 'stage'; stage: PredictStage; total: number | null; unit: string }
  /** `skipped`: work a resumed run found done (not counted in rates) */
  | { type: 'advance'; stage: PredictStage; amount: number; tokens?: number; skipped?: boolean }
  | { type: 'stage-done'; stage: PredictStage }
  | { type: 'warning'; message: string }
  | { type: 'info'; message: string };

export interface PredictHooks {
  onEvent?: (event: PredictEvent) => void;
  /**
   * aborting stops this run's jobs (a worker busy with one is stopped; a predictor starts it again for
   * its next run); the run stops with PredictInterrupted and can be resumed
   */
  signal?: AbortSignal;
  /** the command line that started the run, recorded in run.json (the CLI passes its own) */
  command?: string[];
}

/** The paths of a run's output files (joined to `outDir`). */
export interface PredictFiles {
  /** prediction_results.txt: every frame's scores */
  predictions: string;
  /** prediction_results_highestscore.csv: the call of every chunk */
  highestScore: string;
  /** prediction_summary.tsv: one row per input record */
  summary: string;
  /** prediction_plot.svg: the run overview */
  plot: string;
  /** run.json: the run record */
  runRecord: string;
  /** viral_hits.fa: the FASTA input records called virus (absent when every input is FASTQ) */
  viralHits?: string;
  /** viral_hits.fq: the FASTQ input records called virus, as read (absent when no input is FASTQ) */
  viralHitsFastq?: string;
  /** report.html: the run report (the MultiQC files beside it are not listed) */
  report: string;
  /** virnucpro.log: what the CLI printed (absent for library calls) */
  log?: string;
  /** with keepIntermediate: the chunked and identified FASTA files */
  intermediates?: string[];
  /** with keepIntermediate: the folder of the embeddings */
  embeddings?: string;
}

export interface PredictResult {
  /** 0 all done, 2 partial (shards failed after retries; listed in `failed`) */
  exitCode: 0 | 2;
  outDir: string;
  files: PredictFiles;
  records: number;
  frames: number;
  embedded: EmbeddingCounts;
  calls: Record<RecordCall, number>;
  failed: ShardFailure[];
  alreadyComplete: boolean;
}

function parse(input: PredictOptions): ParsedPredictOptions {
  const parsed = predictOptionsSchema.safeParse(input);
  if (!parsed.success)
    throw new PredictError(`invalid predict options: ${z.prettifyError(parsed.error)}`, 'E_USAGE');
  return parsed.data;
}

/** One run on its own: the workers start for it and stop after it (a predictor keeps them for many). */
export async function predict(input: PredictOptions, hooks: PredictHooks = {}): Promise<PredictResult> {
  const options = parse(input);
  let engine: PredictEngine | null = null;
  try {
    return await predictWith(async () => (engine = await startPredictEngine(options)), options, hooks);
  } finally {
    await (engine as PredictEngine | null)?.close();
  }
}
