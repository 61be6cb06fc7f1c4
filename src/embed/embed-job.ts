import { writeEmbeddingsFile } from '../io/embeddings-file';
import type { AtomicFileWriter } from '../io/atomic-write';
import { readFasta } from '../io/fasta';
import { SequenceOutOfMemoryError, type RunStats } from './batch-runner';
import type { EmbeddingCache } from './embedding-cache';
import {
  concatTokenized,
  selectTokenized,
  type EmbeddingModel,
  type TokenizedSequences,
} from './embedding-model';
import { JobError } from './job-errors';
import type { EmbedJob, JobStats } from './jobs';

// How a worker runs embed jobs: read and tokenize each input, then run the jobs of one model together,
// so small files share batches, each distinct sequence once (identical ones, within the group or met
// before by this worker, reuse its vector), and write each job's rows to its own output.

export interface PreparedJob {
  job: EmbedJob;
  ids: string[];
  sequences: string[];
  tokenized: TokenizedSequences;
}

/** Reads and tokenizes one FASTA file; duplicate ids are an error unless allowed. */
export async function prepareEmbedJob(
  model: EmbeddingModel,
  job: EmbedJob,
  duplicateIds: 'error' | 'allow',
): Promise<PreparedJob> {
  const ids: string[] = [];
  const sequences: string[] = [];
  for await (const record of readFasta(job.input, { duplicateIds })) {
    ids.push(record.id);
    sequences.push(record.sequence);
  }
  return { job, ids, sequences, tokenized: await model.tokenize(sequences) };
}

export interface GroupHooks {
  onBatch?: (progress: { jobIds: string[]; sequences: number; tokens: number }) => void;
  /** the forward passes are over (before any output is written) */
  onEmbedded?: (stats: RunStats) => void;
  /** the writer of the output being written, so a signal can remove it */
  onWriter?: (writer: AtomicFileWriter | null) => void;
  /** each job's output is on disk */
  onJobDone?: (job: EmbedJob, stats: JobStats) => void;
}

/**
 * Embeds the jobs' distinct sequences in shared, length-sorted batches and writes each job's output.
 * Rows keep their job's input order.
 */
export async function runEmbedGroup(
  model: EmbeddingModel,
  prepared: PreparedJob[],
  cache: EmbeddingCache,
  hooks: GroupHooks = {},
): Promise<void> {
  const starts: number[] = [];
  const sequences: string[] = [];
  for (const part of prepared) {
    starts.push(sequences.length);
    sequences.push(...part.sequences);
  }
  const jobOf = (index: number): number => {
    let j = starts.length - 1;
    while (starts[j] > index) j--;
    return j;
  };
  // the first occurrence of each sequence the cache does not hold is computed
  const cached = new Map<string, Float32Array>();
  const computedAt = new Map<string, number>();
  const computed: number[] = [];
  sequences.forEach((sequence, index) => {
    if (computedAt.has(sequence) || cached.has(sequence)) return;
    const vector = cache.get(sequence);
    if (vector) cached.set(sequence, vector);
    else {
      computedAt.set(sequence, computed.length);
      computed.push(index);
    }
  });
  let result;
  try {
    const tokenized = selectTokenized(concatTokenized(prepared.map((part) => part.tokenized)), computed);
    result = await model.embed(tokenized, ({ indices, tokens }) => {
      const jobIds = [...new Set(indices.map((k) => prepared[jobOf(computed[k])].job.id))];
      hooks.onBatch?.({ jobIds, sequences: indices.length, tokens });
    });
  } catch (error) {
    if (error instanceof SequenceOutOfMemoryError) {
      const index = computed[error.index];
      const part = prepared[jobOf(index)];
      throw new JobError(
        'E_OOM',
        `${part.job.input}: record "${part.ids[index - starts[jobOf(index)]]}": ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  }
  hooks.onEmbedded?.(result.stats);
  const { dim } = model;
  const vectorOf = (sequence: string): Float32Array => {
    const at = computedAt.get(sequence);
    return at === undefined
      ? (cached.get(sequence) as Float32Array)
      : result.embeddings.subarray(at * dim, (at + 1) * dim);
  };
  for (const [k, index] of computed.entries())
    cache.set(sequences[index], result.embeddings.subarray(k * dim, (k + 1) * dim));
  let next = 0;
  for (const [j, part] of prepared.entries()) {
    const rows = part.ids.length;
    const data = new Float32Array(rows * dim);
    part.sequences.forEach((sequence, row) => data.set(vectorOf(sequence), row * dim));
    let embedded = 0;
    while (next < computed.length && computed[next] < starts[j] + rows) {
      embedded++;
      next++;
    }
    await writeEmbeddingsFile(
      part.job.output,
      {
        ids: part.ids,
        data,
        dim,
        model: model.manifest.arch,
        pooling: model.manifest.pooling,
        dtype: model.dtype,
        fingerprint: part.job.fingerprint,
      },
      hooks.onWriter,
    );
    const tokens = part.tokenized.lengths.reduce((sum, length) => sum + length, 0);
    hooks.onJobDone?.(part.job, { sequences: rows, embedded, tokens });
  }
}
