import { z } from 'zod';
import { EmbeddingModel } from './embedding-model';
import { EmbeddingPool } from './pool';

const dtype = z.enum(['fp32', 'fp16', 'bf16']);
const positiveInt = z.number().int().positive();

export const embeddingPoolOptionsSchema = z.strictObject({
  /** model folders (exported by scripts/export-models.py); each worker loads all of them once */
  models: z.array(z.string().min(1)).min(1),
  devices: z
    .union([z.literal('cpu'), z.literal('all'), z.array(z.number().int().nonnegative()).min(1)])
    .default('cpu'),
  /** CPU worker processes; GPUs always get one each */
  workers: positiveInt.default(1),
  tokensPerBatch: positiveInt.nullable().default(null),
  dtype: dtype.default('fp32'),
  persistent: z.boolean().default(true),
  cacheClearInterval: positiveInt.default(10),
  maxRetries: z.number().int().nonnegative().default(2),
  duplicateIds: z.enum(['error', 'allow']).default('error'),
});

export type EmbeddingPoolOptions = z.input<typeof embeddingPoolOptionsSchema>;

function parse<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new TypeError(`invalid ${what}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** A pool of worker processes (one per GPU, or N on CPU), each holding the models for its lifetime. */
export function createEmbeddingPool(options: EmbeddingPoolOptions): EmbeddingPool {
  return new EmbeddingPool(parse(embeddingPoolOptionsSchema, options, 'embedding pool options'));
}

export const embedSequencesOptionsSchema = z.strictObject({
  /** 'cpu' or 'cuda:N' */
  device: z
    .string()
    .regex(/^(cpu|cuda:\d+)$/)
    .default('cpu'),
  dtype: dtype.default('fp32'),
  tokensPerBatch: positiveInt.nullable().default(null),
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

/** Embeds a few sequences in this process (the model stays loaded in it); no worker processes. */
export async function embedSequences(
  modelDir: string,
  sequences: { id: string; sequence: string }[],
  options: z.input<typeof embedSequencesOptionsSchema> = {},
): Promise<SequenceEmbeddings> {
  const parsedOptions = parse(embedSequencesOptionsSchema, options, 'embedSequences options');
  const parsedSequences = parse(sequencesSchema, sequences, 'sequences');
  const model = await EmbeddingModel.load(modelDir, parsedOptions);
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

export type { EmbedFilesResult, FileFailure, PoolEvent, PoolStats, WorkerStats } from './pool';
export { EmbeddingPool };
