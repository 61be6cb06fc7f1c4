import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { describeFileError } from './file-errors';
import { IdSet, type SeenIds } from './id-set';

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

export interface IdRename {
  file: string;
  line: number;
  from: string;
  to: string;
}

/** Where ids were first seen; share one across files to catch duplicates between them. */
export type { SeenIds } from './id-set';

export interface FastaReadOptions {
  /** 'error' (default): a repeated id is an error; 'rename': suffix _2, _3, ...; 'allow': yield as is */
  duplicateIds?: 'error' | 'rename' | 'allow';
  onRename?: (rename: IdRename) => void;
  /** 'off' (default), 'error': a non-IUPAC character is an error, 'report': set record.invalid */
  checkCharacters?: 'off' | 'error' | 'report';
  seen?: SeenIds;
  /** read RNA: U is taken as T and u as t */
  rna?: boolean;
}

/** A FASTA input problem, located by file and (when known) line. */
export class FastaError extends Error {
  constructor(
    readonly file: string,
    readonly line: number | null,
    readonly reason: string,
  ) {
    super(`${path.basename(file)}${line === null ? '' : `:${line}`}: ${reason}`);
    this.name = 'FastaError';
  }

  /** The file cannot be opened or read: the message names the path as given and the reason. */
  static unreadable(file: string, error: unknown): FastaError {
    const described = describeFileError(error, file);
    const fastaError = new FastaError(file, null, described.slice(file.length + 2));
    fastaError.message = described;
    return fastaError;
  }
}

/** The bytes of text holding ids read by readFasta (each character is one byte). */
export function idBytes(text: string): Buffer {
  return Buffer.from(text, 'latin1');
}

/** An id quoted for a message: its bytes shown as UTF-8 text, as a terminal would show them. */
export function quotedId(id: string): string {
  return `"${idBytes(id).toString('utf8')}"`;
}

/** IUPAC nucleotide codes in either case, plus the gap characters '-' and '.'. */
const NUCLEOTIDE_ALPHABET = (() => {
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

const GZIP_MAGIC = [0x1f, 0x8b];
const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
const GT = 0x3e;
const NEWLINE = 0x0a;
const CR = 0x0d;
const SPACE = 0x20;
const TAB = 0x09;

/** Whether the file is gzip; only regular files are read, since predict reads its inputs twice. */
async function isGzip(file: string): Promise<boolean> {
  try {
    const info = await stat(file);
    if (!info.isFile()) {
      throw Object.assign(new Error('not a regular file'), {
        code: info.isDirectory() ? 'EISDIR' : 'ESPIPE',
      });
    }
    const handle = await open(file, 'r');
    try {
      const head = Buffer.alloc(2);
      const { bytesRead } = await handle.read(head, 0, 2, 0);
      return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw FastaError.unreadable(file, error);
  }
}

/**
 * The file's lines as Buffers without their line ending (LF, CR LF or a lone CR), decompressing gzip
 * (told by its magic bytes); yielded in batches, one per piece read, to keep the per-line cost synchronous.
 */
async function* lineBatches(file: string, lineNumber: () => number): AsyncGenerator<Buffer[]> {
  const gzip = await isGzip(file);
  const raw = createReadStream(file, { highWaterMark: 1 << 20 });
  let stream: Readable = raw;
  if (gzip) {
    const gunzip = createGunzip();
    raw.on('error', (error) => gunzip.destroy(error));
    stream = raw.pipe(gunzip);
  }
  // pieces of a line that has not ended yet; kept as a list so a very long line is joined once
  let pending: Buffer[] = [];
  // the last piece ended with a CR, so an LF opening this one ends no line
  let afterCr = false;
  try {
    for await (const piece of stream as AsyncIterable<Buffer>) {
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
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (gzip && err.code?.startsWith('Z_')) {
      throw new FastaError(file, lineNumber() + 1, `truncated or corrupt gzip data (${err.message})`);
    }
    throw FastaError.unreadable(file, error);
  } finally {
    raw.destroy();
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
const ASCII_TRIM = /^[ \t\v\f]+|[ \t\v\f]+$/g;

/**
 * Streams the records of a FASTA file (plain or gzip): multi-line, CR LF or CR line ends, a UTF-8 byte
 * order mark, blank lines and lower case are fine; a record with an empty sequence is yielded (the
 * caller decides what to do with it). Digits in a sequence are kept, as Biopython's parser keeps them;
 * checkCharacters rejects them with their line.
 */
export async function* readFasta(file: string, options: FastaReadOptions = {}): AsyncGenerator<FastaRecord> {
  const duplicateIds = options.duplicateIds ?? 'error';
  const checkCharacters = options.checkCharacters ?? 'off';
  const seen: SeenIds = options.seen ?? new IdSet();
  const renameCounts = new Map<string, number>();
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

  const uniqueId = (id: string): string => {
    // allowed duplicates need no memory of the ids
    if (duplicateIds === 'allow') return id;
    const first = seen.get(id);
    if (!first) {
      seen.set(id, { file, line: lineNumber });
      return id;
    }
    if (duplicateIds === 'error') {
      const where = first.file === file ? `line ${first.line}` : `${path.basename(first.file)}:${first.line}`;
      throw new FastaError(file, lineNumber, `duplicate id ${quotedId(id)} (first at ${where})`);
    }
    let n = renameCounts.get(id) ?? 1;
    let renamed: string;
    do renamed = `${id}_${++n}`;
    while (seen.has(renamed));
    renameCounts.set(id, n);
    seen.set(renamed, { file, line: lineNumber });
    options.onRename?.({ file, line: lineNumber, from: id, to: renamed });
    return renamed;
  };

  for await (const batch of lineBatches(file, () => lineNumber)) {
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
          id: uniqueId(id),
          description: space === -1 ? '' : text.slice(space).replace(ASCII_TRIM, ''),
          sequence: '',
          line: lineNumber,
        };
        records++;
        continue;
      }
      let text = line.toString('latin1');
      if (text.includes(' ') || text.includes('\t')) text = text.replace(/[ \t]/g, '');
      if (options.rna && (text.includes('U') || text.includes('u')))
        text = text.replace(/U/g, 'T').replace(/u/g, 't');
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

/** The records of several files in order, read as one set: an id repeated in any of them is refused or renamed. */
export async function* readFastaFiles(
  files: string[],
  options: { renameDuplicates: boolean; onRename?: (rename: IdRename) => void },
): AsyncGenerator<FastaRecord> {
  const seen: SeenIds = new IdSet();
  const duplicateIds = options.renameDuplicates ? 'rename' : 'error';
  for (const file of files) yield* readFasta(file, { duplicateIds, seen, onRename: options.onRename });
}
