// The engine's unit of work and its one result. A caller builds jobs with every path decided; nobody
// outside the pool reconstructs paths or matches file names.

/** Embed every record of a FASTA file with one embedding model into an embeddings file. */
export interface EmbedJob {
  /** the caller's name for the job, unique within one run() call */
  id: string;
  kind: 'embed';
  input: string;
  output: string;
  /** one of the pool's model folders */
  model: string;
  /** stored in the output; an existing output is reused only when it carries the same one */
  fingerprint: string;
}

/**
 * Score frames with the classifier: `input` lists one frame table (frame-table.ts) per classifier
 * feature, in the classifier manifest's order, all listing the same frames in the same order; each
 * table's source numbers index that feature's list in `sources`, embeddings files. The output is an
 * embeddings file of the softmax scores [frames, classes] in the tables' order.
 */
export interface ClassifyJob {
  id: string;
  kind: 'classify';
  input: string[];
  sources: string[][];
  output: string;
  /** the pool's classifier folder */
  model: string;
  fingerprint: string;
}

export type Job = EmbedJob | ClassifyJob;

/** Stable codes of a failed job. */
export type JobErrorCode =
  | 'E_INPUT' // the input file is unreadable or malformed
  | 'E_MODEL' // the model or tokenizer cannot be loaded or used
  | 'E_OOM' // out of memory on a single sequence: smaller batches cannot help
  | 'E_DEVICE' // the device is missing or refused the work
  | 'E_DISK_FULL' // no space (or quota) left for the output
  | 'E_READ_ONLY' // the output's file system is read-only
  | 'E_IO' // any other file-system failure
  | 'E_WORKER_DIED' // the worker process died on this job more often than retries allow
  | 'E_WORKER_START' // no worker could start (its models failed to load)
  | 'E_INTERNAL'; // anything else

export type JobStatus = 'done' | 'skipped' | 'failed' | 'interrupted';

export interface JobStats {
  /** records (embed) or frames (classify) */
  sequences: number;
  /** of those, the ones run through the model: identical sequences reuse one vector */
  embedded: number;
  tokens: number;
}

export interface JobResult {
  id: string;
  status: JobStatus;
  /** the output file, when done or skipped */
  output?: string;
  code?: JobErrorCode;
  message?: string;
  stats: JobStats;
}
