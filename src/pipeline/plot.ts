import { spawn } from 'node:child_process';
import path from 'node:path';
import { idBytes } from '../io/fasta';
import { packageRoot } from '../native';
import { chunkSpans } from './chunk';
import { chunkIsVirus, type ChunkScores, type RecordCall } from './prediction-files';

// prediction_plot.svg: like VirNucPro's drew_fig.py (each chunk a segment at its best score, coloured
// by call) but with the chunks at their real positions, so it is right for either chunk size, and the
// virus score on the y axis rather than the winning class's.

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
  chunks: PlotChunk[];
}

/** A record's chunks at their positions, each at its best score from `scores` (keyed by chunk id). */
export function plotRecord(
  id: string,
  length: number,
  call: RecordCall,
  chunkSize: number,
  scores: ChunkScores,
): PlotRecord {
  const chunks = chunkSpans(length, chunkSize).map(([start, end], k): PlotChunk => {
    const chunk = scores.get(`${id}_chunk_${k + 1}`);
    if (!chunk) return { start, end, maxVirus: null, call: 'no_frame' };
    return { start, end, maxVirus: chunk.maxVirus, call: chunkIsVirus(chunk) ? 'virus' : 'others' };
  });
  return { id, length, call, chunks };
}

/** Which records to draw: the first `count` input records, or the named ids (as typed: UTF-8 text). */
export type PlotSelection = { count: number } | { ids: string[] };

/** `id` as readFasta gives it: one character per byte of the input. */
export function wantsPlot(selection: PlotSelection, id: string, index: number): boolean {
  if (!('ids' in selection)) return index < selection.count;
  return selection.ids.some((typed) => Buffer.from(typed, 'utf8').toString('latin1') === id);
}

const CALL_COLOURS: Record<ChunkCall, string> = { virus: '#d62728', others: '#1f3b99', no_frame: '#9e9e9e' };

/** The Vega-Lite spec: one row per record, x = position in the record, y = the chunk's best virus score. */
export function plotSpec(records: PlotRecord[], chunkSize: number): Record<string, unknown> {
  const values = records.flatMap((record, row) =>
    record.chunks.map((chunk, k) => ({
      row,
      record: `${record.id}  (${record.length} nt, ${record.call.replace('_', ' ')})`,
      chunk: k + 1,
      start: chunk.start,
      end: chunk.end,
      // a chunk without a kept frame lies on the axis, in grey
      score: chunk.maxVirus ?? 0,
      call: chunk.call,
    })),
  );
  const calls = Object.keys(CALL_COLOURS) as ChunkCall[];
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `VirNucPro chunk scores (${chunkSize} nt chunks)`,
      subtitle: 'each segment is one chunk at its best virus score; colour is the chunk call',
      anchor: 'start',
    },
    data: { values },
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
          mark: { type: 'rule', strokeDash: [3, 3], color: '#bbbbbb' },
          encoding: { y: { datum: 0.5 } },
        },
        {
          mark: { type: 'rule', strokeWidth: 4, strokeCap: 'butt', opacity: 0.85 },
          encoding: {
            x: {
              field: 'start',
              type: 'quantitative',
              title: 'position (nt)',
              scale: { nice: false, zero: true },
              axis: { format: 'd' },
            },
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
              { field: 'chunk', title: 'chunk' },
              { field: 'start' },
              { field: 'end' },
              { field: 'score', format: '.4f' },
            ],
          },
        },
      ],
    },
    resolve: { scale: { x: 'independent' } },
    config: { view: { stroke: null }, axis: { grid: false } },
  };
}

/** Renders any Vega-Lite spec to SVG in a child process (vega is ESM-only). */
export function renderVegaLiteSvg(spec: Record<string, unknown>): Promise<string> {
  const script = path.join(packageRoot(), 'scripts', 'render-vega.mjs');
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0) resolve(Buffer.concat(out).toString('utf8'));
      else reject(new Error(`plot rendering failed: ${Buffer.concat(err).toString('utf8').trim()}`));
    });
    child.stdin.end(JSON.stringify(spec));
  });
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
export async function renderPlotSvg(records: PlotRecord[], chunkSize: number): Promise<Buffer> {
  const texts = records.map((record) => utf8Text(record.id));
  if (texts.every((text) => text !== null)) {
    const asText = records.map((record, i) => ({ ...record, id: texts[i] }));
    return Buffer.from(await renderVegaLiteSvg(plotSpec(asText, chunkSize)), 'utf8');
  }
  const svg = await renderVegaLiteSvg(plotSpec(records, chunkSize));
  const latin1 = svg.replace(/[^\u0000-\u00ff]/gu, (c) => `&#x${(c.codePointAt(0) as number).toString(16)};`);
  return Buffer.from(`<?xml version="1.0" encoding="ISO-8859-1"?>\n${latin1}`, 'latin1');
}
