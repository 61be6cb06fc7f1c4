import { seededRandom } from '../embed/helpers';

// The workflow tests' input: reads of every kind a run can call.

const STOPS = new Set(['TAA', 'TAG', 'TGA']);
const CODONS = [...'ACGT'].flatMap((a) => [...'ACGT'].flatMap((b) => [...'ACGT'].map((c) => a + b + c)));
const SENSE = CODONS.filter((codon) => !STOPS.has(codon));

/** Reads like the demo's: stop-free codons in frame 0 (so frames are kept), a few random or with N. */
export function generatedReads(count: number): string {
  const random = seededRandom(2025);
  const pick = (items: string[]) => items[Math.floor(random() * items.length)];
  let text = '>empty_record\n';
  for (let i = 1; i <= count; i++) {
    const length = 150 + Math.floor(random() * 450);
    const alphabet = i % 10 === 0 ? CODONS : SENSE;
    let sequence = Array.from({ length: Math.ceil(length / 3) }, () => pick(alphabet))
      .join('')
      .slice(0, length);
    if (i % 7 === 0) sequence = sequence.slice(0, 40) + 'N'.repeat(9) + sequence.slice(49);
    text += `>read_${i} generated ${length} nt\n${sequence}\n`;
  }
  return text;
}
