import { createHash } from 'node:crypto';
import { writeEmbeddingsFile } from '../io/embeddings-file';
import type { AtomicFileWriter } from '../io/atomic-write';
import { readFasta } from '../io/fasta';
import { SequenceOutOfMemoryError, type RunStats } from './batch-runner';
import {
  concatTokenized,
  selectTokenized,
  type EmbeddingModel,
  type TokenizedSequences,
} from './embedding-model';
import { JobError } from './job-errors';
import type { EmbedJob, JobStats } from './jobs';

// How a worker runs embed jobs: read and tokenize each input, then run the jobs of one batch group
// together, so small files share batches, each distinct sequence of the group once (identical ones in
// the group reuse its vector; nothing is carried from one group to the next), and write each job's
// rows to its own output.

export interface PreparedJob {
  job: EmbedJob & { keep?: boolean };
  ids: string[];
  /** a digest of each sequence: identical sequences share it (the text itself is not kept) */
  keys: string[];
  tokenized: TokenizedSequences;
}

function sequenceKey(sequence: string): string {
  return createHash('sha256').update(sequence).digest('base64');
}

/** Sequences tokenized at a time while a file is read: its text is never held whole, only its tokens. */
const TOKENIZE_PIECE_BYTES = 4 << 20;

/** Reads and tokenizes one FASTA file as it streams; duplicate ids are an error unless allowed. */
export async function prepareEmbedJob(
  model: EmbeddingModel,
  job: EmbedJob,
  duplicateIds: 'error' | 'allow',
): Promise<PreparedJob> {
  const ids: string[] = [];
  const keys: string[] = [];
  const pieces: TokenizedSequences[] = [];
  let sequences: string[] = [];
  let bytes = 0;
  for await (const record of readFasta(job.input, { duplicateIds })) {
    ids.push(record.id);
    keys.push(sequenceKey(record.sequence));
    sequences.push(record.sequence);
    bytes += record.sequence.length;
    if (bytes >= TOKENIZE_PIECE_BYTES) {
      pieces.push(await model.tokenize(sequences));
      sequences = [];
      bytes = 0;
    }
  }
  if (sequences.length > 0 || pieces.length === 0) pieces.push(await model.tokenize(sequences));
  return { job, ids, keys, tokenized: pieces.length === 1 ? pieces[0] : concatTokenized(pieces) };
}

export interface GroupHooks {
  /** one forward call: its jobs, and `members`, the digest of each sequence it ran (sha256, base64) */
  onBatch?: (progress: { jobIds: string[]; members: string[]; sequences: number; tokens: number }) => void;
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
  hooks: GroupHooks = {},
): Promise<void> {
  const starts: number[] = [];
  const keys: string[] = [];
  for (const part of prepared) {
    starts.push(keys.length);
    keys.push(...part.keys);
  }
  const jobOf = (index: number): number => {
    let j = starts.length - 1;
    while (starts[j] > index) j--;
    return j;
  };
  // the first occurrence of each sequence is computed; the others reuse its vector
  const computedAt = new Map<string, number>();
  const computed: number[] = [];
  keys.forEach((key, index) => {
    if (computedAt.has(key)) return;
    computedAt.set(key, computed.length);
    computed.push(index);
  });
  let result;
  try {
    const tokenized = selectTokenized(concatTokenized(prepared.map((part) => part.tokenized)), computed);
    result = await model.embed(tokenized, ({ indices, tokens }) => {
      const jobIds = [...new Set(indices.map((k) => prepared[jobOf(computed[k])].job.id))];
      const members = indices.map((k) => keys[computed[k]]);
      hooks.onBatch?.({ jobIds, members, sequences: indices.length, tokens });
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
  const vectorOf = (key: string): Float32Array => {
    const at = computedAt.get(key) as number;
    return result.embeddings.subarray(at * dim, (at + 1) * dim);
  };
  let next = 0;
  for (const [j, part] of prepared.entries()) {
    const rows = part.ids.length;
    const data = new Float32Array(rows * dim);
    part.keys.forEach((key, row) => data.set(vectorOf(key), row * dim));
    let embedded = 0;
    while (next < computed.length && computed[next] < starts[j] + rows) {
      embedded++;
      next++;
    }
    if (!part.job.keep) {
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
    }
    const tokens = part.tokenized.lengths.reduce((sum, length) => sum + length, 0);
    hooks.onJobDone?.(part.job, { sequences: rows, embedded, tokens });
  }
}
