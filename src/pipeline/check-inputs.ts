import path from 'node:path';
import { formatLintReport, lintErrors, lintFastaFiles } from '../io/fasta-lint';
import { PredictError } from './predict-errors';
import type { InputHash } from './predict-models';

// predict's first step: the checks of `virnucpro validate` on every input (FASTA or FASTQ), before
// anything is created, so protein, RNA without --rna, bad characters (digits included), bad qualities or
// broken files stop the run at once. The same pass hashes each file for the run's fingerprint, so an
// input is read twice in all (here, and by the prepare stage), not three times.

export async function checkInputs(
  inputs: string[],
  options: { rna: boolean; renameDuplicates: boolean },
): Promise<InputHash[]> {
  const reports = await lintFastaFiles(inputs, {
    rna: options.rna,
    duplicateIds: options.renameDuplicates ? 'allow' : 'error',
    hash: true,
  });
  const failed = reports
    .filter((report) => lintErrors(report) > 0)
    .map((report) =>
      formatLintReport({ ...report, problems: report.problems.filter((p) => p.severity === 'error') }),
    );
  if (failed.length > 0) {
    throw new PredictError(
      `the input is not nucleotide FASTA or FASTQ predict can read:\n${failed.join('\n')}`,
      'E_INPUT_REJECTED',
    );
  }
  return reports.map((report) => ({ path: path.resolve(report.file), sha256: report.sha256 as string }));
}

/** The one warning line a run ends with when records had bases other than A, C, G, T. */
export function nonAcgtWarning(records: number): string {
  const which = records === 1 ? '1 record has' : `${records} records have`;
  return `${which} bases other than A, C, G, T (N, IUPAC codes or gaps); codons holding them were dropped, as VirNucPro does (Non_ACGT column of prediction_summary.tsv)`;
}
