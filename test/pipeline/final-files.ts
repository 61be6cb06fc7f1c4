import { readFileSync } from 'node:fs';
import path from 'node:path';

/** The files every predict run writes whose bytes depend only on its inputs, models and options. */
export const FINAL_FILES = [
  'prediction_results.txt',
  'prediction_results_highestscore.csv',
  'prediction_summary.tsv',
  'prediction_plot.svg',
  'viral_hits.fa',
];

/** Their contents in a run folder, in FINAL_FILES' order. */
export const readFinalFiles = (outDir: string): string[] =>
  FINAL_FILES.map((name) => readFileSync(path.join(outDir, name), 'utf8'));
