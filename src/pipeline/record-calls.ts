import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { LineReader } from '../io/line-reader';
import { PredictError } from './predict-errors';
import {
  PREDICTION_RESULTS,
  PREDICTION_SUMMARY,
  SOURCE_COLUMN,
  SUMMARY_HEADER,
  type FrameScore,
  type RecordCall,
} from './prediction-files';
import { RUN_RECORD, type RunRecord } from './run-folder';

// A finished run read back record by record from its own files: prediction_summary.tsv gives one row
// per input record in input order, and prediction_results.txt holds the same records' frames in the
// same order, Frames_Scored rows each, so the two are walked side by side in bounded memory.

/** One input record's outcome, as `readRecordCalls` gives it. */
export interface RecordCallRow {
  /** the record id (the input's bytes read as UTF-8) */
  id: string;
  /** the input file's name the record came from */
  source: string;
  length: number;
  call: RecordCall;
  /** the best P(virus) over the record's frames; null when no frame was scored */
  virusScore: number | null;
  /** the best P(others) over the record's frames; null when no frame was scored */
  othersScore: number | null;
  /** frames scored */
  frames: number;
  /** bases other than A, C, G, T */
  nonAcgt: number;
}

/** A summary row with its frames, ids one character per byte (as the files hold them). */
export interface SavedRecord {
  id: string;
  length: number;
  chunks: number;
  call: RecordCall;
  maxVirus: number | null;
  nonAcgt: number;
  /** the Source column, or null when the run had one input */
  source: string | null;
  frames: FrameScore[];
}

/** The run record of a predict output folder; a clear error when there is none. */
export async function readRunRecord(outDir: string): Promise<RunRecord> {
  const file = path.join(outDir, RUN_RECORD);
  if (!existsSync(file)) {
    throw new PredictError(`${outDir}: not a predict output folder (no ${RUN_RECORD})`, 'E_FOLDER');
  }
  const record = JSON.parse(await readFile(file, 'utf8')) as RunRecord;
  if (record.format !== 'virnucpro-run/1') {
    throw new PredictError(`${file}: not a virnucpro run record`, 'E_FOLDER');
  }
  return record;
}

function fileError(reader: LineReader, reason: string): PredictError {
  return new PredictError(`${reader.file}:${reader.line}: ${reason}`, 'E_INPUT');
}

/** Every record of a run's summary with its scored frames, in input order. */
export async function* readSavedRecords(outDir: string): AsyncGenerator<SavedRecord> {
  const summary = new LineReader(path.join(outDir, PREDICTION_SUMMARY), 'latin1');
  const results = new LineReader(path.join(outDir, PREDICTION_RESULTS), 'latin1');
  try {
    const header = await summary.take();
    if (header === null || !`${header}\n`.startsWith(SUMMARY_HEADER.slice(0, -1))) {
      throw fileError(summary, 'not a prediction summary (unexpected header)');
    }
    const withSource = header.endsWith(`\t${SOURCE_COLUMN}`);
    await results.take();
    for (let line = await summary.take(); line !== null; line = await summary.take()) {
      if (line === '') continue;
      const fields = line.split('\t');
      if (fields.length !== (withSource ? 8 : 7)) throw fileError(summary, 'wrong number of columns');
      const [id, length, chunks, framesScored, maxVirus, call, nonAcgt] = fields;
      const frames: FrameScore[] = [];
      for (let k = 0; k < Number(framesScored); k++) {
        const frame = await results.take();
        const [frameId, , others, virus] = frame?.split('\t') ?? [];
        if (frameId === undefined || !frameId.startsWith(`${id}_chunk_`)) {
          throw fileError(results, `expected a frame of "${id}" (the summary and the results disagree)`);
        }
        frames.push({ id: frameId, others: Number(others), virus: Number(virus) });
      }
      yield {
        id,
        length: Number(length),
        chunks: Number(chunks),
        call: call as RecordCall,
        maxVirus: maxVirus === 'NA' ? null : Number(maxVirus),
        nonAcgt: Number(nonAcgt),
        source: withSource ? fields[7] : null,
        frames,
      };
    }
    const extra = await results.take();
    if (extra !== null && extra !== '') throw fileError(results, 'a frame of no record in the summary');
  } finally {
    await summary.close();
    await results.close();
  }
}

const asText = (bytes: string) => Buffer.from(bytes, 'latin1').toString('utf8');

/**
 * The per-record calls of a finished predict run in `outDir`, streamed from its files in input order
 * (memory stays small for any number of records).
 */
export async function* readRecordCalls(outDir: string): AsyncGenerator<RecordCallRow> {
  const run = await readRunRecord(outDir);
  const inputs = (run.options as { inputs?: string[] } | undefined)?.inputs ?? [];
  const onlySource = inputs.length === 1 ? path.basename(inputs[0]) : '';
  for await (const record of readSavedRecords(outDir)) {
    const scored = record.frames.length > 0;
    yield {
      id: asText(record.id),
      source: record.source === null ? onlySource : asText(record.source),
      length: record.length,
      call: record.call,
      virusScore: record.maxVirus,
      othersScore: scored ? record.frames.reduce((best, frame) => Math.max(best, frame.others), 0) : null,
      frames: record.frames.length,
      nonAcgt: record.nonAcgt,
    };
  }
}
