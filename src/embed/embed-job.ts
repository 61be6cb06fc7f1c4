import { writeEmbeddingsFile } from '../io/embeddings-file';
import type { AtomicFileWriter } from '../io/atomic-write';
import { readFasta } from '../io/fasta';
import { SequenceOutOfMemoryError, type RunStats } from './batch-runner';
import { concatTokenized, type EmbeddingModel, type TokenizedSequences } from './embedding-model';
import { JobError } from './job-errors';
import type { EmbedJob, JobStats } from './jobs';

// How a worker runs embed jobs: read and tokenize each input, then run the jobs of one model together,
// so small files share batches, and write each job's rows to its own output.

export interface PreparedJob {
  job: EmbedJob;
  ids: string[];
  tokenized: TokenizedSequences;
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
  const pieces: TokenizedSequences[] = [];
  let sequences: string[] = [];
  let bytes = 0;
  for await (const record of readFasta(job.input, { duplicateIds })) {
    ids.push(record.id);
    sequences.push(record.sequence);
    bytes += record.sequence.length;
    if (bytes >= TOKENIZE_PIECE_BYTES) {
      pieces.push(await model.tokenize(sequences));
      sequences = [];
      bytes = 0;
    }
  }
  if (sequences.length > 0 || pieces.length === 0) pieces.push(await model.tokenize(sequences));
  return { job, ids, tokenized: pieces.length === 1 ? pieces[0] : concatTokenized(pieces) };
}

export interface GroupHooks {
  onBatch?: (progress: { jobIds: string[]; sequences: number; tokens: number }) => void;
  /** the writer of the output being written, so a signal can remove it */
  onWriter?: (writer: AtomicFileWriter | null) => void;
  /** the forward passes are over (before any output is written) */
  onEmbedded?: (stats: RunStats) => void;
  /** each job's output is on disk */
  onJobDone?: (job: EmbedJob, stats: JobStats) => void;
}

/**
 * Embeds the jobs' sequences in shared, length-sorted batches and writes each job's output. Rows keep
 * their job's input order.
 */
export async function runEmbedGroup(
  model: EmbeddingModel,
  prepared: PreparedJob[],
  hooks: GroupHooks = {},
): Promise<void> {
  const starts: number[] = [];
  let total = 0;
  for (const part of prepared) {
    starts.push(total);
    total += part.ids.length;
  }
  const jobOf = (index: number): number => {
    let j = starts.length - 1;
    while (starts[j] > index) j--;
    return j;
  };
  let result;
  try {
    result = await model.embed(
      concatTokenized(prepared.map((part) => part.tokenized)),
      ({ indices, tokens }) => {
        const jobIds = [...new Set(indices.map((index) => prepared[jobOf(index)].job.id))];
        hooks.onBatch?.({ jobIds, sequences: indices.length, tokens });
      },
    );
  } catch (error) {
    if (error instanceof SequenceOutOfMemoryError) {
      const part = prepared[jobOf(error.index)];
      throw new JobError(
        'E_OOM',
        `${part.job.input}: record "${part.ids[error.index - starts[jobOf(error.index)]]}": ${error.message}`,
        { cause: error },
      );
    }
    throw error;
  }
  hooks.onEmbedded?.(result.stats);
  const { dim } = model;
  for (const [j, part] of prepared.entries()) {
    const rows = part.ids.length;
    await writeEmbeddingsFile(
      part.job.output,
      {
        ids: part.ids,
        data: result.embeddings.subarray(starts[j] * dim, (starts[j] + rows) * dim),
        dim,
        model: model.manifest.arch,
        pooling: model.manifest.pooling,
        dtype: model.dtype,
        fingerprint: part.job.fingerprint,
      },
      hooks.onWriter,
    );
    const tokens = part.tokenized.lengths.reduce((sum, length) => sum + length, 0);
    hooks.onJobDone?.(part.job, { sequences: rows, tokens });
  }
}
