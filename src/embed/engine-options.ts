// The engine's option types as callers write them. Their zod schemas (options.ts, pool-schema.ts) stay
// internal: a compile-time check there keeps each interface and its schema in step.

export type Devices = 'cpu' | 'all' | number[];
export type DtypeChoice = 'auto' | 'fp32' | 'fp16' | 'bf16';

/** The embedding engine's options as callers give them; every field has a default. */
export interface EngineOptionsInput {
  /** 'cpu' (default), GPU indices as CUDA numbers them for this process, or 'all' GPUs (CPU when there is none) */
  devices?: Devices;
  /**
   * CPU worker processes, the cores divided between them (default: one single-threaded worker per
   * core, fewer where the models' copies would not fit in memory); GPUs always get one worker each
   */
  workers?: number | null;
  /** intra-op threads of each CPU worker (default: the cores divided by `workers`) */
  threads?: number | null;
  /** weights and activations on the device; 'auto' (default): fp32 on CPU, bf16 on CUDA */
  dtype?: DtypeChoice;
  /** padded tokens per forward call (default: from the device, CPU 4096, CUDA from free memory) */
  tokensPerBatch?: number | null;
  /** each GPU worker empties the CUDA cache after every this many embeddings files it writes (default 10) */
  cacheClearInterval?: number;
  /** how often a file is retried after the worker running it died (default 2) */
  maxRetries?: number;
  /** false: a fresh worker process, loading the models again, for every file (default true) */
  persistent?: boolean;
  /**
   * true: outputs bit-identical whatever the batching, sharding, file grouping or worker count, on the
   * same device type and libtorch build; slower (default false; see docs/embedding.md)
   */
  deterministic?: boolean;
}

/** The engine options with their defaults filled in. */
export type EngineOptions = Required<EngineOptionsInput>;

/** True when two types are the same (a compile-time check that an interface and its schema agree). */
export type SameType<A, B> =
  (<T>() => T extends A ? 1 : 2) extends <T>() => T extends B ? 1 : 2 ? true : false;

export interface EmbeddingPoolOptions extends EngineOptionsInput {
  /** model folders (exported by `virnucpro export`); each worker loads all of them once */
  models: string[];
  /** a classifier folder each worker also loads, for classify jobs (default none) */
  classifier?: string | null;
  /** 'error' (default): a repeated id in an input file fails that file; 'allow' embeds it again */
  duplicateIds?: 'error' | 'allow';
}

export interface EmbedSequencesOptions {
  /** 'cpu' (default) or 'cuda:N' */
  device?: string;
  /** 'auto' (default): fp32 on CPU, bf16 on CUDA */
  dtype?: 'auto' | 'fp32' | 'fp16' | 'bf16';
  /** padded tokens per forward call (default: from the device) */
  tokensPerBatch?: number | null;
}
