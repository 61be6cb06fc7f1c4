import { planBatches } from '../../src/embed/batching';
import { runBatches, SequenceOutOfMemoryError } from '../../src/embed/batch-runner';

// The forward loop with a fake device: rows come back in input order, out-of-memory batches are halved.

const outOfMemory = Object.assign(new Error('CUDA out of memory'), { code: 'ERR_OUT_OF_MEMORY' });

/** A fake model whose pooled row for sequence i is [i, length]; batches over `maxRows` rows fail. */
function fakeBackend(lengths: number[], maxRows: number, calls: number[][]) {
  return {
    dim: 2,
    prepare: (batch: { indices: number[] }) => batch.indices,
    forward: (indices: number[]) => {
      calls.push(indices);
      if (indices.length > maxRows) return Promise.reject(outOfMemory);
      const data = new Float32Array(indices.flatMap((i) => [i, lengths[i]]));
      const paddedTokens = indices.length * Math.max(...indices.map((i) => lengths[i]));
      return Promise.resolve({ data, seconds: 0, paddedTokens });
    },
    isOutOfMemory: (error: unknown) => error === outOfMemory,
  };
}

describe('runBatches', () => {
  const lengths = [5, 30, 12, 7, 30, 1, 18];

  it('returns rows in input order whatever the batch order', async () => {
    const calls: number[][] = [];
    const { embeddings, stats } = await runBatches(lengths, 60, fakeBackend(lengths, 100, calls));
    expect(Array.from(embeddings)).toEqual(lengths.flatMap((length, i) => [i, length]));
    expect(stats.batches).toBe(calls.length);
    expect(stats.tokens).toBe(lengths.reduce((a, b) => a + b, 0));
    expect(calls[0]).toEqual([1, 4]); // longest first
  });

  it('halves a batch that runs out of memory until it fits, and counts the splits', async () => {
    const calls: number[][] = [];
    const { embeddings, stats } = await runBatches(lengths, 1000, fakeBackend(lengths, 2, calls));
    expect(Array.from(embeddings)).toEqual(lengths.flatMap((length, i) => [i, length]));
    expect(calls[0]).toHaveLength(7);
    expect(stats.oomSplits).toBe(3); // 7 -> 4 + 3 -> (2 + 2) + (2 + 1)
    expect(calls.filter((indices) => indices.length <= 2)).toHaveLength(4);
  });

  it('names the sequence when even one alone does not fit', async () => {
    const calls: number[][] = [];
    const run = runBatches(lengths, 1000, fakeBackend(lengths, 0, calls));
    await expect(run).rejects.toBeInstanceOf(SequenceOutOfMemoryError);
    await expect(run).rejects.toMatchObject({ index: 1, code: 'E_OOM' });
  });

  it('fills batches across what were separate files: 20 small inputs batch like one', () => {
    const perFile = Array.from({ length: 20 }, (_, f) =>
      Array.from({ length: 25 }, (_, r) => 100 + ((f * 25 + r) % 67)),
    );
    const together = planBatches(perFile.flat(), 4096);
    const separately = perFile.flatMap((file) => planBatches(file, 4096));
    const padded = (batches: { indices: number[]; width: number }[]) =>
      batches.reduce((sum, batch) => sum + batch.indices.length * batch.width, 0);
    expect(together.length).toBeLessThan(separately.length);
    expect(padded(together)).toBeLessThan(padded(separately));
  });
});
