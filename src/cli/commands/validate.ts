import type { Command } from 'commander';
import path from 'node:path';
import { FastaError, readFasta } from '../../io/fasta';

// `virnucpro validate FILE...`: the FASTA checks predict makes, plus the ones it does not (characters
// outside the IUPAC nucleotide codes), reported all at once with file and line instead of stopping
// at the first problem.

export interface FastaProblem {
  severity: 'error' | 'warning';
  file: string;
  line: number | null;
  message: string;
  kind: 'format' | 'duplicate' | 'invalid' | 'empty';
}

export interface FastaLintReport {
  file: string;
  records: number;
  bases: number;
  problems: FastaProblem[];
}

type FirstSeen = Map<string, { file: string; line: number }>;

/** Lints one file; `firstSeen` carries ids across files, since predict reads all inputs as one set. */
export async function lintFasta(file: string, firstSeen: FirstSeen = new Map()): Promise<FastaLintReport> {
  const report: FastaLintReport = { file, records: 0, bases: 0, problems: [] };
  const problem = (p: Omit<FastaProblem, 'file'>) => report.problems.push({ ...p, file });
  try {
    for await (const record of readFasta(file, {
      duplicateIds: 'allow',
      checkCharacters: 'report',
      seen: new Map(),
    })) {
      report.records++;
      report.bases += record.sequence.length;
      const first = firstSeen.get(record.id);
      if (first) {
        const where =
          first.file === file ? `line ${first.line}` : `${path.basename(first.file)}:${first.line}`;
        problem({
          severity: 'error',
          kind: 'duplicate',
          line: record.line,
          message: `duplicate id "${record.id}" (first at ${where})`,
        });
      } else firstSeen.set(record.id, { file, line: record.line });
      if (record.sequence.length === 0) {
        problem({
          severity: 'warning',
          kind: 'empty',
          line: record.line,
          message: `empty sequence for "${record.id}"`,
        });
      }
      if (record.invalid) {
        const { char, line, column, count } = record.invalid;
        const more = count > 1 ? ` (${count} invalid characters in this record)` : '';
        problem({
          severity: 'error',
          kind: 'invalid',
          line,
          message: `invalid character '${char}' at column ${column} in the sequence of "${record.id}"${more}`,
        });
      }
    }
  } catch (error) {
    if (!(error instanceof FastaError)) throw error;
    problem({ severity: 'error', kind: 'format', line: error.line, message: error.reason });
  }
  return report;
}

const SHOWN_PER_KIND = 20;

export function formatLintReport(report: FastaLintReport): string {
  const name = path.basename(report.file);
  const plural = report.records === 1 ? '' : 's';
  const lines = [`${name}: ${report.records} record${plural}, ${report.bases} bases`];
  const shown = new Map<string, number>();
  for (const p of report.problems) {
    const count = (shown.get(p.kind) ?? 0) + 1;
    shown.set(p.kind, count);
    if (count <= SHOWN_PER_KIND) {
      lines.push(`  ${p.severity.padEnd(7)} ${name}${p.line === null ? '' : `:${p.line}`}: ${p.message}`);
    }
  }
  const counts: Record<FastaProblem['kind'], [string, string]> = {
    format: ['format error', 'format errors'],
    duplicate: ['duplicate id', 'duplicate ids'],
    invalid: ['record with invalid characters', 'records with invalid characters'],
    empty: ['empty record', 'empty records'],
  };
  const totals = [...shown].map(([kind, n]) => {
    const [one, many] = counts[kind as FastaProblem['kind']];
    const hidden = n > SHOWN_PER_KIND ? ` (${n - SHOWN_PER_KIND} not shown)` : '';
    return `${n} ${n === 1 ? one : many}${hidden}`;
  });
  lines.push(`  ${totals.length === 0 ? 'ok' : totals.join(', ')}`);
  return lines.join('\n');
}

export function registerValidateCommand(program: Command): void {
  program
    .command('validate')
    .description('check FASTA files: format, duplicate ids, empty records, non-IUPAC characters')
    .argument('<files...>', 'FASTA files, plain or gzip')
    .action(async (files: string[]) => {
      const firstSeen: FirstSeen = new Map();
      let errors = 0;
      for (const file of files) {
        const report = await lintFasta(file, firstSeen);
        console.log(formatLintReport(report));
        errors += report.problems.filter((p) => p.severity === 'error').length;
      }
      if (errors > 0) process.exitCode = 1;
    });
}
