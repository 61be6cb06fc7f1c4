import type { Dtype } from '../../binding';

/** Sequence indices (into the caller's input) of one batch, and its padded width. */
export interface Batch {
  indices: number[];
  width: number;
}

/**
 * Groups sequences by token length into batches whose padded size (rows * longest) stays within
 * `tokenBudget`. Longest first, so an out-of-memory batch shows up at the start of a file rather than
 * after most of it ran. A sequence longer than the budget on its own becomes a batch of one.
 */
export function planBatches(lengths: ArrayLike<number>, tokenBudget: number): Batch[] {
  const order = Array.from({ length: lengths.length }, (_, i) => i).sort(
    (a, b) => lengths[b] - lengths[a] || a - b,
  );
  const batches: Batch[] = [];
  let current: Batch | null = null;
  for (const index of order) {
    // Sorted descending, so the first row of a batch fixes its width.
    if (current && (current.indices.length + 1) * current.width <= tokenBudget) {
      current.indices.push(index);
    } else {
      current = { indices: [index], width: lengths[index] };
      batches.push(current);
    }
  }
  return batches;
}

/** Padded token ids and mask of one batch, row-major [rows, width]. */
export function padBatch(
  tokens: (index: number) => Int32Array,
  batch: Batch,
  padId: number,
): { tokens: Int32Array; mask: Uint8Array; shape: [number, number] } {
  const rows = batch.indices.length;
  const ids = new Int32Array(rows * batch.width).fill(padId);
  const mask = new Uint8Array(rows * batch.width);
  batch.indices.forEach((index, row) => {
    const sequence = tokens(index);
    ids.set(sequence, row * batch.width);
    mask.fill(1, row * batch.width, row * batch.width + sequence.length);
  });
  return { tokens: ids, mask, shape: [rows, batch.width] };
}

/** Splits a batch in two halves (after an out-of-memory error); each keeps its own, maybe smaller, width. */
export function splitBatch(batch: Batch, lengths: ArrayLike<number>): [Batch, Batch] {
  const middle = Math.ceil(batch.indices.length / 2);
  const half = (indices: number[]): Batch => ({
    indices,
    width: Math.max(...indices.map((i) => lengths[i])),
  });
  return [half(batch.indices.slice(0, middle)), half(batch.indices.slice(middle))];
}

/**
 * CPU default. Throughput on CPU hardly grows past a few thousand tokens per call, while padding
 * waste and peak memory do; 4096 is twice the original ESM batch (2048) and keeps a 3B model's
 * activations around a few GiB.
 */
export const cpuTokenBudget = 4096;

const bytesPerElement: Record<Dtype, number> = { fp32: 4, fp16: 2, bf16: 2 };

/**
 * CUDA default, from the device's free memory after the models are loaded:
 *
 *   budget = floor(0.5 * freeBytes / (bytes(dtype) * (16 * dim + 2 * heads * 1024)))
 *
 * Under inference mode only one layer's activations live at a time: per token about 16 vectors of
 * width `dim` (residual, normed input, q/k/v, attention output, the 4x feed-forward and its
 * activation, with slack) plus one row of attention scores per head, taken at 1024 keys (scores and
 * their softmax: the factor 2). Half of the free memory is left for the allocator's fragmentation and
 * the pooled outputs. Rounded down to a multiple of 256, at least 1024 tokens.
 */
export function cudaTokenBudget(
  freeBytes: number,
  model: { dim: number; heads: number },
  dtype: Dtype,
): number {
  const perToken = bytesPerElement[dtype] * (16 * model.dim + 2 * model.heads * 1024);
  const budget = Math.floor((0.5 * freeBytes) / perToken / 256) * 256;
  return Math.max(1024, budget);
}
