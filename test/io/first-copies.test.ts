import { seededRandom } from '../../bench/synthetic';
import { FirstCopies, type Place } from '../../src/io/first-copies';

// FirstCopies against a plain Map as the reference: the same first place for every sequence.

describe('FirstCopies', () => {
  it('answers as a Map of first places does, through many resizes', () => {
    const random = seededRandom(11);
    const copies = new FirstCopies();
    const reference = new Map<string, Place>();
    const seen: string[] = [];
    const mismatches: string[] = [];
    for (let n = 0; n < 50_000; n++) {
      const again = random() < 0.3 && seen.length > 0;
      const length = 1 + Math.floor(random() * 30);
      const sequence = again
        ? seen[Math.floor(random() * seen.length)]
        : Array.from({ length }, () => 'ACGT'[Math.floor(random() * 4)]).join('');
      const place = { file: Math.floor(n / 1000), row: n % 1000 };
      if (!reference.has(sequence)) {
        reference.set(sequence, place);
        seen.push(sequence);
      }
      const expected = reference.get(sequence) as Place;
      const got = copies.firstPlace(sequence, place);
      if (got.file !== expected.file || got.row !== expected.row) mismatches.push(sequence);
    }
    expect(mismatches).toEqual([]);
    expect(copies.size).toBe(reference.size);
    expect(reference.size).toBeGreaterThan(20_000);
  });
});
