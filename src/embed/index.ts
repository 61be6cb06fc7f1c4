import { z } from 'zod';
import { resolveDtype } from './devices';
import { EmbeddingModel } from './embedding-model';
import { dtypeSchema, engineOptionsSchema, parseOptions } from './options';
import { EmbeddingPool } from './pool';

export const embeddingPoolOptionsSchema = engineOptionsSchema.extend({
  /** model folders (exported by `virnucpro export`); each worker loads all of them once */
  models: z.array(z.string().min(1)).min(1),
  /** a classifier folder each worker also loads, for classify jobs */
  classifier: z.string().min(1).nullable().default(null),
  duplicateIds: z.enum(['error', 'allow']).default('error'),
});

export type EmbeddingPoolOptions = z.input<typeof embeddingPoolOptionsSchema>;

/** A pool of worker processes (one per GPU, or N on CPU), each holding the models for its lifetime. */
export function createEmbeddingPool(options: EmbeddingPoolOptions): EmbeddingPool {
  return new EmbeddingPool(parseOptions(embeddingPoolOptionsSchema, options, 'embedding pool options'));
}

export const embedSequencesOptionsSchema = z.strictObject({
  /** 'cpu' or 'cuda:N' */
  device: z
    .string()
    .regex(/^(cpu|cuda:\d+)$/)
    .default('cpu'),
  dtype: dtypeSchema.default('auto'),
  tokensPerBatch: engineOptionsSchema.shape.tokensPerBatch,
});

const sequencesSchema = z.array(z.strictObject({ id: z.string(), sequence: z.string() }));

export interface SequenceEmbeddings {
  ids: string[];
  dim: number;
  /** one row per input sequence, in input order; views into `data` */
  rows: Float32Array[];
  /** all rows, row-major [ids.length, dim] */
  data: Float32Array;
}

/**
 * Embeds a few sequences in this process, no worker processes. The model is loaded on the first call
 * and stays loaded in this process: later calls with the same folder, device and dtype reuse it.
 */
export async function embedSequences(
  modelDir: string,
  sequences: { id: string; sequence: string }[],
  options: z.input<typeof embedSequencesOptionsSchema> = {},
): Promise<SequenceEmbeddings> {
  const parsedOptions = parseOptions(embedSequencesOptionsSchema, options, 'embedSequences options');
  const parsedSequences = parseOptions(sequencesSchema, sequences, 'sequences');
  const model = await EmbeddingModel.load(modelDir, {
    ...parsedOptions,
    dtype: resolveDtype(parsedOptions.dtype, parsedOptions.device),
  });
  const tokenized = await model.tokenize(parsedSequences.map((record) => record.sequence));
  const { embeddings } = await model.embed(tokenized);
  const dim = model.dim;
  return {
    ids: parsedSequences.map((record) => record.id),
    dim,
    rows: parsedSequences.map((_, i) => embeddings.subarray(i * dim, (i + 1) * dim)),
    data: embeddings,
  };
}

export { readEmbeddings, type Embeddings } from '../io/embeddings-file';
export type { EmbedFilesResult, FileFailure } from './embed-files';
export type { ClassifyJob, EmbedJob, Job, JobErrorCode, JobResult, JobStats, JobStatus } from './jobs';
export { engineDefaults, engineOptionsSchema, type EngineOptionsInput } from './options';
export type { PoolEvent, PoolStats, WorkerStats } from './pool';
export { EmbeddingPool };
