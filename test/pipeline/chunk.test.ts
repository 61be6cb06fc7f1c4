import { chunkRecord, chunkSpans } from '../../src/pipeline/chunk';

describe('chunkSpans (docs/behaviour.md §1 worked examples)', () => {
  it.each([
    [
      501,
      500,
      [
        [0, 500],
        [250, 501],
      ],
    ],
    [
      1001,
      500,
      [
        [0, 500],
        [333, 833],
        [666, 1001],
      ],
    ],
    [
      700,
      300,
      [
        [0, 300],
        [233, 533],
        [466, 700],
      ],
    ],
    [120, 300, [[0, 120]]],
    [300, 300, [[0, 300]]],
    [
      600,
      300,
      [
        [0, 300],
        [300, 600],
      ],
    ],
  ])('L=%p C=%p', (length, size, spans) => {
    expect(chunkSpans(length, size)).toEqual(spans);
  });

  it('gives no chunk for an empty sequence', () => {
    expect(chunkSpans(0, 500)).toEqual([]);
  });

  it('covers every base, never starts before 0 and cuts ceil(L/C) chunks of at most C', () => {
    for (const size of [300, 500]) {
      for (let length = 1; length < 4 * size; length += 7) {
        const spans = chunkSpans(length, size);
        expect(spans).toHaveLength(Math.ceil(length / size));
        expect(spans[0][0]).toBe(0);
        expect(spans[spans.length - 1][1]).toBe(length);
        for (const [start, end] of spans) expect(end - start).toBeLessThanOrEqual(size);
        for (let k = 1; k < spans.length; k++) expect(spans[k][0]).toBeLessThanOrEqual(spans[k - 1][1]);
      }
    }
  });
});

describe('chunkRecord', () => {
  it('names chunks <id>_chunk_<k> and keeps case', () => {
    const sequence = 'acgt'.repeat(100) + 'ACGT'.repeat(25) + 'a'; // 501 bases
    const chunks = chunkRecord('read7', sequence, 500);
    expect(chunks.map((c) => c.id)).toEqual(['read7_chunk_1', 'read7_chunk_2']);
    expect(chunks[0].sequence).toBe(sequence.slice(0, 500));
    expect(chunks[1].sequence).toBe(sequence.slice(250, 501));
    expect(chunks[0].sequence.startsWith('acgt')).toBe(true);
  });

  it('rejects a chunk size that is not a positive integer', () => {
    expect(() => chunkSpans(10, 0)).toThrow(/chunk size/);
  });
});
