// Parameter and FLOP counts from a transformer's shape, for the memory figure and the CUDA
// matrix-throughput fraction. Both model families use a feed-forward width of 4 x hidden.

export type ModelKind = 'esm2' | 'dnabert-s';

export interface ModelShape {
  kind: ModelKind;
  layers: number;
  dim: number;
  heads: number;
  vocabSize: number;
}

/** The random architectures scripts/export-models.py can write, with the published shapes. */
export const randomArchitectures = {
  esm2_t6_8M: { kind: 'esm2', layers: 6, dim: 320, heads: 20, vocabSize: 33 },
  esm2_t12_35M: { kind: 'esm2', layers: 12, dim: 480, heads: 20, vocabSize: 33 },
  esm2_t30_150M: { kind: 'esm2', layers: 30, dim: 640, heads: 20, vocabSize: 33 },
  esm2_t33_650M: { kind: 'esm2', layers: 33, dim: 1280, heads: 20, vocabSize: 33 },
  esm2_t36_3B: { kind: 'esm2', layers: 36, dim: 2560, heads: 40, vocabSize: 33 },
  'dnabert-s-117M': { kind: 'dnabert-s', layers: 12, dim: 768, heads: 12, vocabSize: 4096 },
} as const satisfies Record<string, ModelShape>;

export type RandomArchitecture = keyof typeof randomArchitectures;

export interface ParameterCount {
  /** token (and token-type) embedding tables: lookups, no multiply-adds */
  embedding: number;
  /** everything else: projections, feed-forward, layer norms */
  nonEmbedding: number;
  total: number;
}

export function parameterCount(shape: ModelShape): ParameterCount {
  const d = shape.dim;
  const ffn = 4 * d;
  let embedding: number;
  let perLayer: number;
  let outside: number;
  if (shape.kind === 'esm2') {
    // q,k,v,out projections with bias; fc1, fc2 with bias; two layer norms; a final layer norm
    embedding = shape.vocabSize * d;
    perLayer = 4 * (d * d + d) + (d * ffn + ffn) + (ffn * d + d) + 2 * (2 * d);
    outside = 2 * d;
  } else {
    // word and 2 token-type embeddings plus their layer norm; fused qkv and out with bias; the
    // gated-linear-unit input projection (no bias) to 2 x ffn, its output projection with bias; two norms
    embedding = shape.vocabSize * d + 2 * d;
    perLayer = 3 * d * d + 3 * d + (d * d + d) + d * 2 * ffn + (ffn * d + d) + 2 * (2 * d);
    outside = 2 * d;
  }
  const nonEmbedding = shape.layers * perLayer + outside;
  return { embedding, nonEmbedding, total: embedding + nonEmbedding };
}

/**
 * Floating-point operations of one forward pass over `rows` sequences padded to `paddedLength`:
 * 2 per non-embedding parameter per position (a multiply and an add), plus the attention scores and
 * their weighted sum, 2 x L^2 x D each per layer.
 */
export function forwardFlops(shape: ModelShape, rows: number, paddedLength: number): number {
  const matmul = 2 * parameterCount(shape).nonEmbedding * paddedLength;
  const attention = 4 * paddedLength * paddedLength * shape.dim * shape.layers;
  return rows * (matmul + attention);
}
