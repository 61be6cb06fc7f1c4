import type { Measurements, PersistentCase, PredictMemoryRun } from './measurements';

export interface MachineInfo {
  cpuModel: string;
  cores: number;
  memoryGiB: number;
  node: string;
  torchVersion: string;
  variant: 'cpu' | 'cuda';
  /** fp32 matmul GFLOP/s of Python torch on this machine (reveals a reference BLAS), null if not measured */
  blasGflops: number | null;
}

export interface BenchMeta {
  name: string;
  mode: 'quick' | 'full';
  createdAt: string;
  machine: MachineInfo;
  /** what this run left out or shrank, said plainly */
  notes: string[];
  /** the npm command line that reproduces the run */
  command: string;
}

/** The results file. The snake_case top-level keys are stable: scripts and the README read them. */
export interface BenchResults {
  schema: 'virnucpro-bench/2';
  name: string;
  mode: 'quick' | 'full';
  created_at: string;
  /** the npm command line that reproduces the run */
  command: string;
  machine: MachineInfo;
  // every ratio below is the median over the repeats; the sections hold each ratio's min and every run
  /** load-per-file wall time over persistent-worker wall time, ESM-2 8M shape */
  persistent_speedup: number | null;
  /** engine tokens/s over the Python reference's, the lowest over the model shapes measured */
  python_throughput_ratio: number | null;
  /** seconds inside forward over worker wall seconds, the lowest over the engine runs of that comparison */
  forward_fraction: number | null;
  /** @huggingface/tokenizers seconds over native tokenizer seconds on the same reads */
  tokenizer_speedup: number | null;
  /** tokenizers (Hugging Face's Rust library) seconds over native tokenizer seconds on the same reads */
  tokenizer_rust_speedup: number | null;
  /** 1 worker x 2 threads wall time over 2 workers x 1 thread */
  scaling_2workers: number | null;
  /** the highest per-worker peak RSS over the memory cases, MiB */
  peak_rss_mb: number | null;
  /** embed wall time of 20 small files over that of one file with the same proteins, one worker */
  cross_file_ratio: number | null;
  /** predict wall time on reads each present twice over that on the reads once */
  dedup_ratio: number | null;
  /** predict --deterministic wall time, one worker, over the default run's */
  deterministic_ratio: number | null;
  /** predict --deterministic wall time, two workers, over the default run's (one worker) */
  deterministic_2workers_ratio: number | null;
  /** predict --samples wall time over one predict of all the reads, tiny models */
  samples_ratio: number | null;
  /** a predict command per sample (summed) over one predict of all the reads, tiny models */
  samples_separate_ratio: number | null;
  /** peak RSS of the predict process at the largest read count of the predict memory case, MiB */
  predict_parent_peak_rss_mb: number | null;
  /** peak RSS of its worker at that read count, MiB */
  predict_worker_peak_rss_mb: number | null;
  /** parent peak RSS at the largest read count over that at the smallest: 1 is flat */
  predict_parent_rss_growth: number | null;
  /** the parent's peak RSS growth per 10,000 reads between the smallest and the largest count, MiB */
  predict_parent_rss_slope_mb_per_10k: number | null;
  /** rescore's wall time over predict's, at the largest read count */
  rescore_wall_ratio: number | null;
  /** Chromium's load time of a million-record run's report.html, seconds over an empty page (median) */
  report_load_seconds: number | null;
  report_html_mb: number | null;
  /** embed's useful GFLOP/s over the machine's GEMM rate at the same shapes, lowest over shapes and dtypes */
  cpu_gemm_fraction: number | null;
  notes: string[];
  sections: Measurements;
}

const headlineArch = 'esm2_t6_8M';

function headlinePersistent(cases: PersistentCase[]): PersistentCase | undefined {
  return cases.find((c) => c.arch === headlineArch) ?? cases[0];
}

function minimum(values: number[]): number | null {
  return values.length === 0 ? null : Math.min(...values);
}

function maximum(values: number[]): number | null {
  return values.length === 0 ? null : Math.max(...values);
}

/** The parent's peak RSS growth per 10,000 reads from one run to another, MiB. */
export function parentSlopePer10k(from: PredictMemoryRun, to: PredictMemoryRun): number {
  return ((to.parentPeakRssMb - from.parentPeakRssMb) * 10_000) / (to.reads - from.reads);
}

function predictMemoryKeys(measurements: Measurements) {
  const runs = measurements.predictMemory;
  const smallest = runs.at(0);
  const largest = runs.at(-1);
  return {
    predict_parent_peak_rss_mb: largest?.parentPeakRssMb ?? null,
    predict_worker_peak_rss_mb: largest?.workerPeakRssMb ?? null,
    predict_parent_rss_growth:
      smallest && largest && runs.length > 1 ? largest.parentPeakRssMb / smallest.parentPeakRssMb : null,
    predict_parent_rss_slope_mb_per_10k:
      smallest && largest && runs.length > 1 ? parentSlopePer10k(smallest, largest) : null,
    rescore_wall_ratio: largest ? largest.rescoreWallSeconds / largest.wallSeconds : null,
  };
}

export function buildResults(meta: BenchMeta, measurements: Measurements): BenchResults {
  return {
    schema: 'virnucpro-bench/2',
    name: meta.name,
    mode: meta.mode,
    created_at: meta.createdAt,
    command: meta.command,
    machine: meta.machine,
    persistent_speedup: headlinePersistent(measurements.persistent)?.spread.median ?? null,
    python_throughput_ratio: minimum(measurements.python.map((c) => c.spread.median)),
    forward_fraction: minimum(measurements.python.map((c) => c.engine.forwardFraction)),
    tokenizer_speedup: measurements.tokenizer?.spread.median ?? null,
    tokenizer_rust_speedup: measurements.tokenizer?.rustSpread.median ?? null,
    scaling_2workers: measurements.scaling?.spread.median ?? null,
    peak_rss_mb: maximum(measurements.memory.map((c) => c.peakRssMb)),
    cross_file_ratio: measurements.crossFile?.spread.median ?? null,
    dedup_ratio: measurements.dedup?.spread.median ?? null,
    deterministic_ratio: measurements.deterministic?.spread.median ?? null,
    deterministic_2workers_ratio: measurements.deterministic?.twoWorkersSpread.median ?? null,
    samples_ratio: measurements.samples?.[0]?.spread.median ?? null,
    samples_separate_ratio: measurements.samples?.[0]?.separateSpread.median ?? null,
    ...predictMemoryKeys(measurements),
    report_load_seconds: measurements.runReport?.loadSeconds ?? null,
    report_html_mb: measurements.runReport ? measurements.runReport.htmlBytes / 2 ** 20 : null,
    cpu_gemm_fraction: minimum(measurements.efficiency.map((c) => c.spread.median)),
    notes: meta.notes,
    sections: measurements,
  };
}
