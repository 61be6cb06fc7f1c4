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

/** `count` records named `<idPrefix>1`, `<idPrefix>2`, ... holding what `sequence` draws for each. */
function numberedRecords(count: number, idPrefix: string, sequence: () => string): FastaRecord[] {
  return Array.from({ length: count }, (_, i) => ({ id: `${idPrefix}${i + 1}`, sequence: sequence() }));
}

export function randomProteins(
  random: () => number,
  count: number,
  minLength: number,
  maxLength: number,
  idPrefix: string,
): FastaRecord[] {
  return numberedRecords(count, idPrefix, () =>
    randomString(random, aminoAcids, lengthBetween(random, minLength, maxLength)),
  );
}

export function randomReads(random: () => number, count: number, length: number): string[] {
  return Array.from({ length: count }, () => randomString(random, nucleotides, length));
}

const stopCodons = new Set(['TAA', 'TAG', 'TGA']);
const senseCodons = Array.from({ length: 64 }, (_, i) =>
  [16, 4, 1].map((weight) => nucleotides[Math.floor(i / weight) % 4]).join(''),
).filter((codon) => !stopCodons.has(codon));

/**
 * Gene-like reads: stop-free codons from the read's first base, so that VirNucPro's six-frame step keeps
 * a frame of every chunk, as it does on real coding sequence (uniform random bases would leave almost
 * no stop-free frame of 100 codons).
 */
export function randomCodingReads(
  random: () => number,
  count: number,
  lengths: [number, number],
  idPrefix: string,
): FastaRecord[] {
  return numberedRecords(count, idPrefix, () => {
    const length = lengthBetween(random, lengths[0], lengths[1]);
    let sequence = '';
    while (sequence.length < length) sequence += senseCodons[Math.floor(random() * senseCodons.length)];
    return sequence.slice(0, length);
  });
}

/**
 * The records, then each again under the id `<id>_again` in a shuffled order: every sequence twice, no
 * id twice, and a copy far from its original.
 */
export function withShuffledCopy(records: FastaRecord[], random: () => number): FastaRecord[] {
  const copies = records.map((record) => ({ id: `${record.id}_again`, sequence: record.sequence }));
  for (let i = copies.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copies[i], copies[j]] = [copies[j], copies[i]];
  }
  return [...records, ...copies];
}

export function fastaText(records: FastaRecord[]): string {
  return records.map((record) => `>${record.id}\n${record.sequence}\n`).join('');
}

/** Real tokens of ESM-2 inputs: residues plus <cls> and <eos>. */
export function esmTokenCount(records: FastaRecord[]): number {
  return records.reduce((sum, record) => sum + record.sequence.length + 2, 0);
}

/** Writes records to a FASTA file, making its folder. */
export async function writeFastaFile(file: string, records: FastaRecord[]): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, fastaText(records));
}

/** Writes `shape.files` FASTA files of `shape.sequencesPerFile` proteins each under dir; returns their paths. */
export async function writeProteinFiles(
  dir: string,
  seed: number,
  shape: { files: number; sequencesPerFile: number },
  [minLength, maxLength]: [number, number],
): Promise<string[]> {
  await mkdir(dir, { recursive: true });
  const random = seededRandom(seed);
  const paths: string[] = [];
  for (let f = 0; f < shape.files; f++) {
    const fileRecords = randomProteins(random, shape.sequencesPerFile, minLength, maxLength, `f${f + 1}_p`);
    const file = path.join(dir, `proteins_${String(f + 1).padStart(3, '0')}.faa`);
    await writeFile(file, fastaText(fileRecords));
    paths.push(file);
  }
  return paths;
}

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
