import type { Dtype } from '../binding';
import type { EmbeddingCounts } from '../src/pipeline/predict';
import type { Spread } from './repeats';

// What each measurement hands to the results builder. Seconds are context; the figures are ratios.

/** A case measured in repeats: its seconds are those of the repeat nearest the median ratio. */
export interface Repeated {
  /** the case's ratio over every repeat */
  spread: Spread;
}

/** One `virnucpro embed` run, timed from outside and described by its --report. */
export interface EmbedRun {
  label: string;
  workers: number;
  threadsPerWorker: number;
  /** the whole command, process start to exit */
  wallSeconds: number;
  /** user + system CPU seconds of the command and its workers: steadier than wall time on a busy machine */
  cpuSeconds: number;
  modelLoads: number;
  /** load time summed over every load, null when the run did not report it */
  modelLoadSeconds: number | null;
  forwardSeconds: number;
  sequences: number;
  tokens: number;
  /** VmHWM of each worker process, MiB */
  peakRssMb: number[];
}

export interface PersistentCase extends Repeated {
  arch: string;
  files: number;
  sequencesPerFile: number;
  persistent: EmbedRun;
  perFile: EmbedRun;
  /** perFile.wallSeconds / persistent.wallSeconds */
  speedup: number;
}

export interface PythonSide {
  /** the whole process, start to embeddings on disk */
  seconds: number;
  cpuSeconds: number;
  tokensPerSecond: number;
  /** one model load (the engine's measured in a fresh load, Python's by itself) */
  loadSeconds: number;
  forwardSeconds: number;
}

export interface PythonCase extends Repeated {
  arch: string;
  sequences: number;
  /** real tokens, <cls> and <eos> included, the same count for both sides */
  tokens: number;
  engine: PythonSide & { forwardFraction: number };
  python: PythonSide & { batches: number };
  /** engine tokens/s over Python tokens/s */
  ratio: number;
  maxAbsDiff: number;
}

export interface TokenizerCase extends Repeated {
  reads: number;
  readLength: number;
  vocabSize: number;
  nativeSeconds: number;
  /** @huggingface/tokenizers, pure JavaScript */
  javascriptSeconds: number;
  /** tokenizers, Hugging Face's Rust library through its Node binding */
  rustSeconds: number;
  /** both libraries' ids equal the native ones for every read */
  idsEqual: boolean;
  /** reads whose ids differ from the native ones, counted per library */
  mismatchedReads: number;
  /** javascriptSeconds / nativeSeconds; `spread` is its spread */
  speedup: number;
  /** rustSeconds / nativeSeconds */
  rustSpeedup: number;
  rustSpread: Spread;
}

export interface ScalingCase extends Repeated {
  arch: string;
  oneWorkerAllCores: EmbedRun;
  workerPerCore: EmbedRun;
  /** oneWorkerAllCores.wallSeconds / workerPerCore.wallSeconds */
  speedup: number;
}

/** An embed run with its batching: forward calls, and rows x width summed over them. */
export interface BatchedEmbedRun extends EmbedRun {
  batches: number;
  paddedTokens: number;
}

/** `embed` of the same proteins as many small files and as one file, one worker: batches cross files. */
export interface CrossFileCase extends Repeated {
  arch: string;
  files: number;
  sequencesPerFile: number;
  manyFiles: BatchedEmbedRun;
  oneFile: BatchedEmbedRun;
  /** manyFiles.wallSeconds / oneFile.wallSeconds */
  ratio: number;
}

/** One `virnucpro predict` run, timed from outside and described by its --report. */
export interface PredictRun {
  label: string;
  workers: number;
  deterministic: boolean;
  wallSeconds: number;
  cpuSeconds: number;
  records: number;
  frames: number;
  /** per model: the sequences, and those of them run through the model */
  embedded: EmbeddingCounts;
  /** seconds inside forward, summed over workers */
  forwardSeconds: number;
}

/** The predict workload: models and reads. */
interface PredictWorkload {
  models: string;
  reads: number;
  readLengths: [number, number];
}

/** `predict` on reads each present twice under another id, and on the reads once. */
export interface DedupCase extends Repeated, PredictWorkload {
  doubled: PredictRun;
  unique: PredictRun;
  /** doubled.wallSeconds / unique.wallSeconds */
  ratio: number;
}

/** `predict --deterministic` with one worker and with two, against the default run, on the same reads. */
export interface DeterministicCase extends Repeated, PredictWorkload {
  standard: PredictRun;
  oneWorker: PredictRun;
  twoWorkers: PredictRun;
  /** oneWorker.wallSeconds / standard.wallSeconds; `spread` is its spread */
  ratio: number;
  /** twoWorkers.wallSeconds / standard.wallSeconds */
  twoWorkersRatio: number;
  twoWorkersSpread: Spread;
}

/** Many small samples: `predict --samples`, one command per sample, and one run of all the reads. */
export interface SamplesCase extends Repeated {
  models: string;
  samples: number;
  readsPerSample: number;
  readLengths: [number, number];
  sheetSeconds: number;
  /** the per-sample commands, one after the other, summed */
  separateSeconds: number;
  combinedSeconds: number;
  /** CPU seconds of each side with its workers: steadier than wall time on a loaded machine (absent in
   * the first results of this case) */
  cpuSeconds?: { sheet: number; separate: number; combined: number };
  /** sheetSeconds / combinedSeconds; `spread` is its spread */
  ratio: number;
  /** separateSeconds / combinedSeconds */
  separateRatio: number;
  separateSpread: Spread;
}

/** A predictor's classify() on a long stream: the parent's memory along it. */
export interface ClassifyStreamRun {
  models: string;
  records: number;
  frames: number;
  wallSeconds: number;
  /** the parent's RSS after each twentieth of the stream, MiB */
  rssMb: number[];
  /** the last sample over the one at a quarter of the stream: 1 is flat */
  rssGrowth: number;
  /** the parent's heap after a full collection at the same points, MiB (absent in the first results) */
  heapMb?: number[];
  heapGrowth?: number;
}

/**
 * `embed` end to end against the machine's own matrix-product rate at the same shapes: useful GFLOP/s
 * (the FLOPs of the real tokens, no padding, over the command's wall time) over the FLOP-weighted rate of
 * the model's projections, feed-forward and attention products at the engine's batch shapes, timed alone
 * right before and after the run with every core.
 */
export interface EfficiencyCase extends Repeated {
  arch: string;
  dtype: Dtype;
  sequences: number;
  /** real tokens, specials included */
  tokens: number;
  /** forward calls and their rows x width summed, as the bench predicts the engine's batching */
  batches: number;
  paddedTokens: number;
  /** the predicted batches, padded tokens and worker count equal the run's report */
  shapesMatchReport: boolean;
  usefulGflop: number;
  embed: EmbedRun;
  engineGflops: number;
  gemmGflopsBefore: number;
  gemmGflopsAfter: number;
  /** the mean of the two probes */
  gemmGflops: number;
  /** engineGflops / gemmGflops; `spread` is its spread */
  ratio: number;
}

export interface MemoryCase {
  arch: string;
  parameterBytes: number;
  /** the largest worker VmHWM of the persistent run with this model */
  peakRssMb: number;
  rssOverParameters: number;
}

/** One `virnucpro predict` run on the tiny models, one CPU worker, at a number of reads. */
export interface PredictMemoryRun {
  reads: number;
  readLength: number;
  frames: number;
  wallSeconds: number;
  cpuSeconds: number;
  /** VmHWM of the predict process itself, MiB */
  parentPeakRssMb: number;
  /** VmHWM of its worker, MiB */
  workerPeakRssMb: number;
  /** `virnucpro rescore` on the finished run's folder: wall seconds and its VmHWM, MiB */
  rescoreWallSeconds: number;
  rescorePeakRssMb: number;
}

/** report.html of a synthesised million-record run: written, its size, and Chromium's load time. */
export interface RunReportCase extends Repeated {
  records: number;
  writeSeconds: number;
  htmlBytes: number;
  /** headless Chromium from opening the report to its load event (its table built), median of the repeats */
  loadSeconds: number;
}

export interface CudaRun {
  arch: string;
  dtype: Dtype;
  allocConf: string;
  cacheClearInterval: number | null;
  rows: number;
  length: number;
  tokensPerSecond: number;
  peakAllocatedMb: number;
  peakReservedMb: number;
  achievedTflops: number;
  peakTflops: number | null;
  fractionOfPeak: number | null;
}

export type CudaSection = { skipped: string } | { device: string; runs: CudaRun[] };

export interface Measurements {
  persistent: PersistentCase[];
  python: PythonCase[];
  tokenizer: TokenizerCase | null;
  scaling: ScalingCase | null;
  memory: MemoryCase[];
  /** growing read counts, smallest first */
  predictMemory: PredictMemoryRun[];
  cuda: CudaSection | null;
  crossFile: CrossFileCase | null;
  dedup: DedupCase | null;
  deterministic: DeterministicCase | null;
  /** one row per model set, tiny first; absent in results from before this case */
  samples?: SamplesCase[];
  /** absent in results from before this case */
  classifyStream?: ClassifyStreamRun | null;
  /** absent in results from before this case */
  runReport?: RunReportCase | null;
  efficiency: EfficiencyCase[];
}

export function emptyMeasurements(): Measurements {
  return {
    persistent: [],
    python: [],
    tokenizer: null,
    scaling: null,
    memory: [],
    predictMemory: [],
    cuda: null,
    crossFile: null,
    dedup: null,
    deterministic: null,
    samples: [],
    classifyStream: null,
    runReport: null,
    efficiency: [],
  };
}
