// The bytes the FASTA and FASTQ readers look for, and the rules they share about text: one home, so
// the two formats read headers, line ends, byte order marks and RNA alike.

export const NEWLINE = 0x0a;
export const CR = 0x0d;
export const TAB = 0x09;
export const SPACE = 0x20;
/** '>', a FASTA header */
export const GT = 0x3e;
/** '@', a FASTQ header */
export const AT = 0x40;
/** a UTF-8 byte order mark, skipped at the start of a file */
export const BOM = Buffer.from([0xef, 0xbb, 0xbf]);
/** ASCII white space at either end of a description, which the readers drop */
export const ASCII_TRIM = /^[ \t\v\f]+|[ \t\v\f]+$/g;

/** RNA read as DNA: U as T, u as t. */
export function rnaAsDna(sequence: string): string {
  return sequence.includes('U') || sequence.includes('u')
    ? sequence.replace(/U/g, 'T').replace(/u/g, 't')
    : sequence;
}
