import { readFasta, type FastaReadOptions, type FastaRecord, type SeenIds } from './fasta';
import { readFastq, type FastqRecord } from './fastq';
import { IdSet } from './id-set';
import { inputPieces } from './input-bytes';
import { AT, BOM } from './sequence-bytes';
import type { IdRename } from './unique-ids';

// A sequence input is FASTA or FASTQ, told by its content (the first byte that is not white space or a
// byte order mark: '@' is FASTQ), never by its name; plain or gzip either way.

export type SequenceFormat = 'fasta' | 'fastq';
export type SequenceRecord = FastaRecord | FastqRecord;

const WHITE_SPACE = new Set([0x20, 0x09, 0x0a, 0x0d, 0x0b, 0x0c]);

/** 'fastq' when the first non-empty byte is '@'; 'fasta' otherwise (its reader says what is wrong). */
export async function sequenceFormat(file: string): Promise<SequenceFormat> {
  let offset = 0;
  for await (const piece of inputPieces(file, () => 0)) {
    for (const byte of piece) {
      const inBom = offset < BOM.length && byte === BOM[offset];
      offset++;
      if (inBom || WHITE_SPACE.has(byte)) continue;
      return byte === AT ? 'fastq' : 'fasta';
    }
  }
  return 'fasta';
}

export function isFastq(record: SequenceRecord): record is FastqRecord {
  return 'quality' in record;
}

/** The records of a FASTA or FASTQ file, as its format (told here unless the caller knows it) reads them. */
export async function* readSequences(
  file: string,
  options: FastaReadOptions = {},
  format?: SequenceFormat,
): AsyncGenerator<SequenceRecord> {
  if ((format ?? (await sequenceFormat(file))) === 'fastq') yield* readFastq(file, options);
  else yield* readFasta(file, options);
}

/**
 * The records of several files in order, each with the index of its file, read as one set: an id
 * repeated in any of them is refused or renamed.
 */
export async function* readSequenceFiles(
  files: string[],
  options: { renameDuplicates: boolean; onRename?: (rename: IdRename) => void },
): AsyncGenerator<{ input: number; record: SequenceRecord }> {
  const seen: SeenIds = new IdSet();
  const duplicateIds = options.renameDuplicates ? 'rename' : 'error';
  for (const [input, file] of files.entries()) {
    for await (const record of readSequences(file, { duplicateIds, seen, onRename: options.onRename })) {
      yield { input, record };
    }
  }
}
