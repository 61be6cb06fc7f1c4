import path from 'node:path';
import { writeFileAtomic } from '../io/atomic-write';
import { MULTIQC_FILES, multiqcContent } from './multiqc-content';
import { readRunRecord } from './record-calls';
import { DEFAULT_REPORT_ROWS, readReportData } from './report-data';
import { renderReportHtml } from './report-html';
import type { RunRecord } from './run-folder';

// The files people look at, written last into a finished run folder from its run record and result
// files: report.html, and the MultiQC custom content. predict, rescore and merge call this; it reads
// only the folder, so any of them can.

export const RUN_REPORT = 'report.html';
/** every name this writes, for run.json's file list */
export const RUN_REPORT_FILES = [RUN_REPORT, ...MULTIQC_FILES];

export interface RunReportOptions {
  /** the sample name (default: the folder's name) */
  sample?: string;
}

/**
 * Writes report.html and, unless the run's options say `multiqc: false`, the MultiQC files into
 * `outDir`, each complete or absent. `run` is the run record as it will be saved (default: the
 * folder's run.json); its options give --report-rows.
 */
export async function writeRunReport(
  outDir: string,
  run?: RunRecord,
  options: RunReportOptions = {},
): Promise<void> {
  const record = run ?? (await readRunRecord(outDir));
  const runOptions = (record.options ?? {}) as { reportRows?: number; multiqc?: boolean };
  const rowsLimit = runOptions.reportRows ?? DEFAULT_REPORT_ROWS;
  const name = options.sample ?? path.basename(path.resolve(outDir));
  const data = await readReportData(outDir, record, rowsLimit);
  await writeFileAtomic(path.join(outDir, RUN_REPORT), renderReportHtml(record, data, { name, rowsLimit }));
  if (runOptions.multiqc === false) return;
  for (const [file, text] of Object.entries(multiqcContent(name, data))) {
    await writeFileAtomic(path.join(outDir, file), text);
  }
}
