import { cudaTokenBudget, padBatch, planBatches, splitBatch } from '../../src/embed/batching';

function randomLengths(count: number, seed: number): number[] {
  let state = seed;
  return Array.from({ length: count }, () => {
    state = (state * 1103515245 + 12345) % 2147483648;
    return 3 + (state % 700);
  });
}

describe('planBatches', () => {
  it.each([256, 1000, 4096, 20000])('covers every sequence once within budget %i', (budget) => {
    const lengths = randomLengths(2000, budget);
    const batches = planBatches(lengths, budget);
    const seen = batches.flatMap((batch) => batch.indices).sort((a, b) => a - b);
    expect(seen).toEqual(lengths.map((_, i) => i));
    for (const batch of batches) {
      expect(batch.width).toBe(Math.max(...batch.indices.map((i) => lengths[i])));
      if (batch.indices.length > 1) expect(batch.indices.length * batch.width).toBeLessThanOrEqual(budget);
    }
    // No batch could have taken the next one's first row: batches are as full as the budget allows.
    for (let b = 0; b + 1 < batches.length; b++) {
      expect((batches[b].indices.length + 1) * batches[b].width).toBeGreaterThan(budget);
    }
  });

  it('puts a sequence longer than the budget alone', () => {
    const batches = planBatches([10, 5000, 10], 100);
    expect(batches).toEqual([
      { indices: [1], width: 5000 },
      { indices: [0, 2], width: 10 },
    ]);
  });

  it('handles no sequences', () => {
    expect(planBatches([], 100)).toEqual([]);
  });
});

describe('padBatch and splitBatch', () => {
  const sequences = [
    new Int32Array([0, 5, 6, 2]),
    new Int32Array([0, 7, 2]),
    new Int32Array([0, 8, 9, 10, 2]),
  ];
  const lengths = sequences.map((s) => s.length);

  it('pads rows with the pad id and masks real tokens', () => {
    const padded = padBatch((i) => sequences[i], { indices: [2, 1], width: 5 }, 1);
    expect(padded.shape).toEqual([2, 5]);
    expect(Array.from(padded.tokens)).toEqual([0, 8, 9, 10, 2, 0, 7, 2, 1, 1]);
    expect(Array.from(padded.mask)).toEqual([1, 1, 1, 1, 1, 1, 1, 1, 0, 0]);
  });

  it('splits into halves that each keep their own width', () => {
    expect(splitBatch({ indices: [2, 0, 1], width: 5 }, lengths)).toEqual([
      { indices: [2, 0], width: 5 },
      { indices: [1], width: 3 },
    ]);
  });
});

describe('cudaTokenBudget', () => {
  it('follows the documented formula', () => {
    // ESM-2 3B in fp16 with 130 GB free: 0.5 * 130e9 / (2 * (16*2560 + 2*40*1024)) = 264485.7 -> 264448
    expect(cudaTokenBudget(130e9, { dim: 2560, heads: 40 }, 'fp16')).toBe(264448);
    expect(cudaTokenBudget(1e6, { dim: 2560, heads: 40 }, 'fp32')).toBe(1024);
  });
});
