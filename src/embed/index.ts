import { z } from 'zod';
import { resolveDtype } from './devices';
import { EmbeddingModel } from './embedding-model';
import { parseOptions } from './options';
import type { EmbeddingPoolOptions, EmbedSequencesOptions } from './engine-options';
import { embeddingPoolOptionsSchema, embedSequencesOptionsSchema } from './pool-schema';
import { EmbeddingPool } from './pool';

/** A pool of worker processes (one per GPU, or N on CPU), each holding the models for its lifetime. */
export function createEmbeddingPool(options: EmbeddingPoolOptions): EmbeddingPool {
  return new EmbeddingPool(parseOptions(embeddingPoolOptionsSchema, options, 'embedding pool options'));
}

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
  options: EmbedSequencesOptions = {},
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
export type {
  Devices,
  DtypeChoice,
  EmbeddingPoolOptions,
  EmbedSequencesOptions,
  EngineOptions,
  EngineOptionsInput,
} from './engine-options';
export type { PoolEvent, PoolStats, WorkerStats } from './pool';
export { EmbeddingPool };
