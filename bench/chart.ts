import type { BenchResults } from './results';

// The results chart: each ratio against its target on a log axis, then where the wall time of each
// compared run went (model loading, forward, everything else).

interface RatioDatum {
  figure: string;
  value: number;
  target: number | null;
  verdict: 'meets target' | 'misses target' | 'no target';
  label: string;
}

const timeParts = ['model load', 'forward', 'other'] as const;

interface TimeDatum {
  run: string;
  part: (typeof timeParts)[number];
  /** the part's place in the stack, left to right */
  partOrder: number;
  seconds: number;
  order: number;
}

/** esm2_t6_8M -> ESM-2 8M, dnabert-s-117M -> DNABERT-S 117M: row labels that fit. */
function shortArch(arch: string): string {
  const esm = /^esm2_t\d+_(\w+)$/.exec(arch);
  if (esm) return `ESM-2 ${esm[1]}`;
  return arch.replace(/^dnabert-s-/, 'DNABERT-S ');
}

/** A ratio against its target: a floor, or a ceiling when lower is better (a cost). */
function ratio(
  figure: string,
  value: number,
  target: number | null,
  better: 'higher' | 'lower' = 'higher',
): RatioDatum {
  const meets = better === 'higher' ? value >= (target ?? 0) : value <= (target ?? 0);
  const verdict = target === null ? 'no target' : meets ? 'meets target' : 'misses target';
  return { figure, value, target, verdict, label: `${value >= 10 ? value.toFixed(0) : value.toFixed(2)}x` };
}

function ratioData(results: BenchResults): RatioDatum[] {
  const { sections } = results;
  const data: RatioDatum[] = [];
  for (const c of sections.persistent)
    data.push(ratio(`persistent vs load per file, ${shortArch(c.arch)}`, c.spread.median, 3));
  for (const c of sections.python)
    data.push(ratio(`engine vs Python, ${shortArch(c.arch)}`, c.spread.median, 1));
  if (sections.tokenizer) {
    data.push(ratio('C++ vs JS tokenizer', sections.tokenizer.spread.median, 50));
    data.push(ratio('C++ vs Rust tokenizers', sections.tokenizer.rustSpread.median, null));
  }
  if (sections.scaling)
    data.push(
      ratio(
        `2 workers x 1 thread vs 1 x 2, ${shortArch(sections.scaling.arch)}`,
        sections.scaling.spread.median,
        null,
      ),
    );
  const { crossFile, dedup, deterministic } = sections;
  if (crossFile)
    data.push(
      ratio(
        `${crossFile.files} files vs 1 file, ${shortArch(crossFile.arch)}`,
        crossFile.spread.median,
        1.15,
        'lower',
      ),
    );
  for (const e of sections.efficiency ?? [])
    data.push(ratio(`embed vs GEMM rate, ${shortArch(e.arch)} ${e.dtype}`, e.spread.median, 0.7));
  if (dedup) data.push(ratio('predict, reads + shuffled copy vs once', dedup.spread.median, 1.1, 'lower'));
  if (deterministic) {
    data.push(ratio('--deterministic 1 worker vs default', deterministic.spread.median, 1.25, 'lower'));
    data.push(
      ratio('--deterministic 2 workers vs default', deterministic.twoWorkersSpread.median, 1.25, 'lower'),
    );
  }
  return data;
}

function splitWallTime(
  run: string,
  order: number,
  wall: number,
  load: number | null,
  forward: number,
): TimeDatum[] {
  const loadSeconds = load ?? 0;
  const seconds = [loadSeconds, forward, Math.max(0, wall - loadSeconds - forward)];
  return timeParts.map((part, partOrder) => ({ run, part, partOrder, seconds: seconds[partOrder], order }));
}

function timeData(results: BenchResults): TimeDatum[] {
  const data: TimeDatum[] = [];
  let order = 0;
  for (const c of results.sections.persistent) {
    for (const run of [c.persistent, c.perFile]) {
      data.push(
        ...splitWallTime(
          `${shortArch(c.arch)} ${run.label}`,
          order++,
          run.wallSeconds,
          run.modelLoadSeconds,
          run.forwardSeconds,
        ),
      );
    }
  }
  for (const c of results.sections.python) {
    data.push(
      ...splitWallTime(
        `${shortArch(c.arch)} engine`,
        order++,
        c.engine.seconds,
        c.engine.loadSeconds,
        c.engine.forwardSeconds,
      ),
    );
    data.push(
      ...splitWallTime(
        `${shortArch(c.arch)} Python`,
        order++,
        c.python.seconds,
        c.python.loadSeconds,
        c.python.forwardSeconds,
      ),
    );
  }
  return data;
}

interface CudaDatum {
  run: string;
  dtype: string;
  tokensPerSecond: number;
  label: string;
}

function cudaData(results: BenchResults): CudaDatum[] {
  const cuda = results.sections.cuda;
  if (!cuda || !('runs' in cuda)) return [];
  return cuda.runs.map((r) => ({
    run:
      `${r.arch} ${r.dtype} ${r.rows}x${r.length}` +
      `${r.allocConf.includes('expandable_segments:False') ? ' no-expandable' : ''}` +
      `${r.cacheClearInterval === null ? '' : ` clear/${r.cacheClearInterval}`}`,
    dtype: r.dtype,
    tokensPerSecond: r.tokensPerSecond,
    label:
      r.fractionOfPeak === null
        ? `${r.peakAllocatedMb.toFixed(0)} MiB`
        : `${(100 * r.fractionOfPeak).toFixed(1)}% of peak, ${r.peakAllocatedMb.toFixed(0)} MiB`,
  }));
}

function cudaDevice(results: BenchResults): string {
  const cuda = results.sections.cuda;
  return cuda && 'device' in cuda ? cuda.device : 'no device';
}

function cudaPanel(device: string, data: CudaDatum[]): Record<string, unknown> {
  return {
    title: {
      text: `CUDA on ${device}: tokens/s (label: share of dense peak, peak allocated)`,
      anchor: 'start',
      fontSize: 13,
    },
    data: { values: data },
    width: 560,
    height: { step: 18 },
    encoding: {
      y: { field: 'run', type: 'nominal', sort: null, title: null, axis: { labelLimit: 320 } },
      x: { field: 'tokensPerSecond', type: 'quantitative', title: 'tokens/s' },
    },
    layer: [
      {
        mark: 'bar',
        encoding: {
          color: {
            field: 'dtype',
            type: 'nominal',
            title: null,
            scale: { domain: ['fp32', 'fp16', 'bf16'], range: ['#b8c4d0', '#3b7dd8', '#2a9d3f'] },
            legend: { orient: 'bottom' },
          },
        },
      },
      { mark: { type: 'text', align: 'left', dx: 4, fontSize: 10 }, encoding: { text: { field: 'label' } } },
    ],
  };
}

export function chartSpec(results: BenchResults): Record<string, unknown> {
  const ratios = ratioData(results);
  const times = timeData(results);
  const cuda = cudaData(results);
  const title = `virnucpro bench ${results.name} (${results.mode}): ${results.machine.cpuModel}, ${results.machine.cores} cores`;
  const ratioPanel = {
    title: { text: 'Ratios (log scale); black tick = target', anchor: 'start', fontSize: 13 },
    data: { values: ratios },
    width: 560,
    height: { step: 40 },
    encoding: {
      y: { field: 'figure', type: 'nominal', sort: null, title: null, axis: { labelLimit: 320 } },
    },
    layer: [
      {
        // the stem from 1x (no difference) to the measured ratio
        mark: { type: 'rule', strokeWidth: 3 },
        transform: [{ calculate: '1', as: 'parity' }],
        encoding: {
          x: { field: 'parity', type: 'quantitative' },
          x2: { field: 'value' },
          color: { field: 'verdict', type: 'nominal' },
        },
      },
      {
        mark: { type: 'point', filled: true, size: 120 },
        encoding: {
          x: {
            field: 'value',
            type: 'quantitative',
            scale: { type: 'log', domain: [0.2, 500], nice: false },
            title: 'ratio (x)',
          },
          color: {
            field: 'verdict',
            type: 'nominal',
            title: null,
            scale: {
              domain: ['meets target', 'misses target', 'no target'],
              range: ['#2a9d3f', '#d1495b', '#6c757d'],
            },
            legend: { orient: 'bottom' },
          },
        },
      },
      {
        mark: { type: 'tick', color: 'black', thickness: 2, size: 22 },
        transform: [{ filter: 'datum.target !== null' }],
        encoding: { x: { field: 'target', type: 'quantitative' } },
      },
      {
        // above the point, clear of the target tick
        mark: { type: 'text', align: 'center', dy: -14, fontSize: 12, fontWeight: 'bold' },
        encoding: { x: { field: 'value', type: 'quantitative' }, text: { field: 'label' } },
      },
    ],
  };
  const timePanel = {
    title: { text: 'Wall seconds of each compared run', anchor: 'start', fontSize: 13 },
    data: { values: times },
    width: 560,
    height: { step: 24 },
    mark: 'bar',
    encoding: {
      y: { field: 'run', type: 'nominal', sort: { field: 'order' }, title: null, axis: { labelLimit: 320 } },
      x: { field: 'seconds', type: 'quantitative', aggregate: 'sum', title: 'seconds' },
      color: {
        field: 'part',
        type: 'nominal',
        title: null,
        scale: { domain: [...timeParts], range: ['#e9a23b', '#3b7dd8', '#b8c4d0'] },
        legend: { orient: 'bottom' },
      },
      order: { field: 'partOrder', type: 'quantitative' },
    },
  };
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: title, anchor: 'start', fontSize: 14 },
    background: 'white',
    padding: 16,
    vconcat: [
      ...(ratios.length > 0 ? [ratioPanel] : []),
      ...(times.length > 0 ? [timePanel] : []),
      ...(cuda.length > 0 ? [cudaPanel(cudaDevice(results), cuda)] : []),
    ],
    spacing: 28,
    resolve: { scale: { color: 'independent' } },
  };
}
