import { planBatches } from '../src/embed/batching';
import { forwardFlops, type ModelShape } from './model-shape';

// The matrix products a forward pass runs at a batch shape, so that the bench can time the same products
// on their own: the denominator of the CPU efficiency case.

/** `count` products of [batch] x [m,k] by [k,n]. */
export interface MatrixProduct {
  batch: number;
  m: number;
  k: number;
  n: number;
  count: number;
}

/**
 * The products of one forward over `rows` sequences padded to `width`: per layer the projections and
 * feed-forward on rows x width tokens, and the attention scores and weighted sum per row and head at the
 * model's head size (ESM-2: q, k, v, out, fc1 to 4D and back; DNABERT-S: the packed qkv, out, the
 * gated unit's 8D projection and its 4D-to-D output).
 */
export function forwardProducts(shape: ModelShape, rows: number, width: number): MatrixProduct[] {
  const tokens = rows * width;
  const d = shape.dim;
  const headDim = d / shape.heads;
  const perLayer = (m: number, k: number, n: number, batch = 1): MatrixProduct => ({
    batch,
    m,
    k,
    n,
    count: shape.layers,
  });
  const projections =
    shape.kind === 'esm2'
      ? [{ ...perLayer(tokens, d, d), count: 4 * shape.layers }, perLayer(tokens, d, 4 * d)]
      : [perLayer(tokens, d, 3 * d), perLayer(tokens, d, d), perLayer(tokens, d, 8 * d)];
  return [
    ...projections,
    perLayer(tokens, 4 * d, d),
    perLayer(width, headDim, width, rows * shape.heads),
    perLayer(width, width, headDim, rows * shape.heads),
  ];
}

/** The padded batch shapes the engine makes of these token lengths with this budget, as [rows, width]. */
export function engineBatchShapes(lengths: number[], tokenBudget: number): [number, number][] {
  return planBatches(lengths, tokenBudget).map((batch) => [batch.indices.length, batch.width]);
}

/** The same products summed by shape: equal batch shapes cost one timing. */
export function mergeProducts(products: MatrixProduct[]): MatrixProduct[] {
  const merged = new Map<string, MatrixProduct>();
  for (const p of products) {
    const key = `${p.batch}x${p.m}x${p.k}x${p.n}`;
    const found = merged.get(key);
    if (found) found.count += p.count;
    else merged.set(key, { ...p });
  }
  return [...merged.values()];
}

/** FLOPs a forward needs for these sequences alone, without padding: the useful work. */
export function usefulFlops(shape: ModelShape, lengths: number[]): number {
  return lengths.reduce((sum, length) => sum + forwardFlops(shape, 1, length), 0);
}
