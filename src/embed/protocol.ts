import type { Dtype } from '../../binding';
import type { ErrorPayload } from './job-errors';
import type { Job, JobStats } from './jobs';

// Messages between the pool (parent) and a worker process, over Node's IPC channel.

/** Given to a worker in the VIRNUCPRO_WORKER environment variable as JSON. */
export interface WorkerConfig {
  /** embedding model folders, each loaded once at start */
  models: string[];
  /** the classifier folder, loaded once at start, or null */
  classifier: string | null;
  /** 'cpu', or 'cuda:0' (the parent narrows CUDA_VISIBLE_DEVICES to the worker's GPU) */
  device: string;
  dtype: Dtype;
  /** intra-op threads on CPU; null leaves libtorch's default */
  threads: number | null;
  tokensPerBatch: number | null;
  cacheClearInterval: number;
  duplicateIds: 'error' | 'allow';
  /** one sequence per forward call, deterministic kernels */
  deterministic: boolean;
}

export const workerConfigVariable = 'VIRNUCPRO_WORKER';
/** Test-only: `count:minRows` makes the next `count` forward calls of >= minRows rows fail with ERR_OUT_OF_MEMORY. */
export const injectOutOfMemoryVariable = 'VIRNUCPRO_TEST_INJECT_OOM';

/** Cumulative counters of one worker process. */
export interface WorkerCounters {
  modelLoads: number;
  /** CUDA cache clears (--cache-clear-interval); null where there is no CUDA cache (CPU workers) */
  cacheClears: number | null;
  /** jobs finished: embeddings files and classify jobs */
  files: number;
  sequences: number;
  /** sequences run through a model: the others reused the vector of an identical one */
  embedded: number;
  tokens: number;
  /** rows × width summed over forward calls; tokens / paddedTokens is the batching's efficiency */
  paddedTokens: number;
  batches: number;
  forwardSeconds: number;
  oomSplits: number;
}

/**
 * A job as a worker gets it. `group`: the key of its batch group (pool.ts batchGroups); the worker
 * batches the jobs of one group together and never two groups together, even when it holds several.
 * `keep`: the output is complete already, so it is computed for the group's batches but not written
 * again.
 */
export type WorkerJob = Job & { group: string; keep: boolean };

export type ParentMessage = { type: 'jobs'; jobs: WorkerJob[] } | { type: 'close' };

/** What a worker found at start: the environment its addon saw, and the batch budget per model. */
export interface WorkerSetup {
  visibleDevices: string | null;
  /** PYTORCH_CUDA_ALLOC_CONF as the addon left it */
  allocConf: string | null;
  /** why the addon left expandable segments off (a libtorch before 2.1), else null */
  allocConfNote: string | null;
  dtype: Dtype;
  tokenBudgets: Record<string, number>;
}

export type WorkerMessage =
  | { type: 'ready'; counters: WorkerCounters; setup: WorkerSetup }
  /** one forward call; `members`: the digest of each sequence it ran (sha256 of the text, base64) */
  | {
      type: 'progress';
      jobIds: string[];
      members: string[];
      model: string;
      sequences: number;
      tokens: number;
    }
  | { type: 'done'; jobId: string; stats: JobStats; counters: WorkerCounters }
  | { type: 'failed'; jobId: string; error: ErrorPayload; counters: WorkerCounters }
  /** the worker cannot start (a model failed to load); it exits after sending this */
  | { type: 'fatal'; error: ErrorPayload };

export function zeroCounters(): WorkerCounters {
  return {
    modelLoads: 0,
    cacheClears: null,
    files: 0,
    sequences: 0,
    embedded: 0,
    tokens: 0,
    forwardSeconds: 0,
    oomSplits: 0,
    paddedTokens: 0,
    batches: 0,
  };
}

const sumOrNull = (a: number | null, b: number | null) => (a === null ? b : b === null ? a : a + b);

export function addCounters(a: WorkerCounters, b: WorkerCounters): WorkerCounters {
  const sum = zeroCounters();
  for (const key of Object.keys(sum) as (keyof WorkerCounters)[]) {
    if (key !== 'cacheClears') sum[key] = a[key] + b[key];
  }
  sum.cacheClears = sumOrNull(a.cacheClears, b.cacheClears);
  return sum;
}
