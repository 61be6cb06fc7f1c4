import { createHash } from 'node:crypto';
import path from 'node:path';
import { FastaError, NUCLEOTIDE_ALPHABET, quotedId, readFasta, type InvalidCharacter } from './fasta';
import { FastqScanner, qualityProblem, type FastqSpan } from './fastq';
import { IdSet, type SeenIds } from './id-set';
import { inputPieces } from './input-bytes';
import { sequenceFormat, type SequenceFormat } from './sequence-file';

// The input checks of `virnucpro validate`, which `predict` also runs before any work, on FASTA and
// FASTQ alike: format, duplicate ids, characters outside the IUPAC nucleotide codes, protein given as
// nucleotides, RNA (U) unless it is read as DNA, and for FASTQ the quality lines. Every problem is
// collected with its file and line instead of stopping at the first (a broken record framing stops
// that file). FASTQ is checked on the decompressed bytes by positions, without a string per line.

export interface FastaProblem {
  severity: 'error' | 'warning';
  file: string;
  line: number | null;
  message: string;
  kind: 'format' | 'duplicate' | 'invalid' | 'empty' | 'protein' | 'rna' | 'quality-length' | 'quality-chars';
}

export interface FastaLintReport {
  file: string;
  format: SequenceFormat;
  records: number;
  bases: number;
  problems: FastaProblem[];
  /** sha256 of the file's bytes as stored, with `hash`, when the file was read to its end */
  sha256?: string;
}

export interface FastaLintOptions {
  /** read U as T (`--rna`); otherwise a U is an error */
  rna?: boolean;
  /** 'allow' when duplicates are renamed (`--rename-duplicates`) */
  duplicateIds?: 'error' | 'allow';
  /** also hash the file's bytes in the same pass (predict's fingerprint) */
  hash?: boolean;
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

/** What the checks need of one record's sequence. */
interface SequenceFacts {
  id: string;
  line: number;
  length: number;
  letters: number;
  /** letters other than A, C, G, T, U, N */
  other: number;
  hasU: boolean;
  invalid?: InvalidCharacter;
}

/** Duplicate ids, empty records, protein, invalid characters and RNA of one record. */
class RecordChecks {
  constructor(
    private readonly report: FastaLintReport,
    private readonly firstSeen: SeenIds,
    private readonly options: FastaLintOptions,
  ) {}

  records(): number {
    return this.report.records;
  }

  problem(p: Omit<FastaProblem, 'file'>): void {
    this.report.problems.push({ ...p, file: this.report.file });
  }

  /** A non-empty record of A, C, G, T and N only: the common case, with no object made for it. */
  plain(id: string, line: number, length: number): void {
    this.report.records++;
    this.report.bases += length;
    this.duplicate(id, line);
  }

  private duplicate(id: string, line: number): void {
    const { file } = this.report;
    const first = this.firstSeen.get(id);
    if (first && this.options.duplicateIds !== 'allow') {
      const where = first.file === file ? `line ${first.line}` : `${path.basename(first.file)}:${first.line}`;
      this.problem({
        severity: 'error',
        kind: 'duplicate',
        line,
        message: `duplicate id ${quotedId(id)} (first at ${where})`,
      });
    } else if (!first) this.firstSeen.set(id, { file, line });
  }

  check(record: SequenceFacts): void {
    this.report.records++;
    this.report.bases += record.length;
    this.duplicate(record.id, record.line);
    if (record.length === 0) {
      this.problem({
        severity: 'warning',
        kind: 'empty',
        line: record.line,
        message: `empty sequence for ${quotedId(record.id)}`,
      });
    }
    const { letters, other } = record;
    if (2 * other > letters) {
      this.problem({
        severity: 'error',
        kind: 'protein',
        line: record.line,
        message: `${quotedId(record.id)} looks like protein, not nucleotides (${other} of its ${letters} letters are not A, C, G, T, U or N)`,
      });
      return;
    }
    if (record.invalid) {
      const { char, line, column, count } = record.invalid;
      const more = count > 1 ? ` (${count} invalid characters in this record)` : '';
      this.problem({
        severity: 'error',
        kind: 'invalid',
        line,
        message: `invalid character '${char}' at column ${column} in the sequence of ${quotedId(record.id)}${more}`,
      });
    }
    if (record.hasU) {
      this.problem({
        severity: 'error',
        kind: 'rna',
        line: record.line,
        message: `${quotedId(record.id)} has U: RNA is read only with --rna, which takes U as T`,
      });
    }
  }
}

/** Lints one FASTA or FASTQ file; `firstSeen` carries ids across files, since predict reads all inputs as one set. */
export async function lintFasta(
  file: string,
  firstSeen: SeenIds = new IdSet(),
  options: FastaLintOptions = {},
): Promise<FastaLintReport> {
  const format = await sequenceFormat(file).catch(() => 'fasta' as const);
  const report: FastaLintReport = { file, format, records: 0, bases: 0, problems: [] };
  const checks = new RecordChecks(report, firstSeen, options);
  const hash = options.hash ? createHash('sha256') : null;
  const onFileBytes = hash ? (bytes: Buffer) => void hash.update(bytes) : undefined;
  try {
    if (format === 'fastq') await checkFastq(file, checks, options, onFileBytes);
    else await checkFasta(file, checks, options, onFileBytes);
    if (hash) report.sha256 = hash.digest('hex');
  } catch (error) {
    if (!(error instanceof FastaError)) throw error;
    checks.problem({ severity: 'error', kind: 'format', line: error.line, message: error.reason });
  }
  return report;
}

async function checkFasta(
  file: string,
  checks: RecordChecks,
  options: FastaLintOptions,
  onFileBytes: ((bytes: Buffer) => void) | undefined,
): Promise<void> {
  for await (const record of readFasta(file, {
    duplicateIds: 'allow',
    checkCharacters: 'report',
    rna: options.rna,
    onFileBytes,
  })) {
    checks.check({
      ...letterCounts(record.sequence),
      id: record.id,
      line: record.line,
      length: record.sequence.length,
      hasU: /[Uu]/.test(record.sequence),
      invalid: record.invalid,
    });
  }
}

// Per byte of a FASTQ sequence line: 1 for anything but A, C, G, T, N (either case), which sends the
// record to the exact count; a read of only those needs no more than this one pass.
const UNUSUAL_BASE = (() => {
  const classes = new Uint8Array(256).fill(1);
  for (const c of 'ACGTNacgtn') classes[c.charCodeAt(0)] = 0;
  return classes;
})();
const U_UPPER = 0x55;
const U_LOWER = 0x75;

async function checkFastq(
  file: string,
  checks: RecordChecks,
  options: FastaLintOptions,
  onFileBytes: ((bytes: Buffer) => void) | undefined,
): Promise<void> {
  const scanner = new FastqScanner(file, (span) => {
    const { buffer, sequence, sequenceEnd } = span;
    let unusual = 0;
    for (let i = sequence; i < sequenceEnd; i++) unusual |= UNUSUAL_BASE[buffer[i]];
    const length = sequenceEnd - sequence;
    const id = buffer.toString('latin1', span.header, span.idEnd);
    if (unusual === 0 && length > 0) checks.plain(id, span.line, length);
    else checks.check({ id, line: span.line, length, ...unusualBases(span, Boolean(options.rna)) });
    const problem = qualityProblem(span);
    if (problem !== null) {
      const kind = problem.includes('outside') ? 'quality-chars' : 'quality-length';
      checks.problem({ severity: 'error', kind, line: span.line + 3, message: problem });
    }
  });
  for await (const piece of inputPieces(file, () => scanner.line, onFileBytes)) scanner.push(piece);
  scanner.end();
  if (checks.records() === 0) throw new FastaError(file, null, 'empty file (no FASTQ records)');
}

/** The exact counts of a sequence line holding more than A, C, G, T and N. */
function unusualBases(
  span: FastqSpan,
  rna: boolean,
): Pick<SequenceFacts, 'letters' | 'other' | 'hasU' | 'invalid'> {
  const { buffer, sequence, sequenceEnd } = span;
  let letters = 0;
  let other = 0;
  let hasU = false;
  let invalid: InvalidCharacter | undefined;
  for (let i = sequence; i < sequenceEnd; i++) {
    const b = buffer[i];
    const isU = b === U_UPPER || b === U_LOWER;
    if (isU && !rna) hasU = true;
    const kind = isU && rna ? 2 : LETTER_CLASS[b];
    if (kind !== 0) letters++;
    if (kind === 1) other++;
    if (NUCLEOTIDE_ALPHABET[b]) continue;
    if (invalid) invalid.count++;
    else invalid = { char: String.fromCharCode(b), line: span.line + 1, column: i - sequence + 1, count: 1 };
  }
  return { letters, other, hasU, invalid };
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
  const format = report.format === 'fastq' ? ' FASTQ' : '';
  const lines = [`${name}: ${report.records}${format} record${plural}, ${report.bases} bases`];
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
    'quality-length': ['quality line of the wrong length', 'quality lines of the wrong length'],
    'quality-chars': [
      "quality line with characters outside '!'..'~'",
      "quality lines with characters outside '!'..'~'",
    ],
  };
  const totals = [...shown].map(([kind, n]) => {
    const [one, many] = counts[kind as FastaProblem['kind']];
    const hidden = n > SHOWN_PER_KIND ? ` (${n - SHOWN_PER_KIND} not shown)` : '';
    return `${n} ${n === 1 ? one : many}${hidden}`;
  });
  lines.push(`  ${totals.length === 0 ? 'ok' : totals.join(', ')}`);
  return lines.join('\n');
}
