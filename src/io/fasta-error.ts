import path from 'node:path';
import { describeFileError } from './file-errors';

/** A sequence input problem (FASTA or FASTQ), located by file and (when known) line. */
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
