import path from 'node:path';
import { chunkSpans } from './chunk';
import { RunOverview } from './plot';
import type { FrameScore, RecordCall } from './prediction-files';
import { readSavedRecords } from './record-calls';
import type { RunRecord } from './run-folder';

// What the run report and the MultiQC figures show, read back from a finished run folder in one pass
// over prediction_summary.tsv and prediction_results.txt (bounded memory: the counts, one score per
// scored record for the median, and the top rows with their chunk tracks).

export const DEFAULT_REPORT_ROWS = 10000;
/** characters of chunk-track data the report holds in all; rows past it open no track */
const TRACK_BUDGET = 2_500_000;
/** non-ACGT record ids listed by name (the rest are counted) */
const LISTED_IDS = 100;
/** `[0,300,[null,null,null,null,null,null]],` */
const MIN_CHUNK_CHARACTERS = 40;
const FRAME_NAMES = ['F1', 'F2', 'F3', 'R1', 'R2', 'R3'];

/** One chunk of a track: its span and the virus score of each of its six frames (null: not kept). */
export type TrackChunk = [start: number, end: number, frames: (number | null)[]];

export interface ReportRow {
  id: string;
  source: string;
  length: number;
  call: RecordCall;
  /** best P(virus), null when no frame was scored */
  score: number | null;
  frames: number;
  nonAcgt: number;
  /** null when the track did not fit the report's budget */
  track: TrackChunk[] | null;
}

export interface ReportData {
  records: number;
  chunks: number;
  frames: number;
  calls: Record<RecordCall, number>;
  /** the score histogram of the run overview (20 bins over [0, 1]) */
  bins: ReturnType<RunOverview['summary']>['bins'];
  /** median best virus score over the records with a scored frame; null when none */
  medianScore: number | null;
  /** the top rows, virus calls first, each group by score (best first, ties in input order) */
  rows: ReportRow[];
  nonAcgt: { records: number; ids: string[] };
}

const asText = (bytes: string) => Buffer.from(bytes, 'latin1').toString('utf8');

/** The chunk track of a record: the frames' virus scores at each chunk's position. */
function chunkTrack(id: string, length: number, chunkSize: number, frames: FrameScore[]): TrackChunk[] {
  const track = chunkSpans(length, chunkSize).map(([start, end]): TrackChunk => [
    start,
    end,
    FRAME_NAMES.map(() => null),
  ]);
  const prefix = `${id}_chunk_`.length;
  for (const frame of frames) {
    const chunk = Number(frame.id.slice(prefix, -2)) - 1;
    const which = FRAME_NAMES.indexOf(frame.id.slice(-2));
    if (track[chunk] && which >= 0) track[chunk][2][which] = Math.round(frame.virus * 1000) / 1000;
  }
  return track;
}

/** Virus calls first, then by score, a missing score last; equal keys keep input order. */
function ranksAbove(
  a: { call: RecordCall; score: number | null },
  b: { call: RecordCall; score: number | null },
) {
  const virusA = a.call === 'virus';
  const virusB = b.call === 'virus';
  if (virusA !== virusB) return virusA;
  return (a.score ?? -1) > (b.score ?? -1);
}

/** The `limit` best rows seen so far, kept in rank order (few insertions once it is full). */
class TopRows {
  readonly rows: Omit<ReportRow, 'track'>[] = [];
  readonly frames: FrameScore[][] = [];

  constructor(private readonly limit: number) {}

  /** Whether a record of this rank would enter the table. */
  wants(row: { call: RecordCall; score: number | null }): boolean {
    if (this.limit === 0) return false;
    return this.rows.length < this.limit || ranksAbove(row, this.rows[this.rows.length - 1]);
  }

  add(row: Omit<ReportRow, 'track'>, frames: FrameScore[]): void {
    let low = 0;
    let high = this.rows.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      if (ranksAbove(row, this.rows[mid])) high = mid;
      else low = mid + 1;
    }
    this.rows.splice(low, 0, row);
    this.frames.splice(low, 0, frames);
    if (this.rows.length > this.limit) {
      this.rows.pop();
      this.frames.pop();
    }
  }
}

function median(values: Float64Array): number | null {
  if (values.length === 0) return null;
  const sorted = values.slice().sort();
  const middle = sorted.length >> 1;
  return sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** Reads a finished run folder into what its report shows; `rows` bounds the records table. */
export async function readReportData(outDir: string, run: RunRecord, rows: number): Promise<ReportData> {
  const options = (run.options ?? {}) as { chunkSize?: number; inputs?: string[] };
  const chunkSize = options.chunkSize ?? 300;
  const inputs = options.inputs ?? [];
  const onlySource = inputs.length === 1 ? path.basename(inputs[0]) : '';
  const overview = new RunOverview({ count: 0 }, chunkSize);
  const top = new TopRows(rows);
  let scores = new Float64Array(1024);
  let scored = 0;
  let records = 0;
  let chunks = 0;
  let frames = 0;
  const nonAcgt = { records: 0, ids: [] as string[] };
  for await (const saved of readSavedRecords(outDir)) {
    records++;
    chunks += saved.chunks;
    frames += saved.frames.length;
    overview.add({ ...saved }, () => []);
    if (saved.maxVirus !== null) {
      if (scored === scores.length) {
        const grown = new Float64Array(scores.length * 2);
        grown.set(scores);
        scores = grown;
      }
      scores[scored++] = saved.maxVirus;
    }
    if (saved.nonAcgt > 0 && nonAcgt.records++ < LISTED_IDS) nonAcgt.ids.push(asText(saved.id));
    const rank = { call: saved.call, score: saved.maxVirus };
    if (!top.wants(rank)) continue;
    // ids stay the file's bytes (as frame ids hold them) until the table is final
    const row = {
      ...rank,
      id: saved.id,
      source: saved.source === null ? onlySource : asText(saved.source),
      length: saved.length,
      frames: saved.frames.length,
      nonAcgt: saved.nonAcgt,
    };
    top.add(row, saved.frames);
  }
  let budget = TRACK_BUDGET;
  const tableRows = top.rows.map((row, k): ReportRow => {
    // a chunk takes at least this many characters: a long genome is left out before it is built
    if (Math.ceil(row.length / chunkSize) * MIN_CHUNK_CHARACTERS > budget) {
      return { ...row, id: asText(row.id), track: null };
    }
    const track = chunkTrack(row.id, row.length, chunkSize, top.frames[k]);
    const size = JSON.stringify(track).length;
    const fits = size <= budget;
    if (fits) budget -= size;
    return { ...row, id: asText(row.id), track: fits ? track : null };
  });
  const { bins, calls } = overview.summary();
  return {
    records,
    chunks,
    frames,
    calls,
    bins,
    medianScore: median(scores.subarray(0, scored)),
    rows: tableRows,
    nonAcgt,
  };
}
