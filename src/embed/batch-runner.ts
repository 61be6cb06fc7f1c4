import { planBatches, splitBatch, type Batch } from './batching';

// Runs planned batches through a forward function and puts the pooled rows back in input order. The
// next batch is prepared (padded) while the current one runs; a batch that runs out of memory is halved
// and retried. `forward` is injected, so this loop is tested with a fake instead of a device.

export interface RunStats {
  batches: number;
  tokens: number;
  paddedTokens: number;
  forwardSeconds: number;
  /** batches halved after an out-of-memory error */
  oomSplits: number;
}

export class SequenceOutOfMemoryError extends Error {
  override name = 'SequenceOutOfMemoryError';
  readonly code = 'E_OOM';
  constructor(
    readonly index: number,
    readonly tokens: number,
    cause: unknown,
  ) {
    super(`out of memory on a single sequence of ${tokens} tokens; lower --tokens-per-batch will not help`, {
      cause,
    });
  }
}

export interface BatchBackend<P> {
  dim: number;
  /** padded inputs of a batch (runs while the previous batch is on the device) */
  prepare(batch: Batch): P;
  /** pooled rows [batch rows, dim], row-major */
  forward(prepared: P): Promise<{ data: Float32Array; seconds: number; paddedTokens: number }>;
  isOutOfMemory(error: unknown): boolean;
}

export async function runBatches<P>(
  lengths: ArrayLike<number>,
  tokenBudget: number,
  backend: BatchBackend<P>,
  onBatch?: (progress: { indices: number[]; tokens: number }) => void,
  batches: Batch[] = planBatches(lengths, tokenBudget),
): Promise<{ embeddings: Float32Array; stats: RunStats }> {
  const { dim } = backend;
  const embeddings = new Float32Array(lengths.length * dim);
  const stats: RunStats = { batches: 0, tokens: 0, paddedTokens: 0, forwardSeconds: 0, oomSplits: 0 };

  const run = async (batch: Batch, prepared: P): Promise<void> => {
    let output;
    try {
      output = await backend.forward(prepared);
    } catch (error) {
      if (!backend.isOutOfMemory(error)) throw error;
      if (batch.indices.length === 1)
        throw new SequenceOutOfMemoryError(batch.indices[0], batch.width, error);
      stats.oomSplits++;
      for (const half of splitBatch(batch, lengths)) await run(half, backend.prepare(half));
      return;
    }
    batch.indices.forEach((index, row) => {
      embeddings.set(output.data.subarray(row * dim, (row + 1) * dim), index * dim);
    });
    const tokens = batch.indices.reduce((sum, index) => sum + lengths[index], 0);
    stats.batches++;
    stats.tokens += tokens;
    stats.paddedTokens += output.paddedTokens;
    stats.forwardSeconds += output.seconds;
    onBatch?.({ indices: batch.indices, tokens });
  };

  let next = batches.length > 0 ? backend.prepare(batches[0]) : null;
  for (let b = 0; b < batches.length; b++) {
    const running = run(batches[b], next as P);
    next = b + 1 < batches.length ? backend.prepare(batches[b + 1]) : null;
    await running;
  }
  return { embeddings, stats };
}
