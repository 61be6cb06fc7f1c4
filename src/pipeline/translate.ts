// Six-frame identification as VirNucPro does it (docs/behaviour.md §2): translate every frame of a chunk with the
// standard code, keep the stop-free ones, and pair each kept protein with the bases it came from plus
// one extra base (the original's slice end is off by one; kept so the DNABERT-S input is the same).
// Works on bytes: this runs once per chunk, millions of times.

export interface Frame {
  /** chunk id + F1..F3 / R1..R3, no separator */
  id: string;
  nucleotide: string;
  protein: string;
}

// Standard genetic code, codons ordered by TCAG in each position.
const AMINO_ACIDS = Buffer.from('FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG', 'latin1');
const STOP = '*'.charCodeAt(0);

const BASE_INDEX = new Int8Array(256).fill(-1);
const COMPLEMENT = new Uint8Array(256).map((_, byte) => byte);
const UPPER = new Uint8Array(256).map((_, byte) => (byte >= 0x61 && byte <= 0x7a ? byte - 0x20 : byte));
for (const [base, index, partner] of [
  ['T', 0, 'A'],
  ['C', 1, 'G'],
  ['A', 2, 'T'],
  ['G', 3, 'C'],
] as const) {
  BASE_INDEX[base.charCodeAt(0)] = index;
  COMPLEMENT[base.charCodeAt(0)] = partner.charCodeAt(0);
}

function upperBytes(sequence: string): Buffer {
  const bytes = Buffer.from(sequence, 'latin1');
  for (let i = 0; i < bytes.length; i++) bytes[i] = UPPER[bytes[i]];
  return bytes;
}

function reverseComplementBytes(bytes: Uint8Array): Buffer {
  const out = Buffer.allocUnsafe(bytes.length);
  for (let i = 0, j = bytes.length - 1; j >= 0; i++, j--) out[i] = COMPLEMENT[bytes[j]];
  return out;
}

/** The protein of the complete codons from `offset`; codons with non-ACGT characters are dropped. */
function translateBytes(bytes: Uint8Array, offset: number, stopAtStop: boolean): string {
  const protein = Buffer.allocUnsafe(Math.max(0, Math.floor((bytes.length - offset) / 3)));
  let length = 0;
  for (let i = offset; i + 3 <= bytes.length; i += 3) {
    const a = BASE_INDEX[bytes[i]];
    const b = BASE_INDEX[bytes[i + 1]];
    const c = BASE_INDEX[bytes[i + 2]];
    if (a < 0 || b < 0 || c < 0) continue;
    const amino = AMINO_ACIDS[a * 16 + b * 4 + c];
    protein[length++] = amino;
    if (amino === STOP && stopAtStop) break;
  }
  return protein.toString('latin1', 0, length);
}

/** How many characters of a sequence are not A, C, G or T in either case: their codons are dropped. */
export function countNonAcgt(sequence: string): number {
  let count = 0;
  for (let i = 0; i < sequence.length; i++) {
    const code = sequence.charCodeAt(i);
    if (code > 0xff || BASE_INDEX[UPPER[code]] < 0) count++;
  }
  return count;
}

/** Reverse complement of an upper-case sequence; characters other than ACGT stay as they are. */
export function reverseComplement(sequence: string): string {
  return reverseComplementBytes(Buffer.from(sequence, 'latin1')).toString('latin1');
}

/** Translates the complete codons of an upper-case sequence from `offset`, stops as '*'. */
export function translateFrame(sequence: string, offset: number): string {
  return translateBytes(Buffer.from(sequence, 'latin1'), offset, false);
}

/** The kept frames of one chunk, in the order F1, F2, F3, R1, R2, R3. */
export function identifyFrames(chunkId: string, chunkSequence: string): Frame[] {
  const forward = upperBytes(chunkSequence);
  const strands: Array<[string, Buffer]> = [
    ['F', forward],
    ['R', reverseComplementBytes(forward)],
  ];
  const frames: Frame[] = [];
  for (const [strand, source] of strands) {
    for (let offset = 0; offset < 3; offset++) {
      // a frame with a stop is dropped whole, so translation can end at the first one
      const protein = translateBytes(source, offset, true);
      if (protein === '' || protein.charCodeAt(protein.length - 1) === STOP) continue;
      const end = Math.min(source.length, offset + 3 * protein.length + 1);
      frames.push({
        id: `${chunkId}${strand}${offset + 1}`,
        nucleotide: source.toString('latin1', offset, end),
        protein,
      });
    }
  }
  return frames;
}
