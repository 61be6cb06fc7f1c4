import type { Command } from 'commander';
import { formatLintReport, lintErrors, lintFastaFiles } from '../../io/fasta-lint';

// `virnucpro validate FILE...`: the FASTA and FASTQ checks predict makes before any work, reported all at once
// with file and line, plus warnings (empty records) that do not stop predict.

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description(
      'check FASTA or FASTQ files: format, duplicate ids, empty records, non-IUPAC characters, protein, RNA, qualities',
    )
    .argument('<files...>', 'FASTA or FASTQ files, plain or gzip (told by content)')
    .option('--rna', 'read U as T (as predict --rna does) instead of reporting it')
    .action(async (files: string[], o: { rna?: boolean }) => {
      const reports = await lintFastaFiles(files, { rna: Boolean(o.rna) });
      for (const report of reports) console.log(formatLintReport(report));
      if (reports.some((report) => lintErrors(report) > 0)) process.exitCode = 1;
    });
}
