import path from 'node:path';
import { FastaError, quotedId, readFasta } from './fasta';
import { IdSet, type SeenIds } from './id-set';

// The FASTA checks of `virnucpro validate`, which `predict` also runs before any work: format, duplicate
// ids, characters outside the IUPAC nucleotide codes, protein given as nucleotides, and RNA (U) unless
// it is read as DNA. Every problem is collected with its file and line instead of stopping at the first.

export interface FastaProblem {
  severity: 'error' | 'warning';
  file: string;
  line: number | null;
  message: string;
  kind: 'format' | 'duplicate' | 'invalid' | 'empty' | 'protein' | 'rna';
}

export interface FastaLintReport {
  file: string;
  records: number;
  bases: number;
  problems: FastaProblem[];
}

export interface FastaLintOptions {
  /** read U as T (`--rna`); otherwise a U is an error */
  rna?: boolean;
  /** 'allow' when duplicates are renamed (`--rename-duplicates`) */
  duplicateIds?: 'error' | 'allow';
}

// Per byte: 1 for a letter, 2 for a letter of A C G T U N (either case).
const LETTER_CLASS = (() => {
  const classes = new Uint8Array(256);
  for (let c = 0x41; c <= 0x5a; c++) classes[c] = classes[c + 0x20] = 1;
  for (const c of 'ACGTUN') classes[c.charCodeAt(0)] = classes[c.toLowerCase().charCodeAt(0)] = 2;
  return classes;
})();

/** Letters of a sequence, and how many of them are not A, C, G, T, U or N. */
function letterCounts(sequence: string): { letters: number; other: number } {
  let letters = 0;
  let other = 0;
  for (let i = 0; i < sequence.length; i++) {
    const kind = LETTER_CLASS[sequence.charCodeAt(i)];
    if (kind === 0) continue;
    letters++;
    if (kind === 1) other++;
  }
  return { letters, other };
}

/** Lints one file; `firstSeen` carries ids across files, since predict reads all inputs as one set. */
export async function lintFasta(
  file: string,
  firstSeen: SeenIds = new IdSet(),
  options: FastaLintOptions = {},
): Promise<FastaLintReport> {
  const report: FastaLintReport = { file, records: 0, bases: 0, problems: [] };
  const problem = (p: Omit<FastaProblem, 'file'>) => report.problems.push({ ...p, file });
  try {
    for await (const record of readFasta(file, {
      duplicateIds: 'allow',
      checkCharacters: 'report',
      rna: options.rna,
    })) {
      report.records++;
      report.bases += record.sequence.length;
      const first = firstSeen.get(record.id);
      if (first && options.duplicateIds !== 'allow') {
        const where =
          first.file === file ? `line ${first.line}` : `${path.basename(first.file)}:${first.line}`;
        problem({
          severity: 'error',
          kind: 'duplicate',
          line: record.line,
          message: `duplicate id ${quotedId(record.id)} (first at ${where})`,
        });
      } else if (!first) firstSeen.set(record.id, { file, line: record.line });
      if (record.sequence.length === 0) {
        problem({
          severity: 'warning',
          kind: 'empty',
          line: record.line,
          message: `empty sequence for ${quotedId(record.id)}`,
        });
      }
      const { letters, other } = letterCounts(record.sequence);
      if (2 * other > letters) {
        problem({
          severity: 'error',
          kind: 'protein',
          line: record.line,
          message: `${quotedId(record.id)} looks like protein, not nucleotides (${other} of its ${letters} letters are not A, C, G, T, U or N)`,
        });
      } else {
        if (record.invalid) {
          const { char, line, column, count } = record.invalid;
          const more = count > 1 ? ` (${count} invalid characters in this record)` : '';
          problem({
            severity: 'error',
            kind: 'invalid',
            line,
            message: `invalid character '${char}' at column ${column} in the sequence of ${quotedId(record.id)}${more}`,
          });
        }
        if (/[Uu]/.test(record.sequence)) {
          problem({
            severity: 'error',
            kind: 'rna',
            line: record.line,
            message: `${quotedId(record.id)} has U: RNA is read only with --rna, which takes U as T`,
          });
        }
      }
    }
  } catch (error) {
    if (!(error instanceof FastaError)) throw error;
    problem({ severity: 'error', kind: 'format', line: error.line, message: error.reason });
  }
  return report;
}

/** Lints files as one set (duplicate ids are looked for across them). */
export async function lintFastaFiles(
  files: string[],
  options: FastaLintOptions = {},
): Promise<FastaLintReport[]> {
  const firstSeen: SeenIds = new IdSet();
  const reports: FastaLintReport[] = [];
  for (const file of files) reports.push(await lintFasta(file, firstSeen, options));
  return reports;
}

export function lintErrors(report: FastaLintReport): number {
  return report.problems.filter((p) => p.severity === 'error').length;
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
    protein: ['protein record', 'protein records'],
    rna: ['RNA record', 'RNA records'],
  };
  const totals = [...shown].map(([kind, n]) => {
    const [one, many] = counts[kind as FastaProblem['kind']];
    const hidden = n > SHOWN_PER_KIND ? ` (${n - SHOWN_PER_KIND} not shown)` : '';
    return `${n} ${n === 1 ? one : many}${hidden}`;
  });
  lines.push(`  ${totals.length === 0 ? 'ok' : totals.join(', ')}`);
  return lines.join('\n');
}
