import { mkdir, open, writeFile } from 'node:fs/promises';
import path from 'node:path';

// Seeded synthetic inputs, so every run and both sides of a comparison see the same sequences.

/** mulberry32: a small, fast, well-mixed 32-bit generator; uniform in [0, 1). */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const aminoAcids = 'ACDEFGHIKLMNPQRSTVWY';
const nucleotides = 'ACGT';

function randomString(random: () => number, alphabet: string, length: number): string {
  let text = '';
  for (let i = 0; i < length; i++) text += alphabet[Math.floor(random() * alphabet.length)];
  return text;
}

function lengthBetween(random: () => number, min: number, max: number): number {
  return min + Math.floor(random() * (max - min + 1));
}

export interface FastaRecord {
  id: string;
  sequence: string;
}

export function randomProteins(
  random: () => number,
  count: number,
  minLength: number,
  maxLength: number,
  idPrefix: string,
): FastaRecord[] {
  return Array.from({ length: count }, (_, i) => ({
    id: `${idPrefix}${i + 1}`,
    sequence: randomString(random, aminoAcids, lengthBetween(random, minLength, maxLength)),
  }));
}

export function randomReads(random: () => number, count: number, length: number): string[] {
  return Array.from({ length: count }, () => randomString(random, nucleotides, length));
}

export function fastaText(records: FastaRecord[]): string {
  return records.map((record) => `>${record.id}\n${record.sequence}\n`).join('');
}

/** Real tokens of ESM-2 inputs: residues plus <cls> and <eos>. */
export function esmTokenCount(records: FastaRecord[]): number {
  return records.reduce((sum, record) => sum + record.sequence.length + 2, 0);
}

/** Writes `files` FASTA files of `perFile` proteins each under dir; returns their paths. */
export async function writeProteinFiles(
  dir: string,
  seed: number,
  files: number,
  perFile: number,
  minLength: number,
  maxLength: number,
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const random = seededRandom(seed);
  const paths: string[] = [];
  for (let f = 0; f < files; f++) {
    const fileRecords = randomProteins(random, perFile, minLength, maxLength, `f${f + 1}_p`);
    const file = path.join(dir, `proteins_${String(f + 1).padStart(3, '0')}.faa`);
    await writeFile(file, fastaText(fileRecords));
    paths.push(file);
  }
  return paths;
}

const geneticCode = 'FFLLSSSSYY**CC*WLLLLPPPPHHQQRRRRIIIMTTTTNNKKSSRRVVVVAAAADDEEGGGG';
const senseCodons = [...geneticCode].flatMap((amino, i) =>
  amino === '*' ? [] : [`${'TCAG'[i >> 4]}${'TCAG'[(i >> 2) & 3]}${'TCAG'[i & 3]}`],
);

/**
 * Writes `count` reads of `length` nt as FASTA, streamed (a million reads never sit in memory). Each
 * read is drawn from the 61 sense codons, so its first forward frame has no stop and every read keeps
 * at least one frame through predict, as a read of a coding region does.
 */
export async function writeCodingReads(
  file: string,
  seed: number,
  count: number,
  length: number,
): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  const random = seededRandom(seed);
  const handle = await open(file, 'w');
  try {
    let text = '';
    for (let i = 0; i < count; i++) {
      let read = '';
      while (read.length < length) read += senseCodons[Math.floor(random() * senseCodons.length)];
      text += `>read_${i + 1}\n${read.slice(0, length)}\n`;
      if (text.length >= 1 << 20 || i === count - 1) {
        await handle.writeFile(text);
        text = '';
      }
    }
  } finally {
    await handle.close();
  }
}
