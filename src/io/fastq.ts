import { FastaError } from './fasta-error';
import { NUCLEOTIDE_ALPHABET, type FastaReadOptions, type FastaRecord } from './fasta';
import { inputPieces } from './input-bytes';
import { IdSet, type SeenIds } from './id-set';
import { ASCII_TRIM, AT, BOM, CR, GT, NEWLINE, rnaAsDna, SPACE, TAB } from './sequence-bytes';
import { uniqueIds } from './unique-ids';

// FASTQ as sequencers write it: four lines a record (an '@' header, the sequence on one line, a '+'
// line that is empty or repeats the header, the qualities on one line). A multi-line record is refused
// where its third line is not the '+' line. The scanner works on the decompressed Buffers by positions
// (a record costs four native newline searches and no string unless the caller asks for one), so
// reading keeps pace with the gzip decompression running beside it.

/** A FASTQ record: a FastaRecord (the same id rules) with the lines that make it FASTQ. */
export interface FastqRecord extends FastaRecord {
  /** the header line after '@' as read, its id renamed when duplicates are renamed */
  header: string;
  /** the text after '+' on the third line: empty, or the header repeated (renamed with it) */
  plus: string;
  quality: string;
}

/** Where one record's lines are in `buffer` (line ends excluded); reused from record to record. */
export interface FastqSpan {
  buffer: Buffer;
  /** 1-based line number of the header */
  line: number;
  /** first byte after '@' */
  header: number;
  headerEnd: number;
  /** end of the id: the first space or tab of the header, or its end */
  idEnd: number;
  sequence: number;
  sequenceEnd: number;
  quality: number;
  qualityEnd: number;
  /** the '+' line after the '+' */
  plus: number;
  plusEnd: number;
}

const PLUS = 0x2b;
const DELETE = 0x7f;
const FIRST_QUALITY = 0x21; // '!'
const LAST_QUALITY = 0x7e; // '~'
/** newlines a record needs, counted before joining a record cut by a piece boundary */
const RECORD_LINES = 4;

/** The end of the line that ends at the newline `newline`, without a CR before it. */
function lineEnd(buffer: Buffer, start: number, newline: number): number {
  return newline > start && buffer[newline - 1] === CR ? newline - 1 : newline;
}

/** Newlines in `piece`, counting no further than `enough`. */
function newlines(piece: Buffer, enough: number): number {
  let count = 0;
  for (let at = piece.indexOf(NEWLINE); at !== -1 && count < enough; at = piece.indexOf(NEWLINE, at + 1)) {
    count++;
  }
  return count;
}

/** Cuts the decompressed bytes of one file into records; framing errors are FastaErrors with the line. */
export class FastqScanner {
  /** lines taken so far */
  line = 0;
  private readonly span: FastqSpan = {
    buffer: Buffer.alloc(0),
    line: 0,
    header: 0,
    headerEnd: 0,
    idEnd: 0,
    sequence: 0,
    sequenceEnd: 0,
    quality: 0,
    qualityEnd: 0,
    plus: 0,
    plusEnd: 0,
  };
  /** the bytes of a record not complete yet, in pieces, and their newlines */
  private pending: Buffer[] = [];
  private pendingLines = 0;
  private started = false;

  constructor(
    readonly file: string,
    private readonly onRecord: (span: FastqSpan) => void,
  ) {}

  push(piece: Buffer): void {
    if (!this.started) {
      this.started = true;
      if (piece.subarray(0, BOM.length).equals(BOM)) piece = piece.subarray(BOM.length);
    }
    let buffer = piece;
    if (this.pending.length > 0) {
      this.pending.push(piece);
      this.pendingLines += newlines(piece, RECORD_LINES);
      if (this.pendingLines < RECORD_LINES) return;
      buffer = Buffer.concat(this.pending);
    }
    this.keep(buffer, this.scan(buffer, false));
  }

  /** The file ended: a record it cut off is an error. */
  end(): void {
    if (this.pending.length === 0) return;
    const rest = Buffer.concat(this.pending);
    // a last line without its newline is complete
    const buffer = rest[rest.length - 1] === NEWLINE ? rest : Buffer.concat([rest, Buffer.from('\n')]);
    this.pending = [];
    this.scan(buffer, true);
  }

  private keep(buffer: Buffer, from: number): void {
    if (from === buffer.length) {
      this.pending = [];
      this.pendingLines = 0;
    } else {
      const rest = buffer.subarray(from);
      this.pending = [rest];
      this.pendingLines = newlines(rest, RECORD_LINES);
    }
  }

  private fail(line: number, reason: string): never {
    throw new FastaError(this.file, line, reason);
  }

  /** Takes every whole record of `buffer`; returns where the first incomplete one starts. */
  private scan(buffer: Buffer, atEnd: boolean): number {
    const span = this.span;
    span.buffer = buffer;
    const length = buffer.length;
    let at = 0;
    for (;;) {
      // blank lines between records
      while (at < length && (buffer[at] === NEWLINE || (buffer[at] === CR && buffer[at + 1] === NEWLINE))) {
        at += buffer[at] === CR ? 2 : 1;
        this.line++;
      }
      if (at >= length) return at;
      const headerLine = this.line + 1;
      const first = buffer.indexOf(NEWLINE, at);
      if (first === -1) return at;
      this.checkHeader(buffer, at, lineEnd(buffer, at, first), headerLine);
      const second = buffer.indexOf(NEWLINE, first + 1);
      if (second === -1) return this.cutOff(at, atEnd, headerLine + 1, 'a sequence line');
      const third = buffer.indexOf(NEWLINE, second + 1);
      if (third === -1) return this.cutOff(at, atEnd, headerLine + 2, "a '+' line");
      span.sequence = first + 1;
      span.sequenceEnd = lineEnd(buffer, first + 1, second);
      if (buffer[second + 1] !== PLUS)
        this.notPlus(buffer, second + 1, lineEnd(buffer, second + 1, third), headerLine + 2);
      span.plus = second + 2;
      span.plusEnd = lineEnd(buffer, second + 1, third);
      const fourth = buffer.indexOf(NEWLINE, third + 1);
      if (fourth === -1) return this.cutOff(at, atEnd, headerLine + 3, 'a quality line');
      span.quality = third + 1;
      span.qualityEnd = lineEnd(buffer, third + 1, fourth);
      if (span.plusEnd > span.plus) this.checkPlus(buffer, headerLine);
      span.line = headerLine;
      this.line += RECORD_LINES;
      this.onRecord(span);
      at = fourth + 1;
    }
  }

  private cutOff(at: number, atEnd: boolean, line: number, expected: string): number {
    if (atEnd) this.fail(line, `record cut off at the end of the file: expected ${expected}`);
    return at;
  }

  /** '@', an id, and text bytes only; sets the span's header and id end. */
  private checkHeader(buffer: Buffer, start: number, end: number, line: number): void {
    if (buffer[start] !== AT) {
      this.fail(
        line,
        buffer[start] === GT
          ? "a FASTA record inside FASTQ: expected a '@' header line"
          : "expected a '@' header line",
      );
    }
    const span = this.span;
    span.header = start + 1;
    span.headerEnd = end;
    span.idEnd = end;
    for (let i = start + 1; i < end; i++) {
      const b = buffer[i];
      if ((b === SPACE || b === TAB) && span.idEnd === end) span.idEnd = i;
      else if ((b < SPACE && b !== TAB) || b === DELETE) {
        const byte = b.toString(16).padStart(2, '0');
        this.fail(line, `binary data (byte 0x${byte} at column ${i - start + 1}); is this a FASTQ file?`);
      }
    }
    if (span.idEnd === start + 1) this.fail(line, 'header line without an id');
  }

  private notPlus(buffer: Buffer, start: number, end: number, line: number): never {
    let sequenceLike = end > start;
    for (let i = start; i < end && sequenceLike; i++) sequenceLike = NUCLEOTIDE_ALPHABET[buffer[i]] === 1;
    this.fail(
      line,
      sequenceLike
        ? "expected the '+' line after the one sequence line (multi-line FASTQ is not read: one line each for sequence and quality)"
        : "expected the '+' line after the sequence line",
    );
  }

  /** A '+' line with text repeats the header. */
  private checkPlus(buffer: Buffer, line: number): void {
    const { header, headerEnd, plus, plusEnd } = this.span;
    if (
      plusEnd - plus !== headerEnd - header ||
      buffer.compare(buffer, header, headerEnd, plus, plusEnd) !== 0
    ) {
      this.fail(line + 2, `the '+' line repeats a different header than line ${line}`);
    }
  }
}

/** The quality line's problem, or null: its length must be the sequence's, its bytes '!'..'~'. */
export function qualityProblem(span: FastqSpan): string | null {
  const { buffer, quality, qualityEnd } = span;
  const bases = span.sequenceEnd - span.sequence;
  const scores = qualityEnd - quality;
  if (scores !== bases) {
    if (scores === 0) return `empty quality line for a read of ${bases} bases`;
    const which = scores < bases ? 'shorter' : 'longer';
    return `quality line ${which} than the sequence (${scores} quality characters for ${bases} bases)`;
  }
  for (let i = quality; i < qualityEnd; i++) {
    const b = buffer[i];
    if (b < FIRST_QUALITY || b > LAST_QUALITY) {
      const shown =
        b > SPACE && b < DELETE ? `'${String.fromCharCode(b)}'` : `byte 0x${b.toString(16).padStart(2, '0')}`;
      return `quality character ${shown} at column ${i - quality + 1} is outside '!'..'~'`;
    }
  }
  return null;
}

/**
 * The records of a FASTQ file (plain or gzip), with readFasta's options and id rules; a bad quality line
 * is an error. Characters are not checked here (`checkCharacters` is ignored): lintFasta checks FASTQ on
 * its bytes before predict reads it.
 */
export async function* readFastq(file: string, options: FastaReadOptions = {}): AsyncGenerator<FastqRecord> {
  const seen: SeenIds = options.seen ?? new IdSet();
  const unique = uniqueIds(file, options, seen);
  let batch: FastqRecord[] = [];
  const scanner = new FastqScanner(file, (span) => {
    const problem = qualityProblem(span);
    if (problem !== null) throw new FastaError(file, span.line + 3, problem);
    batch.push(recordOf(span, unique, options));
  });
  let records = 0;
  for await (const piece of inputPieces(file, () => scanner.line, options.onFileBytes)) {
    scanner.push(piece);
    records += batch.length;
    yield* takeAll();
  }
  scanner.end();
  records += batch.length;
  yield* takeAll();
  if (records === 0) throw new FastaError(file, null, 'empty file (no FASTQ records)');

  function takeAll(): FastqRecord[] {
    const taken = batch;
    batch = [];
    return taken;
  }
}

function recordOf(
  span: FastqSpan,
  unique: (id: string, line: number) => string,
  options: FastaReadOptions,
): FastqRecord {
  const { buffer } = span;
  const read = buffer.toString('latin1', span.header, span.idEnd);
  const id = unique(read, span.line);
  const rest = buffer.toString('latin1', span.idEnd, span.headerEnd);
  let sequence = buffer.toString('latin1', span.sequence, span.sequenceEnd);
  if (options.rna) sequence = rnaAsDna(sequence);
  const plus = span.plusEnd > span.plus ? `${id}${rest}` : '';
  return {
    id,
    description: rest.replace(ASCII_TRIM, ''),
    sequence,
    line: span.line,
    header: `${id}${rest}`,
    plus,
    quality: buffer.toString('latin1', span.quality, span.qualityEnd),
  };
}

/** The record as FASTQ text, its four lines as read (one character per byte; write with idBytes). */
export function fastqText(record: FastqRecord): string {
  return `@${record.header}\n${record.sequence}\n+${record.plus}\n${record.quality}\n`;
}
