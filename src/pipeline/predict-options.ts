import type { EngineOptionsInput } from '../embed/engine-options';
import type { PlotSelection } from './plot';

// predict's options as callers write them: a predictor's, a run's, and a one-shot run's (both). The zod schema that checks them (predict-schema.ts) stays
// internal; a compile-time check there keeps the two in step.

/** What a predictor holds for all its runs: the models and the workers that load them. */
export interface PredictorOptions extends Omit<EngineOptionsInput, 'persistent'> {
  /** folder with the exported esm2/, dnabert-s/ and classifier/ */
  models: string;
}

/** One predict run: its inputs, its output folder and what it writes. */
export interface PredictRunOptions {
  /** FASTA files, plain or gzip, read in this order */
  inputs: string[];
  /** the output folder (created; must be new or empty unless `resume` or `force`) */
  outDir: string;
  /** must match the classifier's (default: the classifier's) */
  chunkSize?: number;
  /** continue an interrupted run in `outDir` (same inputs, models and options) */
  resume?: boolean;
  /** delete the files an earlier run recorded in `outDir` and start over */
  force?: boolean;
  /** also keep the chunked and identified FASTA files and the embeddings */
  keepIntermediate?: boolean;
  /** suffix repeated record ids with _2, _3 instead of failing */
  renameDuplicates?: boolean;
  /** read U as T (RNA input); without it, input holding U is refused */
  rna?: boolean;
  /**
   * a chunk (and so a record) is called virus only when VirNucPro's rule calls it so and its best
   * virus score is at least this (default 0: VirNucPro's rule alone)
   */
  minScore?: number;
  /** the records whose score tracks the plot draws: the `count` best by virus score (default 20), or these ids */
  plot?: PlotSelection;
  /** frames per shard file, the unit of embedding work and of resume (default 10000) */
  shardSize?: number;
  /** write a JSON report of the run here (default none); report.html is written regardless */
  report?: string | null;
  /** seconds to wait while another live run holds `outDir` before refusing (default 180) */
  lockWait?: number;
  /** the records table of report.html holds this many, the best by virus score (default 10000) */
  reportRows?: number;
  /**
   * write the MultiQC custom content (virnucpro_mqc.tsv, virnucpro_calls_mqc.tsv; default true); the
   * workflow's shard runs turn it off so that only the merged folder is counted
   */
  multiqc?: boolean;
}

/** A one-shot run: the predictor's options and the run's together (`persistent: false` only here). */
export interface PredictOptions extends EngineOptionsInput, PredictRunOptions {
  /** folder with the exported esm2/, dnabert-s/ and classifier/ */
  models: string;
}
