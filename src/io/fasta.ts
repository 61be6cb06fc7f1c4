import path from 'node:path';
import { FastaError } from './fasta-error';
import { IdSet, type SeenIds } from './id-set';
import { quotedId } from './id-bytes';
import { ASCII_TRIM, BOM, CR, GT, NEWLINE, rnaAsDna, SPACE, TAB } from './sequence-bytes';
import { inputPieces } from './input-bytes';
import { uniqueIds, type DuplicateIdOptions, type IdRename } from './unique-ids';

export { FastaError } from './fasta-error';
export { idBytes, quotedId } from './id-bytes';
export type { IdRename } from './unique-ids';

// Longer than most files: a byte-level streaming FASTA reader with its error reporting is one concept.
//
// Ids and descriptions are read as Latin-1, one character per byte, so an id is kept as the bytes of
// the input end to end (UTF-8 or not); write text holding ids back with `idBytes`.

export interface FastaRecord {
  /** first word of the header (after renaming, when duplicates are renamed), one character per byte */
  id: string;
  /** the rest of the header after the id, trimmed */
  description: string;
  /** the sequence lines joined, case kept, spaces and tabs removed (U read as T with `rna`) */
  sequence: string;
  /** 1-based line number of the header */
  line: number;
  /** the first character outside the IUPAC nucleotide alphabet, when characters are checked with 'report' */
  invalid?: InvalidCharacter;
}

export interface InvalidCharacter {
  char: string;
  line: number;
  column: number;
  /** how many characters of the record are outside the alphabet */
  count: number;
}

/** Where ids were first seen; share one across files to catch duplicates between them. */
export type { SeenIds } from './id-set';

export interface FastaReadOptions extends DuplicateIdOptions {
  /** 'off' (default), 'error': a non-IUPAC character is an error, 'report': set record.invalid */
  checkCharacters?: 'off' | 'error' | 'report';
  seen?: SeenIds;
  /** read RNA: U is taken as T and u as t */
  rna?: boolean;
  /** sees the file's own bytes (compressed or not) as they are read, to hash them in the same pass */
  onFileBytes?: (bytes: Buffer) => void;
}

/** IUPAC nucleotide codes in either case, plus the gap characters '-' and '.'. */
export const NUCLEOTIDE_ALPHABET = (() => {
  const allowed = new Uint8Array(256);
  for (const c of 'ACGTUNRYKMSWBDHV-.') {
    allowed[c.charCodeAt(0)] = 1;
    allowed[c.toLowerCase().charCodeAt(0)] = 1;
  }
  return allowed;
})();

/** The first character of `sequence` that is no IUPAC nucleotide code or gap, with its 1-based column. */
export function invalidNucleotide(sequence: string): { char: string; column: number } | null {
  for (let i = 0; i < sequence.length; i++) {
    const code = sequence.charCodeAt(i);
    if (code > 0xff || !NUCLEOTIDE_ALPHABET[code]) return { char: sequence[i], column: i + 1 };
  }
  return null;
}

/**
 * The file's lines as Buffers without their line ending (LF, CR LF or a lone CR), decompressing gzip
 * (told by its magic bytes); yielded in batches, one per piece read, to keep the per-line cost synchronous.
 */
async function* lineBatches(
  file: string,
  lineNumber: () => number,
  onFileBytes?: (bytes: Buffer) => void,
): AsyncGenerator<Buffer[]> {
  // pieces of a line that has not ended yet; kept as a list so a very long line is joined once
  let pending: Buffer[] = [];
  // the last piece ended with a CR, so an LF opening this one ends no line
  let afterCr = false;
  for await (const piece of inputPieces(file, lineNumber, onFileBytes)) {
    const batch: Buffer[] = [];
    let start = afterCr && piece[0] === NEWLINE ? 1 : 0;
    afterCr = false;
    // the next LF and CR at or after `start`; -1 once there is none left, -2 before the first search
    let lf = -2;
    let cr = -2;
    for (;;) {
      if (lf !== -1 && lf < start) lf = piece.indexOf(NEWLINE, start);
      if (cr !== -1 && cr < start) cr = piece.indexOf(CR, start);
      const end = lf === -1 ? cr : cr === -1 ? lf : Math.min(lf, cr);
      if (end === -1) break;
      let line = piece.subarray(start, end);
      if (pending.length > 0) {
        line = Buffer.concat([...pending, line]);
        pending = [];
      }
      batch.push(line);
      start = end + 1;
      if (piece[end] === CR) {
        if (start === piece.length) afterCr = true;
        else if (piece[start] === NEWLINE) start++;
      }
    }
    if (start < piece.length) pending.push(piece.subarray(start));
    if (batch.length > 0) yield batch;
  }
  if (pending.length > 0) yield [Buffer.concat(pending)];
}

/** The position of the first byte that has no place in a text FASTA line, or -1. */
function binaryByte(line: Buffer, header: boolean): number {
  for (let i = 0; i < line.length; i++) {
    const b = line[i];
    if (b < SPACE && b !== TAB) return i;
    if (b === 0x7f) return i;
    if (b >= 0x80 && !header) return i;
  }
  return -1;
}

/** A header's id ends at the first ASCII white space: bytes above 0x7f are parts of the id. */
const ASCII_SPACE = /[ \t\v\f]/;

/**
 * Streams the records of a FASTA file (plain or gzip): multi-line, CR LF or CR line ends, a UTF-8 byte
 * order mark, blank lines and lower case are fine; a record with an empty sequence is yielded (the
 * caller decides what to do with it). Digits in a sequence are kept, as Biopython's parser keeps them;
 * checkCharacters rejects them with their line.
 */
export async function* readFasta(file: string, options: FastaReadOptions = {}): AsyncGenerator<FastaRecord> {
  const checkCharacters = options.checkCharacters ?? 'off';
  const seen: SeenIds = options.seen ?? new IdSet();
  let lineNumber = 0;
  let current: FastaRecord | null = null;
  let parts: string[] = [];
  let records = 0;

  const finish = (): FastaRecord => {
    const record = current as FastaRecord;
    record.sequence = parts.length === 1 ? parts[0] : parts.join('');
    parts = [];
    return record;
  };

  const uniqueId = uniqueIds(file, options, seen);

  for await (const batch of lineBatches(file, () => lineNumber, options.onFileBytes)) {
    for (let line of batch) {
      lineNumber++;
      if (lineNumber === 1 && line.subarray(0, BOM.length).equals(BOM)) line = line.subarray(BOM.length);
      const header = line.length > 0 && line[0] === GT;
      const bad = binaryByte(line, header);
      if (bad !== -1) {
        const byte = line[bad].toString(16).padStart(2, '0');
        throw new FastaError(
          file,
          lineNumber,
          `binary data (byte 0x${byte} at column ${bad + 1}); is this a FASTA file?`,
        );
      }
      if (header) {
        const text = line.toString('latin1', 1).replace(ASCII_TRIM, '');
        if (current) yield finish();
        const space = text.search(ASCII_SPACE);
        const id = space === -1 ? text : text.slice(0, space);
        if (id === '') throw new FastaError(file, lineNumber, `header line without an id`);
        current = {
          id: uniqueId(id, lineNumber),
          description: space === -1 ? '' : text.slice(space).replace(ASCII_TRIM, ''),
          sequence: '',
          line: lineNumber,
        };
        records++;
        continue;
      }
      let text = line.toString('latin1');
      if (text.includes(' ') || text.includes('\t')) text = text.replace(/[ \t]/g, '');
      if (options.rna) text = rnaAsDna(text);
      if (text === '') continue;
      if (!current) throw new FastaError(file, lineNumber, `expected a '>' header line`);
      if (checkCharacters !== 'off') checkLine(file, current, line, lineNumber, checkCharacters);
      parts.push(text);
    }
  }
  if (current) yield finish();
  if (records === 0) throw new FastaError(file, null, 'empty file (no FASTA records)');
}

function checkLine(
  file: string,
  record: FastaRecord,
  line: Buffer,
  lineNumber: number,
  mode: 'error' | 'report',
): void {
  for (let i = 0; i < line.length; i++) {
    const b = line[i];
    if (NUCLEOTIDE_ALPHABET[b] || b === SPACE || b === TAB) continue;
    const char = String.fromCharCode(b);
    if (mode === 'error') {
      throw new FastaError(
        file,
        lineNumber,
        `invalid character '${char}' at column ${i + 1} in the sequence of ${quotedId(record.id)}`,
      );
    }
    if (record.invalid) record.invalid.count++;
    else record.invalid = { char, line: lineNumber, column: i + 1, count: 1 };
  }
}

/** The warning for a renamed duplicate id, located by file and line. */
export function describeRename(rename: IdRename): string {
  return `${path.basename(rename.file)}:${rename.line}: duplicate id "${rename.from}" renamed to "${rename.to}"`;
}
