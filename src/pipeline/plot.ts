import { idBytes } from '../io/fasta';
import { chunkSpans } from './chunk';
import { chunkIsVirus, type ChunkScores, type RecordCall } from './prediction-files';
import { renderVegaLiteSvg } from './vega-renderer';

export { renderVegaLiteSvg };

// Longer than most files: most of it is the one vega-lite specification of the run overview.
//
// prediction_plot.svg, a one-page overview of a run: the distribution of the records' best virus
// scores, the records by call, and the score tracks of the best-scoring records (or the named ones):
// each chunk a segment at its real position and best virus score, coloured by its call, the spans where
// consecutive chunks overlap shaded, and chunks without a frame drawn as such rather than at 0.

export const PREDICTION_PLOT = 'prediction_plot.svg';

export type ChunkCall = 'virus' | 'others' | 'no_frame';

export interface PlotChunk {
  start: number;
  end: number;
  /** best P(virus) over the chunk's frames; null when it kept none */
  maxVirus: number | null;
  call: ChunkCall;
}

export interface PlotRecord {
  id: string;
  length: number;
  call: RecordCall;
  /** the record's best P(virus); null when no frame was scored */
  maxVirus: number | null;
  chunks: PlotChunk[];
}

/** A record's chunks at their positions, each at its best score from `scores` (keyed by chunk id). */
export function plotChunks(id: string, length: number, chunkSize: number, scores: ChunkScores, minScore = 0) {
  return chunkSpans(length, chunkSize).map(([start, end], k): PlotChunk => {
    const chunk = scores.get(`${id}_chunk_${k + 1}`);
    if (!chunk) return { start, end, maxVirus: null, call: 'no_frame' };
    return { start, end, maxVirus: chunk.maxVirus, call: chunkIsVirus(chunk, minScore) ? 'virus' : 'others' };
  });
}

/** Whose tracks are drawn: the `count` records with the best virus scores, or the named ids (as typed: UTF-8 text). */
export type PlotSelection = { count: number } | { ids: string[] };

/** A record as the overview counts it; its chunks are asked for only when its track is drawn. */
export interface OverviewRecord {
  id: string;
  length: number;
  call: RecordCall;
  maxVirus: number | null;
}

const SCORE_BINS = 20;
const RECORD_CALLS: RecordCall[] = ['virus', 'others', 'no_frame', 'empty', 'not_scored'];

/** Collects the overview one record at a time, in input order, keeping only the tracks it will draw. */
export class RunOverview {
  private readonly bins = Array.from({ length: SCORE_BINS }, () => ({ virus: 0, others: 0, not_scored: 0 }));
  private readonly calls = Object.fromEntries(RECORD_CALLS.map((call) => [call, 0])) as Record<
    RecordCall,
    number
  >;
  /** best first; ties keep input order */
  private readonly tracks: PlotRecord[] = [];
  private readonly wanted: Set<string> | null;

  constructor(
    private readonly selection: PlotSelection,
    private readonly chunkSize: number,
  ) {
    // ids arrive as readFasta gives them: one character per byte of the input
    this.wanted =
      'ids' in selection
        ? new Set(selection.ids.map((typed) => Buffer.from(typed, 'utf8').toString('latin1')))
        : null;
  }

  add(record: OverviewRecord, chunks: () => PlotChunk[]): void {
    this.calls[record.call]++;
    if (record.maxVirus !== null && record.call !== 'no_frame' && record.call !== 'empty') {
      const bin = Math.min(Math.floor(record.maxVirus * SCORE_BINS), SCORE_BINS - 1);
      this.bins[bin][record.call]++;
    }
    if (record.length === 0) return;
    if (this.wanted) {
      if (this.wanted.has(record.id)) this.tracks.push({ ...record, chunks: chunks() });
      return;
    }
    const count = (this.selection as { count: number }).count;
    if (record.maxVirus === null || count === 0) return;
    const score = record.maxVirus;
    if (this.tracks.length === count && score <= (this.tracks[count - 1].maxVirus as number)) return;
    // first position whose score is lower: equal scores stay in input order
    let at = this.tracks.findIndex((track) => (track.maxVirus as number) < score);
    if (at < 0) at = this.tracks.length;
    this.tracks.splice(at, 0, { ...record, chunks: chunks() });
    if (this.tracks.length > count) this.tracks.pop();
  }

  /** What the SVG is drawn from (the ids as given to add). */
  summary() {
    return { bins: this.bins, calls: this.calls, tracks: this.tracks };
  }

  svg(): Promise<Buffer> {
    return renderPlotSvg(this.tracks, this.chunkSize, this.bins, this.calls, this.selection);
  }
}

const CALL_COLOURS: Record<ChunkCall, string> = { virus: '#d62728', others: '#1f3b99', no_frame: '#9e9e9e' };
const RECORD_COLOURS: Record<RecordCall, string> = {
  ...CALL_COLOURS,
  empty: '#d9d9d9',
  not_scored: '#ff9f1c',
};

type Bins = ReturnType<RunOverview['summary']>['bins'];

function trackLabel(record: PlotRecord): string {
  const score = record.maxVirus === null ? '' : `, best ${record.maxVirus.toFixed(3)}`;
  return `${record.id}  (${record.length} nt, ${record.call.replace('_', ' ')}${score})`;
}

function histogramSpec(bins: Bins, calls: Record<RecordCall, number>): Record<string, unknown> {
  const values = bins.flatMap((bin, k) =>
    (['virus', 'others', 'not_scored'] as const)
      .filter((call) => bin[call] > 0)
      .map((call) => ({ from: k / SCORE_BINS, to: (k + 1) / SCORE_BINS, records: bin[call], call })),
  );
  const unscored = calls.no_frame + calls.empty;
  const domain: RecordCall[] = ['virus', 'others', 'not_scored'];
  return {
    title: {
      text: 'Best virus score per record',
      subtitle: unscored > 0 ? `${unscored} records without a scored frame are not in this histogram` : '',
      anchor: 'start',
    },
    width: 420,
    height: 180,
    data: { values },
    mark: { type: 'rect', stroke: 'white', strokeWidth: 0.5 },
    encoding: {
      x: {
        field: 'from',
        type: 'quantitative',
        title: 'best virus score (P(virus) of the best frame)',
        scale: { domain: [0, 1] },
      },
      x2: { field: 'to' },
      y: { aggregate: 'sum', field: 'records', type: 'quantitative', title: 'records', stack: 'zero' },
      color: {
        field: 'call',
        type: 'nominal',
        title: 'record call',
        scale: { domain, range: domain.map((call) => RECORD_COLOURS[call]) },
      },
      tooltip: [
        { field: 'from', format: '.2f' },
        { field: 'to', format: '.2f' },
        { field: 'call' },
        { field: 'records' },
      ],
    },
  };
}

function callsSpec(calls: Record<RecordCall, number>): Record<string, unknown> {
  const values = RECORD_CALLS.map((call) => ({
    call: call.replace('_', ' '),
    key: call,
    records: calls[call],
  }));
  return {
    title: { text: 'Records by call', anchor: 'start' },
    width: 240,
    height: 180,
    data: { values },
    layer: [
      {
        mark: { type: 'bar' },
        encoding: {
          y: { field: 'call', type: 'nominal', sort: null, title: null },
          x: { field: 'records', type: 'quantitative', title: 'records' },
          color: {
            field: 'key',
            type: 'nominal',
            legend: null,
            scale: { domain: RECORD_CALLS, range: RECORD_CALLS.map((call) => RECORD_COLOURS[call]) },
          },
        },
      },
      {
        mark: { type: 'text', align: 'left', dx: 3 },
        encoding: {
          y: { field: 'call', type: 'nominal', sort: null },
          x: { field: 'records', type: 'quantitative' },
          text: { field: 'records' },
        },
      },
    ],
  };
}

function tracksSpec(
  records: PlotRecord[],
  chunkSize: number,
  selection: PlotSelection,
): Record<string, unknown> {
  const chunkValues = records.flatMap((record, row) =>
    record.chunks.map((chunk, k) => ({
      row,
      record: trackLabel(record),
      chunk: k + 1,
      start: chunk.start,
      end: chunk.end,
      score: chunk.maxVirus,
      call: chunk.call,
      layer: chunk.call === 'no_frame' ? 'no_frame' : 'scored',
    })),
  );
  // the spans two consecutive chunks share (VirNucPro spreads a record's overlap over its chunks)
  const overlapValues = records.flatMap((record, row) =>
    record.chunks.slice(1).flatMap((chunk, k) => {
      const previous = record.chunks[k];
      return chunk.start < previous.end
        ? [{ row, record: trackLabel(record), start: chunk.start, end: previous.end, layer: 'overlap' }]
        : [];
    }),
  );
  const calls = Object.keys(CALL_COLOURS) as ChunkCall[];
  const x = {
    field: 'start',
    type: 'quantitative',
    title: 'position (nt)',
    scale: { nice: false, zero: true },
    axis: { format: 'd' },
  };
  const which =
    'ids' in selection
      ? 'the records named by --plot-ids'
      : `the ${records.length} records with the best virus scores`;
  return {
    title: {
      text: `Chunk scores of ${which} (${chunkSize} nt chunks)`,
      subtitle:
        'each segment is one chunk at its real position and best virus score, coloured by its call; ' +
        'shaded: where chunks overlap; grey band: a chunk that kept no frame',
      anchor: 'start',
    },
    data: { values: [...overlapValues, ...chunkValues] },
    facet: {
      row: {
        field: 'record',
        type: 'nominal',
        sort: { field: 'row', op: 'min' },
        title: null,
        header: {
          labelAngle: 0,
          labelOrient: 'top',
          labelAnchor: 'start',
          labelFontSize: 12,
          labelFontWeight: 'bold',
        },
      },
    },
    spec: {
      width: 720,
      height: 70,
      layer: [
        {
          transform: [{ filter: "datum.layer === 'overlap'" }],
          mark: { type: 'rect', color: '#f2e6c9', opacity: 0.8 },
          encoding: { x, x2: { field: 'end' }, y: { datum: 0 }, y2: { datum: 1 } },
        },
        {
          transform: [{ filter: "datum.layer === 'no_frame'" }],
          mark: { type: 'rect', color: CALL_COLOURS.no_frame, opacity: 0.25 },
          encoding: {
            x,
            x2: { field: 'end' },
            y: { datum: 0 },
            y2: { datum: 1 },
            tooltip: [{ field: 'chunk' }, { field: 'start' }, { field: 'end' }, { field: 'call' }],
          },
        },
        { mark: { type: 'rule', strokeDash: [3, 3], color: '#bbbbbb' }, encoding: { y: { datum: 0.5 } } },
        {
          transform: [{ filter: "datum.layer === 'scored'" }],
          mark: { type: 'rule', strokeWidth: 4, strokeCap: 'butt', opacity: 0.85 },
          encoding: {
            x,
            x2: { field: 'end' },
            y: {
              field: 'score',
              type: 'quantitative',
              title: 'virus score',
              scale: { domain: [0, 1] },
              axis: { tickCount: 3 },
            },
            color: {
              field: 'call',
              type: 'nominal',
              title: 'chunk call',
              scale: { domain: calls, range: calls.map((c) => CALL_COLOURS[c]) },
            },
            tooltip: [
              { field: 'chunk' },
              { field: 'start' },
              { field: 'end' },
              { field: 'score', format: '.4f' },
            ],
          },
        },
      ],
    },
    resolve: { scale: { x: 'independent' } },
  };
}

/** The Vega-Lite spec of the overview page. */
export function plotSpec(
  records: PlotRecord[],
  chunkSize: number,
  bins: Bins,
  calls: Record<RecordCall, number>,
  selection: PlotSelection,
): Record<string, unknown> {
  const total = RECORD_CALLS.reduce((sum, call) => sum + calls[call], 0);
  const page: Record<string, unknown>[] = [{ hconcat: [histogramSpec(bins, calls), callsSpec(calls)] }];
  if (records.length > 0) page.push(tracksSpec(records, chunkSize, selection));
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: { text: `VirNucPro run overview: ${total} records`, anchor: 'start', fontSize: 16 },
    vconcat: page,
    spacing: 30,
    resolve: { scale: { color: 'independent' } },
    config: { view: { stroke: null }, axis: { grid: false } },
  };
}

/**
 * Draws the overview of a made-up two-record run and drops it. A renderer's first plot pays for vega
 * compiling its code paths (about as long as the plot itself); a run whose renderer is held does this
 * while it embeds, so its own plot is drawn warm.
 */
export async function warmUpPlotRenderer(): Promise<void> {
  const overview = new RunOverview({ count: 20 }, 300);
  for (const [k, call] of (['virus', 'others'] as const).entries()) {
    overview.add({ id: `warm_up_${k}`, length: 600, call, maxVirus: 0.6 - k / 5 }, () => [
      { start: 0, end: 300, maxVirus: 0.6 - k / 5, call },
      { start: 300, end: 600, maxVirus: null, call: 'no_frame' },
    ]);
  }
  await overview.svg();
}

const strictUtf8 = new TextDecoder('utf-8', { fatal: true });

function utf8Text(id: string): string | null {
  try {
    return strictUtf8.decode(idBytes(id));
  } catch {
    return null;
  }
}

/**
 * The prediction plot as SVG bytes in which every record id is the input's bytes. Ids (one character
 * per byte, as readFasta gives them) that are all UTF-8, the usual case, are drawn as their text in a
 * UTF-8 file; otherwise the file is declared ISO-8859-1, so each id byte is one character, and the few
 * characters beyond Latin-1 become character references.
 */
async function renderPlotSvg(
  records: PlotRecord[],
  chunkSize: number,
  bins: Bins,
  calls: Record<RecordCall, number>,
  selection: PlotSelection,
): Promise<Buffer> {
  const texts = records.map((record) => utf8Text(record.id));
  if (texts.every((text) => text !== null)) {
    const asText = records.map((record, i) => ({ ...record, id: texts[i] }));
    return Buffer.from(await renderVegaLiteSvg(plotSpec(asText, chunkSize, bins, calls, selection)), 'utf8');
  }
  const svg = await renderVegaLiteSvg(plotSpec(records, chunkSize, bins, calls, selection));
  const latin1 = svg.replace(/[^\u0000-\u00ff]/gu, (c) => `&#x${(c.codePointAt(0) as number).toString(16)};`);
  return Buffer.from(`<?xml version="1.0" encoding="ISO-8859-1"?>\n${latin1}`, 'latin1');
}
