import type { RandomArchitecture } from './model-shape';

// Workload sizes. Full mode is what the issue asks for; quick mode shrinks the compute-heavy parts so
// the whole run fits in a few minutes on two cores, and every shrink is reported as a note.

export type BenchMode = 'quick' | 'full';

export interface PersistentPlan {
  arch: RandomArchitecture;
  files: number;
  sequencesPerFile: number;
}

/** predict --samples against a command per sample and one run of every read */
export interface SamplesPlan {
  esm2: 'tiny' | RandomArchitecture;
  samples: number;
  readsPerSample: number;
  readLengths: [number, number];
}

/** predict's workload: gene-like reads, and the ESM-2 of the predict models (DNABERT-S is the tiny one) */
export interface PredictPlan {
  esm2: 'tiny' | RandomArchitecture;
  reads: number;
  readLengths: [number, number];
}

/** The CPU efficiency case of one model shape: sequences of these lengths (DNABERT-S: reads of lengths[1] nt). */
export interface EfficiencyPlan {
  arch: RandomArchitecture;
  sequences: number;
  lengths: [number, number];
}

export interface BenchPlan {
  persistent: PersistentPlan[];
  proteinLengths: [number, number];
  python: { archs: RandomArchitecture[]; sequences: number; lengths: [number, number]; toksPerBatch: number };
  tokenizer: { reads: number; readLength: number; arch: RandomArchitecture };
  /** the cross-file batching case: these files, then their proteins in one file */
  crossFile: PersistentPlan;
  dedup: PredictPlan;
  deterministic: PredictPlan;
  samples: SamplesPlan[];
  /** reads streamed through classify() */
  classifyStream: number;
  /** read counts of the predict memory case, smallest first */
  predictReads: number[];
  efficiency: EfficiencyPlan[];
  notes: string[];
}

const fullPlan: BenchPlan = {
  persistent: [
    { arch: 'esm2_t6_8M', files: 20, sequencesPerFile: 25 },
    { arch: 'esm2_t30_150M', files: 20, sequencesPerFile: 25 },
  ],
  proteinLengths: [50, 150],
  python: { archs: ['esm2_t6_8M', 'esm2_t12_35M'], sequences: 1000, lengths: [50, 300], toksPerBatch: 2048 },
  tokenizer: { reads: 20000, readLength: 300, arch: 'dnabert-s-117M' },
  crossFile: { arch: 'esm2_t6_8M', files: 20, sequencesPerFile: 25 },
  dedup: { esm2: 'esm2_t6_8M', reads: 2000, readLengths: [300, 600] },
  deterministic: { esm2: 'esm2_t6_8M', reads: 2000, readLengths: [300, 600] },
  samples: [
    { esm2: 'tiny', samples: 20, readsPerSample: 150, readLengths: [300, 600] },
    { esm2: 'esm2_t12_35M', samples: 20, readsPerSample: 150, readLengths: [300, 600] },
  ],
  classifyStream: 200_000,
  predictReads: [100_000, 1_000_000],
  efficiency: [
    { arch: 'esm2_t12_35M', sequences: 300, lengths: [60, 170] },
    { arch: 'esm2_t30_150M', sequences: 300, lengths: [60, 170] },
    { arch: 'dnabert-s-117M', sequences: 1000, lengths: [300, 300] },
  ],
  notes: [],
};

const quickPlan: BenchPlan = {
  persistent: [{ arch: 'esm2_t6_8M', files: 20, sequencesPerFile: 2 }],
  proteinLengths: [50, 150],
  python: { archs: ['esm2_t6_8M'], sequences: 60, lengths: [50, 300], toksPerBatch: 2048 },
  tokenizer: { reads: 20000, readLength: 300, arch: 'dnabert-s-117M' },
  crossFile: { arch: 'esm2_t6_8M', files: 20, sequencesPerFile: 25 },
  dedup: { esm2: 'tiny', reads: 2000, readLengths: [300, 600] },
  deterministic: { esm2: 'esm2_t6_8M', reads: 200, readLengths: [300, 600] },
  samples: [
    { esm2: 'tiny', samples: 20, readsPerSample: 150, readLengths: [300, 600] },
    { esm2: 'esm2_t12_35M', samples: 20, readsPerSample: 5, readLengths: [300, 600] },
  ],
  classifyStream: 20_000,
  predictReads: [5_000, 20_000],
  efficiency: [
    { arch: 'esm2_t12_35M', sequences: 100, lengths: [60, 170] },
    { arch: 'esm2_t30_150M', sequences: 24, lengths: [60, 170] },
    { arch: 'dnabert-s-117M', sequences: 96, lengths: [300, 300] },
  ],
  notes: [
    'quick: classify stream of 20,000 reads (full: 200,000)',
    'quick: samples with the ESM-2 35M shape at 20 x 5 reads (full: 20 x 150)',
    'quick: CPU efficiency on 100 proteins (35M), 24 (150M), 96 reads (DNABERT-S); full: 300, 300, 1,000',
    'quick: predict memory at 5,000 and 20,000 reads (full: 100,000 and 1,000,000; --predict-reads sets them)',
    'quick: persistent vs load-per-file on 20 files x 2 proteins (full: x 25), 8M shape only (full adds 150M)',
    'quick: engine vs Python on 60 proteins (full: 1,000), 8M shape only (full adds 35M)',
    'quick: dedup on the tiny predict models (full: ESM-2 8M shape)',
    'quick: deterministic cost on 200 reads (full: 2,000)',
  ],
};

export function benchPlan(mode: BenchMode): BenchPlan {
  return mode === 'quick' ? quickPlan : fullPlan;
}
