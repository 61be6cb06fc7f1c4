import { chunkRecord } from '../src/pipeline/chunk';
import { identifyFrames } from '../src/pipeline/translate';
import { chartSpec } from '../bench/chart';
import { peakTflops } from '../bench/device-peaks';
import { engineBatchShapes, forwardProducts, mergeProducts, usefulFlops } from '../bench/matrix-products';
import type {
  BatchedEmbedRun,
  EfficiencyCase,
  EmbedRun,
  Measurements,
  PersistentCase,
  PredictRun,
  PythonCase,
} from '../bench/measurements';
import { emptyMeasurements } from '../bench/measurements';
import { forwardFlops, parameterCount, randomArchitectures, type ModelShape } from '../bench/model-shape';
import { repeatMeasure, spread } from '../bench/repeats';
import { buildResults, type BenchMeta } from '../bench/results';
import { randomCodingReads, seededRandom, withShuffledCopy } from '../bench/synthetic';
import { summaryRows } from '../bench/table';

const meta: BenchMeta = {
  name: 'synthetic',
  mode: 'quick',
  createdAt: '2026-01-01T00:00:00.000Z',
  machine: {
    cpuModel: 'test cpu',
    cores: 2,
    memoryGiB: 8,
    node: 'v20',
    torchVersion: '1.13.1',
    variant: 'cpu',
    blasGflops: null,
  },
  notes: [],
  command: 'npm run bench -- --quick',
};

/** A spread whose median is `median` and whose minimum is a tenth lower. */
function spreadAround(median: number) {
  return { runs: [median, median - 0.1, median + 0.1], min: median - 0.1, median };
}

function embedRun(label: string, wallSeconds: number, peakRssMb: number[]): EmbedRun {
  return {
    label,
    workers: 1,
    threadsPerWorker: 2,
    wallSeconds,
    cpuSeconds: wallSeconds,
    modelLoads: 1,
    modelLoadSeconds: 0.5,
    forwardSeconds: wallSeconds / 2,
    sequences: 500,
    tokens: 50000,
    peakRssMb,
  };
}

function persistentCase(arch: string, speedup: number): PersistentCase {
  return {
    arch,
    files: 20,
    sequencesPerFile: 25,
    persistent: embedRun('persistent', 10, [300]),
    perFile: embedRun('load-per-file', 10 * speedup, [280]),
    speedup,
    spread: spreadAround(speedup),
  };
}

function pythonCase(arch: string, ratio: number, forwardFraction: number): PythonCase {
  const side = { seconds: 10, cpuSeconds: 20, tokensPerSecond: 1000, loadSeconds: 0.5, forwardSeconds: 9 };
  return {
    arch,
    sequences: 1000,
    tokens: 10000,
    engine: { ...side, forwardFraction },
    python: { ...side, batches: 90 },
    ratio,
    maxAbsDiff: 1e-6,
    spread: spreadAround(ratio),
  };
}

function batchedRun(
  label: string,
  wallSeconds: number,
  batches: number,
  paddedTokens: number,
): BatchedEmbedRun {
  return { ...embedRun(label, wallSeconds, [300]), batches, paddedTokens };
}

function predictRun(label: string, wallSeconds: number, records: number, embedded: number): PredictRun {
  const counts = { sequences: 2 * records, distinct: embedded, embedded };
  return {
    label,
    workers: 1,
    deterministic: false,
    wallSeconds,
    cpuSeconds: wallSeconds,
    records,
    frames: 2 * records,
    embedded: { 'dnabert-s': counts, esm2: counts },
    forwardSeconds: wallSeconds / 2,
  };
}

/** The cross-file, dedup and deterministic sections, with ratios chosen to land on both sides of their targets. */
function batchingAndPredictSections(): Pick<Measurements, 'crossFile' | 'dedup' | 'deterministic'> {
  const workload = { models: 'tiny', reads: 2000, readLengths: [300, 600] as [number, number] };
  return {
    crossFile: {
      arch: 'esm2_t6_8M',
      files: 20,
      sequencesPerFile: 25,
      manyFiles: batchedRun('20-files', 11, 23, 54000),
      oneFile: batchedRun('1-file', 10, 21, 52000),
      ratio: 1.1,
      spread: spreadAround(1.1),
    },
    dedup: {
      ...workload,
      doubled: predictRun('doubled', 10.5, 4000, 4000),
      unique: predictRun('unique', 10, 2000, 4000),
      ratio: 1.05,
      spread: spreadAround(1.05),
    },
    deterministic: {
      ...workload,
      standard: predictRun('default', 10, 2000, 4000),
      oneWorker: predictRun('deterministic-1-worker', 14, 2000, 4000),
      twoWorkers: predictRun('deterministic-2-workers', 12, 2000, 4000),
      ratio: 1.4,
      spread: spreadAround(1.4),
      twoWorkersRatio: 1.2,
      twoWorkersSpread: spreadAround(1.2),
    },
  };
}

describe('bench results', () => {
  it('has the stable top-level keys, each derived from its section', () => {
    const measurements: Measurements = {
      ...emptyMeasurements(),
      persistent: [persistentCase('esm2_t30_150M', 1.7), persistentCase('esm2_t6_8M', 4.2)],
      python: [pythonCase('esm2_t6_8M', 1.4, 0.97), pythonCase('esm2_t12_35M', 1.1, 0.99)],
      tokenizer: {
        reads: 20000,
        readLength: 300,
        vocabSize: 4096,
        nativeSeconds: 0.1,
        javascriptSeconds: 8,
        rustSeconds: 0.3,
        idsEqual: true,
        mismatchedReads: 0,
        speedup: 80,
        spread: spreadAround(80),
        rustSpeedup: 3,
        rustSpread: spreadAround(3),
      },
      scaling: {
        arch: 'esm2_t6_8M',
        oneWorkerAllCores: embedRun('1x2', 12, [300]),
        workerPerCore: embedRun('2x1', 10, [250, 260]),
        speedup: 1.2,
        spread: spreadAround(1.2),
      },
      memory: [
        { arch: 'esm2_t6_8M', parameterBytes: 29635840, peakRssMb: 310, rssOverParameters: 11 },
        { arch: 'esm2_t30_150M', parameterBytes: 590912000, peakRssMb: 1400, rssOverParameters: 2.5 },
      ],
      cuda: { skipped: 'cpu build' },
    };
    const results = buildResults(meta, measurements);
    for (const key of [
      'persistent_speedup',
      'python_throughput_ratio',
      'forward_fraction',
      'tokenizer_speedup',
      'tokenizer_rust_speedup',
      'scaling_2workers',
      'peak_rss_mb',
    ]) {
      expect(results).toHaveProperty(key);
    }
    // the headline persistent figure is the 8M shape's, wherever it sits in the list
    expect(results.persistent_speedup).toBe(4.2);
    // the conservative engine figures: the lowest over the shapes measured
    expect(results.python_throughput_ratio).toBe(1.1);
    expect(results.forward_fraction).toBe(0.97);
    expect(results.tokenizer_speedup).toBe(80);
    expect(results.tokenizer_rust_speedup).toBe(3);
    expect(results.command).toBe('npm run bench -- --quick');
    expect(results.scaling_2workers).toBe(1.2);
    expect(results.peak_rss_mb).toBe(1400);
    expect(results.sections).toBe(measurements);
    expect(JSON.parse(JSON.stringify(results)).schema).toBe('virnucpro-bench/2');
  });

  it('keeps the keys, as null, when a measurement was not run', () => {
    const results = buildResults(meta, emptyMeasurements());
    expect(results.persistent_speedup).toBeNull();
    expect(results.python_throughput_ratio).toBeNull();
    expect(results.forward_fraction).toBeNull();
    expect(results.tokenizer_speedup).toBeNull();
    expect(results.tokenizer_rust_speedup).toBeNull();
    expect(results.scaling_2workers).toBeNull();
    expect(results.peak_rss_mb).toBeNull();
    expect(results.cross_file_ratio).toBeNull();
    expect(results.dedup_ratio).toBeNull();
    expect(results.deterministic_ratio).toBeNull();
    expect(results.deterministic_2workers_ratio).toBeNull();
    expect(Object.keys(JSON.parse(JSON.stringify(results)))).toContain('peak_rss_mb');
    expect(results.predict_parent_peak_rss_mb).toBeNull();
    expect(results.predict_parent_rss_growth).toBeNull();
    expect(results.predict_parent_rss_slope_mb_per_10k).toBeNull();
    expect(results.rescore_wall_ratio).toBeNull();
  });

  it('reports predict memory at the largest read count, its growth from the smallest, and rescore beside it', () => {
    const run = (reads: number, parentPeakRssMb: number, workerPeakRssMb: number) => ({
      reads,
      readLength: 150,
      frames: reads,
      wallSeconds: reads / 100,
      cpuSeconds: reads / 50,
      parentPeakRssMb,
      workerPeakRssMb,
      rescoreWallSeconds: reads / 2000,
      rescorePeakRssMb: 90,
    });
    const results = buildResults(meta, {
      ...emptyMeasurements(),
      predictMemory: [run(100_000, 200, 400), run(1_000_000, 220, 410)],
    });
    expect(results.predict_parent_peak_rss_mb).toBe(220);
    expect(results.predict_worker_peak_rss_mb).toBe(410);
    expect(results.predict_parent_rss_growth).toBeCloseTo(1.1);
    // 20 MiB over 900,000 reads
    expect(results.predict_parent_rss_slope_mb_per_10k).toBeCloseTo(20 / 90);
    expect(results.rescore_wall_ratio).toBeCloseTo(0.05);
  });
});

describe('cross-file batching, dedup and deterministic cases', () => {
  const results = buildResults(meta, { ...emptyMeasurements(), ...batchingAndPredictSections() });

  it('puts each median ratio in its top-level key', () => {
    expect(results.cross_file_ratio).toBe(1.1);
    expect(results.dedup_ratio).toBe(1.05);
    expect(results.deterministic_ratio).toBe(1.4);
    expect(results.deterministic_2workers_ratio).toBe(1.2);
  });

  it('prints the batch counts, padded tokens and distinct/total counts beside the ratios', () => {
    const rows = summaryRows(results);
    const row = (start: string) => rows.find((r) => r.figure.startsWith(start));
    expect(row('20 files / 1 file')).toMatchObject({
      value: '1.10x (min 1.00x, 3 runs)',
      target: '<= 1.15x',
    });
    expect(row('20 files / 1 file')?.context).toContain('batches 23 vs 21, padded tokens 54,000 vs 52,000');
    expect(row('predict, reads + shuffled copy')?.context).toContain(
      'embedded dnabert-s 4,000/8,000, esm2 4,000/8,000 vs dnabert-s 4,000/4,000',
    );
    expect(row('predict --deterministic, 1 worker')?.value).toBe('1.40x (min 1.30x, 3 runs)');
    expect(row('predict --deterministic, 2 workers')?.value).toBe('1.20x (min 1.10x, 3 runs)');
  });

  it('charts the costs as ceilings: at or under the target meets it', () => {
    const panels = chartSpec(results).vconcat as {
      data: { values: { figure: string; verdict: string }[] };
    }[];
    const verdicts = Object.fromEntries(panels[0].data.values.map((d) => [d.figure, d.verdict]));
    expect(verdicts).toEqual({
      '20 files vs 1 file, ESM-2 8M': 'meets target',
      'predict, reads + shuffled copy vs once': 'meets target',
      '--deterministic 1 worker vs default': 'misses target',
      '--deterministic 2 workers vs default': 'meets target',
    });
  });

  it('prints no rows for results written before these cases', () => {
    const old = buildResults(meta, emptyMeasurements());
    const { crossFile, dedup, deterministic, ...sections } = old.sections;
    expect([crossFile, dedup, deterministic]).toEqual([null, null, null]);
    expect(summaryRows({ ...old, sections: sections as Measurements })).toEqual([]);
  });
});

describe('synthetic predict reads', () => {
  const stops = new Set(['TAA', 'TAG', 'TGA']);
  const reads = randomCodingReads(seededRandom(7), 200, [300, 600], 'read_');

  it('are stop-free codons from the first base, of the asked lengths, the same for a seed', () => {
    for (const { sequence } of reads) {
      expect(sequence.length).toBeGreaterThanOrEqual(300);
      expect(sequence.length).toBeLessThanOrEqual(600);
      expect(sequence).toMatch(/^[ACGT]+$/);
      const codons = sequence.match(/.{3}/g) ?? [];
      expect(codons.filter((codon) => stops.has(codon))).toEqual([]);
    }
    expect(new Set(reads.map((r) => r.id)).size).toBe(200);
    expect(randomCodingReads(seededRandom(7), 200, [300, 600], 'read_')).toEqual(reads);
  });

  it('keep a frame of every 300 nt chunk in the six-frame step', () => {
    for (const read of reads) {
      for (const chunk of chunkRecord(read.id, read.sequence, 300))
        expect(identifyFrames(chunk.id, chunk.sequence).length).toBeGreaterThan(0);
    }
  });

  it('doubled: the records, then every sequence again in another order, every id once', () => {
    const originals = reads.slice(0, 20);
    const doubled = withShuffledCopy(originals, seededRandom(5));
    expect(doubled.slice(0, 20)).toEqual(originals);
    const copies = doubled.slice(20);
    expect(copies.map((r) => r.id)).not.toEqual(originals.map((r) => `${r.id}_again`));
    const sorted = (records: { id: string; sequence: string }[]) =>
      records.map((r) => `${r.id}\t${r.sequence}`).sort();
    expect(sorted(copies)).toEqual(sorted(originals.map((r) => ({ ...r, id: `${r.id}_again` }))));
  });
});

describe('repeats', () => {
  it('gives the minimum and the median of an odd and an even number of runs', () => {
    expect(spread([1.3, 0.9, 1.1])).toEqual({ runs: [1.3, 0.9, 1.1], min: 0.9, median: 1.1 });
    expect(spread([4, 1, 3, 2])).toEqual({ runs: [4, 1, 3, 2], min: 1, median: 2.5 });
  });

  it('runs every repeat in its own index and shows the one nearest the median', async () => {
    const ratios = [2.0, 5.0, 3.1];
    const seen: number[] = [];
    const { representative, spread: result } = await repeatMeasure(
      3,
      (repeat) => {
        seen.push(repeat);
        return Promise.resolve({ repeat, ratio: ratios[repeat] });
      },
      (outcome) => outcome.ratio,
    );
    expect(seen).toEqual([0, 1, 2]);
    expect(result).toEqual({ runs: [2.0, 5.0, 3.1], min: 2.0, median: 3.1 });
    expect(representative).toEqual({ repeat: 2, ratio: 3.1 });
  });
});

describe('FLOP and parameter counts', () => {
  // ESM-2, 2 layers, width 8 (feed-forward 32), 33-symbol alphabet. Per layer by hand:
  // q,k,v,out 4 x (8*8 + 8) = 288; fc1 8*32 + 32 = 288; fc2 32*8 + 8 = 264; two norms 2 x 16 = 32: 872.
  // Non-embedding: 2 x 872 + final norm 16 = 1760; embedding 33 x 8 = 264.
  const esm: ModelShape = { kind: 'esm2', layers: 2, dim: 8, heads: 2, vocabSize: 33 };

  it('counts ESM-2 parameters of a small shape', () => {
    expect(parameterCount(esm)).toEqual({ embedding: 264, nonEmbedding: 1760, total: 2024 });
  });

  it('counts the FLOPs of a padded batch: 2 per parameter per position plus attention', () => {
    // per row: 2 x 1760 x 10 = 35,200 matmul; attention 4 x 10^2 x 8 x 2 layers = 6,400; 3 rows
    expect(forwardFlops(esm, 3, 10)).toBe(3 * (35200 + 6400));
  });

  it('counts DNABERT-S parameters of a small shape', () => {
    // width 4 (feed-forward 16), 1 layer, 10 tokens. Embedding: 10 x 4 words + 2 x 4 token types = 48.
    // Layer: qkv 4*12 + 12 = 60; out 4*4 + 4 = 20; gated input 4 x 32 (no bias) = 128; output 16*4 + 4 = 68;
    // two norms 16: 292. Plus the embedding norm 8: 300.
    const dnabert: ModelShape = { kind: 'dnabert-s', layers: 1, dim: 4, heads: 1, vocabSize: 10 };
    expect(parameterCount(dnabert)).toEqual({ embedding: 48, nonEmbedding: 300, total: 348 });
  });

  it('gives the published sizes of the real shapes', () => {
    // "8M", "35M", "150M", "3B" and DNABERT-S's 117M, without the ESM-2 language-model head
    const millions = (shape: ModelShape) => parameterCount(shape).total / 1e6;
    expect(millions(randomArchitectures.esm2_t6_8M)).toBeCloseTo(7.4, 1);
    expect(millions(randomArchitectures.esm2_t12_35M)).toBeCloseTo(33.3, 1);
    expect(millions(randomArchitectures.esm2_t30_150M)).toBeCloseTo(147.7, 1);
    expect(millions(randomArchitectures['dnabert-s-117M'])).toBeCloseTo(116.5, 1);
    expect(millions(randomArchitectures.esm2_t36_3B) / 1000).toBeCloseTo(2.83, 2);
  });

  it('knows the peak of an H200 per dtype and nothing of an unknown device', () => {
    expect(peakTflops('NVIDIA H200', 'bf16')).toBe(989);
    expect(peakTflops('NVIDIA H200', 'fp32')).toBe(67);
    expect(peakTflops('Some Future GPU', 'bf16')).toBeNull();
  });
});

describe('CPU efficiency case', () => {
  const esm35 = randomArchitectures.esm2_t12_35M;
  const dnabert = randomArchitectures['dnabert-s-117M'];

  it("lists a forward's matrix products per layer at the model's head size", () => {
    // 2 rows x 10 columns = 20 tokens; ESM-2 35M: dim 480, 20 heads of 24, 12 layers
    expect(forwardProducts(esm35, 2, 10)).toEqual([
      { batch: 1, m: 20, k: 480, n: 480, count: 48 },
      { batch: 1, m: 20, k: 480, n: 1920, count: 12 },
      { batch: 1, m: 20, k: 1920, n: 480, count: 12 },
      { batch: 40, m: 10, k: 24, n: 10, count: 12 },
      { batch: 40, m: 10, k: 10, n: 24, count: 12 },
    ]);
    // DNABERT-S: packed qkv, out, the gated unit's 2 x 3072 projection and its output; 12 heads of 64
    expect(forwardProducts(dnabert, 2, 10)).toEqual([
      { batch: 1, m: 20, k: 768, n: 2304, count: 12 },
      { batch: 1, m: 20, k: 768, n: 768, count: 12 },
      { batch: 1, m: 20, k: 768, n: 6144, count: 12 },
      { batch: 1, m: 20, k: 3072, n: 768, count: 12 },
      { batch: 24, m: 10, k: 64, n: 10, count: 12 },
      { batch: 24, m: 10, k: 10, n: 64, count: 12 },
    ]);
  });

  it('makes the batch shapes the engine makes, and merges equal products', () => {
    // longest first: 5 alone (2 x 5 > 8), then 4 and 3 at width 4, then 2
    expect(engineBatchShapes([5, 3, 4, 2], 8)).toEqual([
      [1, 5],
      [2, 4],
      [1, 2],
    ]);
    const twice = [...forwardProducts(esm35, 1, 8), ...forwardProducts(esm35, 1, 8)];
    expect(mergeProducts(twice)).toEqual(
      forwardProducts(esm35, 1, 8).map((p) => ({ ...p, count: 2 * p.count })),
    );
  });

  it('counts useful FLOPs on the real lengths, without padding', () => {
    expect(usefulFlops(esm35, [100, 50])).toBe(forwardFlops(esm35, 1, 100) + forwardFlops(esm35, 1, 50));
  });

  it('reports the lowest median ratio and prints the rates beside it', () => {
    const efficiency = (arch: string, dtype: 'fp32' | 'bf16', ratio: number): EfficiencyCase => ({
      arch,
      dtype,
      sequences: 100,
      tokens: 12000,
      batches: 4,
      paddedTokens: 13000,
      shapesMatchReport: true,
      usefulGflop: 800,
      embed: embedRun('embed', 20, [300]),
      engineGflops: 40,
      gemmGflopsBefore: 50,
      gemmGflopsAfter: 70,
      gemmGflops: 60,
      ratio,
      spread: spreadAround(ratio),
    });
    const results = buildResults(meta, {
      ...emptyMeasurements(),
      efficiency: [efficiency('esm2_t12_35M', 'fp32', 0.6), efficiency('esm2_t12_35M', 'bf16', 0.8)],
    });
    expect(results.cpu_gemm_fraction).toBe(0.6);
    const row = summaryRows(results).find((r) => r.figure === 'embed / GEMM rate (esm2_t12_35M fp32)');
    expect(row).toMatchObject({ value: '0.600 (min 0.500, 3 runs)', target: '>= 0.70' });
    expect(row?.context).toContain('40.0 useful GFLOP/s; GEMM 50.0 / 70.0 GFLOP/s before / after');
    expect(buildResults(meta, emptyMeasurements()).cpu_gemm_fraction).toBeNull();
  });
});
