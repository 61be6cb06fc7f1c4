import type { Measurements, PredictRun } from './measurements';
import type { Spread } from './repeats';
import { parentSlopePer10k, type BenchResults } from './results';

// The printed summary: one row per figure, the target beside it, and the absolute numbers as context.

export interface TableRow {
  figure: string;
  value: string;
  target: string;
  context: string;
}

const fixed = (value: number | null, digits: number, unit = '') =>
  value === null ? 'n/a' : `${value.toFixed(digits)}${unit}`;

/** A ratio as `median (min M, N runs)`. */
const ratioValue = (ratios: Spread, digits: number) =>
  `${ratios.median.toFixed(digits)}x (min ${ratios.min.toFixed(digits)}x, ${ratios.runs.length} runs)`;

export function summaryRows(results: BenchResults): TableRow[] {
  const { sections } = results;
  const rows: TableRow[] = [];
  for (const c of sections.persistent) {
    rows.push({
      figure: `persistent speedup (${c.arch})`,
      value: ratioValue(c.spread, 2),
      target: '>= 3x',
      context:
        `${c.files} files x ${c.sequencesPerFile}: ${c.perFile.wallSeconds.toFixed(1)} s / ` +
        `${c.persistent.wallSeconds.toFixed(1)} s; loads ${c.perFile.modelLoads} vs ${c.persistent.modelLoads}, ` +
        `${fixed(c.perFile.modelLoadSeconds, 1)} s vs ${fixed(c.persistent.modelLoadSeconds, 1)} s loading; ` +
        `CPU ${(c.perFile.cpuSeconds / c.persistent.cpuSeconds).toFixed(2)}x`,
    });
  }
  for (const c of sections.python) {
    rows.push({
      figure: `engine / Python throughput (${c.arch})`,
      value: ratioValue(c.spread, 2),
      target: '>= 1.0 (goal 1.3)',
      context:
        `${c.sequences} proteins, ${c.tokens} tokens: ${c.engine.tokensPerSecond.toFixed(0)} vs ` +
        `${c.python.tokensPerSecond.toFixed(0)} tokens/s; CPU ${(c.python.cpuSeconds / c.engine.cpuSeconds).toFixed(2)}x; ` +
        `max abs diff ${c.maxAbsDiff.toExponential(1)}`,
    });
    rows.push({
      figure: `forward fraction (${c.arch})`,
      value: fixed(c.engine.forwardFraction, 3),
      target: '>= 0.95',
      context: `${c.engine.forwardSeconds.toFixed(1)} s in forward`,
    });
  }
  const t = sections.tokenizer;
  if (t) {
    const reads = `${t.reads} reads x ${t.readLength} nt, vocab ${t.vocabSize}`;
    const ids = `ids ${t.idsEqual ? 'equal' : `DIFFER in ${t.mismatchedReads} reads`}`;
    rows.push({
      figure: 'tokenizer speedup over @huggingface/tokenizers (JS)',
      value: ratioValue(t.spread, 1),
      target: '>= 50x',
      context: `${reads}: ${t.nativeSeconds.toFixed(3)} s vs ${t.javascriptSeconds.toFixed(2)} s; ${ids}`,
    });
    rows.push({
      figure: 'tokenizer speedup over tokenizers (Rust)',
      value: ratioValue(t.rustSpread, 2),
      target: 'context',
      context: `${reads}: ${t.nativeSeconds.toFixed(3)} s vs ${t.rustSeconds.toFixed(3)} s; ${ids}`,
    });
  }
  const s = sections.scaling;
  if (s) {
    rows.push({
      figure: `2 workers x 1 thread vs 1 x 2 (${s.arch})`,
      value: ratioValue(s.spread, 2),
      target: 'context',
      context: `${s.oneWorkerAllCores.wallSeconds.toFixed(1)} s vs ${s.workerPerCore.wallSeconds.toFixed(1)} s`,
    });
  }
  for (const m of sections.memory) {
    rows.push({
      figure: `peak RSS per worker (${m.arch})`,
      value: fixed(m.peakRssMb, 0, ' MiB'),
      target: 'context',
      context: `${(m.parameterBytes / 2 ** 20).toFixed(0)} MiB of fp32 parameters (${m.rssOverParameters.toFixed(1)}x)`,
    });
  }
  for (const [k, r] of sections.predictMemory.entries()) {
    const previous = sections.predictMemory[k - 1];
    const slope = previous
      ? `; ${parentSlopePer10k(previous, r).toFixed(1)} MiB per 10k reads since ${previous.reads.toLocaleString('en')}`
      : '';
    rows.push({
      figure: `predict peak RSS, parent / worker (${r.reads.toLocaleString('en')} reads)`,
      value: `${r.parentPeakRssMb.toFixed(0)} / ${r.workerPeakRssMb.toFixed(0)} MiB`,
      target: 'parent < 300 MiB, flat',
      context: `tiny models, 1 worker, ${r.readLength} nt reads, ${r.frames} frames: ${r.wallSeconds.toFixed(0)} s${slope}`,
    });
    rows.push({
      figure: `rescore over predict, wall (${r.reads.toLocaleString('en')} reads)`,
      value: `${((100 * r.rescoreWallSeconds) / r.wallSeconds).toFixed(1)}%`,
      target: '<= 10%',
      context: `${r.rescoreWallSeconds.toFixed(1)} s; peak ${r.rescorePeakRssMb.toFixed(0)} MiB beside predict's parent ${r.parentPeakRssMb.toFixed(0)} MiB`,
    });
  }
  rows.push(...batchingAndPredictRows(sections), ...samplesRows(sections));
  const c = sections.classifyStream;
  if (c) {
    rows.push({
      figure: 'classify stream parent heap, end / a quarter in',
      value: `${(c.heapGrowth ?? c.rssGrowth).toFixed(2)}x`,
      target: 'about 1x',
      context: `${count(c.records)} reads, ${count(c.frames)} frames, ${c.models}, ${c.wallSeconds.toFixed(0)} s; RSS ${c.rssMb[c.rssMb.length - 1].toFixed(0)} MiB at the end (${c.rssGrowth.toFixed(2)}x)`,
    });
  }
  const report = sections.runReport;
  if (report) {
    rows.push({
      figure: `report.html load in Chromium (${report.records.toLocaleString('en')} records)`,
      value: `${report.spread.median.toFixed(2)} s (min ${report.spread.min.toFixed(2)} s, ${report.spread.runs.length} runs)`,
      target: '< 2 s',
      context:
        `${(report.htmlBytes / 2 ** 20).toFixed(2)} MiB (< 5 MB), written in ${report.writeSeconds.toFixed(1)} s ` +
        '(synthesised run folder, 3 frames a record)',
    });
  }
  for (const e of sections.efficiency ?? []) {
    rows.push({
      figure: `embed / GEMM rate (${e.arch} ${e.dtype})`,
      value: ratioValue(e.spread, 3).replace(/x/g, ''),
      target: '>= 0.70',
      context:
        `${e.sequences} sequences, ${count(e.tokens)} tokens, ${e.embed.workers} worker(s) x ${e.embed.threadsPerWorker}: ` +
        `${e.embed.wallSeconds.toFixed(1)} s = ${e.engineGflops.toFixed(1)} useful GFLOP/s; GEMM ` +
        `${e.gemmGflopsBefore.toFixed(1)} / ${e.gemmGflopsAfter.toFixed(1)} GFLOP/s before / after; ` +
        `${e.batches} batches, ${count(e.paddedTokens)} padded tokens${e.shapesMatchReport ? '' : " (NOT the report's)"}`,
    });
  }
  const cuda = sections.cuda;
  if (cuda && 'skipped' in cuda)
    rows.push({ figure: 'CUDA', value: 'skipped', target: '', context: cuda.skipped });
  if (cuda && 'runs' in cuda) {
    for (const r of cuda.runs) {
      rows.push({
        figure: `CUDA ${r.arch} ${r.dtype}`,
        value: `${r.tokensPerSecond.toFixed(0)} tok/s`,
        target: 'context',
        context:
          `${r.rows}x${r.length}, ${r.allocConf}, clear every ${r.cacheClearInterval ?? 'never'}: ` +
          `peak ${r.peakAllocatedMb.toFixed(0)}/${r.peakReservedMb.toFixed(0)} MiB alloc/reserved, ` +
          `${r.achievedTflops.toPrecision(3)} TFLOP/s = ${fixed(r.fractionOfPeak === null ? null : 100 * r.fractionOfPeak, 1, '%')} of peak`,
      });
    }
  }
  return rows;
}

const count = (value: number) => value.toLocaleString('en-US');

/** `dnabert-s 4,505/9,010, esm2 4,505/9,010`: distinct sequences embedded over all, per model. */
function embeddedCounts(run: PredictRun): string {
  return Object.entries(run.embedded)
    .map(([model, c]) => `${model} ${count(c.embedded)}/${count(c.sequences)}`)
    .join(', ');
}

/** `12.0 s / 10.0 s, CPU 1.10x`: the wall seconds of both runs of a ratio and their CPU seconds' ratio. */
function againstSeconds(
  run: { wallSeconds: number; cpuSeconds: number },
  base: { wallSeconds: number; cpuSeconds: number },
): string {
  return (
    `${run.wallSeconds.toFixed(1)} s / ${base.wallSeconds.toFixed(1)} s, ` +
    `CPU ${(run.cpuSeconds / base.cpuSeconds).toFixed(2)}x`
  );
}

/** The --samples rows, two per model set: the sheet and the separate commands, each over one run of all. */
function samplesRows(sections: Partial<Measurements>): TableRow[] {
  return (sections.samples ?? []).flatMap((s) => {
    const workload = `${s.samples} x ${count(s.readsPerSample)} reads, ${s.models}`;
    const seconds = (side: number, cpu: number | undefined) =>
      `${side.toFixed(1)} s / ${s.combinedSeconds.toFixed(1)} s` +
      (cpu === undefined || !s.cpuSeconds ? '' : `, CPU ${(cpu / s.cpuSeconds.combined).toFixed(2)}x`);
    return [
      {
        figure: 'predict --samples / one run of all reads',
        value: ratioValue(s.spread, 2),
        target: '<= 1.2x',
        context: `${workload}: ${seconds(s.sheetSeconds, s.cpuSeconds?.sheet)}`,
      },
      {
        figure: 'a predict per sample / one run of all reads',
        value: ratioValue(s.separateSpread, 2),
        target: '',
        context: `${workload}: ${seconds(s.separateSeconds, s.cpuSeconds?.separate)}`,
      },
    ];
  });
}

/** The cross-file batching, dedup and deterministic rows; absent in results from before these cases. */
function batchingAndPredictRows(sections: Partial<Measurements>): TableRow[] {
  const rows: TableRow[] = [];
  const x = sections.crossFile;
  if (x) {
    const sides = [x.manyFiles, x.oneFile];
    rows.push({
      figure: `${x.files} files / 1 file, same proteins (${x.arch})`,
      value: ratioValue(x.spread, 2),
      target: '<= 1.15x',
      context:
        `${x.files} x ${x.sequencesPerFile} vs 1 x ${count(x.files * x.sequencesPerFile)}: ` +
        `${againstSeconds(x.manyFiles, x.oneFile)}; ` +
        `batches ${sides.map((r) => r.batches).join(' vs ')}, ` +
        `padded tokens ${sides.map((r) => count(r.paddedTokens)).join(' vs ')} (real ${count(x.oneFile.tokens)})`,
    });
  }
  const d = sections.dedup;
  if (d) {
    rows.push({
      figure: 'predict, reads + shuffled copy / reads once',
      value: ratioValue(d.spread, 2),
      target: '<= 1.1x',
      context:
        `${count(d.doubled.records)} vs ${count(d.unique.records)} records, ${d.models}: ` +
        `${againstSeconds(d.doubled, d.unique)}; embedded ` +
        `${embeddedCounts(d.doubled)} vs ${embeddedCounts(d.unique)}`,
    });
  }
  const t = sections.deterministic;
  if (t) {
    const workload = `${count(t.standard.frames)} frames, ${t.models}`;
    rows.push({
      figure: 'predict --deterministic, 1 worker / default',
      value: ratioValue(t.spread, 2),
      target: '<= 1.25x',
      context: `${workload}: ${againstSeconds(t.oneWorker, t.standard)}`,
    });
    rows.push({
      figure: 'predict --deterministic, 2 workers / default',
      value: ratioValue(t.twoWorkersSpread, 2),
      target: '<= 1.25x',
      context: `${workload}: ${againstSeconds(t.twoWorkers, t.standard)}`,
    });
  }
  return rows;
}

export function formatTable(rows: TableRow[]): string {
  const header: TableRow = { figure: 'figure', value: 'value', target: 'target', context: 'context' };
  const all = [header, ...rows];
  const width = (key: keyof TableRow) => Math.max(...all.map((row) => row[key].length));
  const widths = { figure: width('figure'), value: width('value'), target: width('target') };
  const line = (row: TableRow) =>
    `${row.figure.padEnd(widths.figure)}  ${row.value.padStart(widths.value)}  ${row.target.padEnd(widths.target)}  ${row.context}`;
  return [
    line(header),
    '-'.repeat(widths.figure + widths.value + widths.target + 6 + 7),
    ...rows.map(line),
  ].join('\n');
}
