import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { z } from 'zod';
import type { Job, JobResult } from '../embed';
import { readEmbeddings } from '../io/embeddings-file';
import { invalidNucleotide } from '../io/fasta';
import { rnaAsDna } from '../io/sequence-bytes';
import { frameTableLine } from '../embed/frame-table';
import { chunkRecord } from './chunk';
import { formatFloat32 } from './float32-format';
import type { PredictEngine } from './predict-engine';
import { PredictError, PredictInterrupted } from './predict-errors';
import { ChunkScores, fastaEntry, summarizeRecord } from './prediction-files';
import type { RecordCallRow } from './record-calls';
import { countNonAcgt, identifyFrames } from './translate';

// A predictor's classify(): records in, per-record calls out, in input order, in memory. Records are
// chunked and their frames identified as predict does, gathered into groups of frames, and each group
// goes through the predictor's workers (both embeddings of its distinct frames, then the classifier) as soon as it is full or
// `flushMs` after its first record. The workers read files, so a group's frames and scores live in a
// private scratch folder under the system's temporary folder, removed with the group. Memory stays
// bounded for an endless stream: reading stops while `maxPendingFrames` frames are read but not yet
// handed to the caller.

/** One sequence to classify. */
export interface SequenceRecord {
  id: string;
  /** nucleotides (IUPAC codes; U only with `rna`) */
  sequence: string;
}

export interface ClassifyOptions {
  /** as predict's `minScore` (default 0: VirNucPro's rule alone) */
  minScore?: number;
  /** read U as T; without it, a record holding U is refused */
  rna?: boolean;
  /**
   * frames read ahead of the caller at most (default 2048); the workers get groups of half as many,
   * so about two groups are in flight
   */
  maxPendingFrames?: number;
  /** milliseconds after which a group that is not full goes to the workers anyway (default 100) */
  flushMs?: number;
  /** aborting ends the iteration with PredictInterrupted */
  signal?: AbortSignal;
}

/** One record's call: the fields of `readRecordCalls`, `source` null (no input file). */
export type ClassifiedRecord = Omit<RecordCallRow, 'source'> & { source: null };

const optionsSchema = z.strictObject({
  minScore: z.number().min(0).max(1).default(0),
  rna: z.boolean().default(false),
  maxPendingFrames: z.number().int().min(2).default(2048),
  flushMs: z.number().nonnegative().default(100),
  signal: z.instanceof(AbortSignal).optional(),
});

/** A record chunked, under the name its frames carry in the scratch files. */
interface PendingRecord {
  id: string;
  length: number;
  nonAcgt: number;
  chunkIds: string[];
  frames: number;
}

/** One model's input for a group: each distinct frame sequence once, and the frame table over them. */
class DistinctFrames {
  readonly entries: string[] = [];
  readonly table: string[] = [];
  private readonly rowOf = new Map<string, number>();

  add(id: string, sequence: string): void {
    let row = this.rowOf.get(sequence);
    if (row === undefined) {
      row = this.entries.length;
      this.rowOf.set(sequence, row);
      this.entries.push(fastaEntry(id, sequence));
    }
    this.table.push(frameTableLine(id, 0, row));
  }
}

interface Group {
  records: PendingRecord[];
  nucleotide: DistinctFrames;
  protein: DistinctFrames;
  frames: number;
  /** what the group counts against `maxPendingFrames`: its frames, and at least one per record */
  weight: number;
  rows?: Promise<ClassifiedRecord[]>;
}

const newGroup = (): Group => ({
  records: [],
  nucleotide: new DistinctFrames(),
  protein: new DistinctFrames(),
  frames: 0,
  weight: 0,
});

function addRecord(group: Group, record: SequenceRecord, index: number, chunkSize: number, rna: boolean) {
  if (typeof record?.id !== 'string' || typeof record.sequence !== 'string')
    throw new PredictError(`record ${index + 1}: expected { id: string, sequence: string }`, 'E_INPUT');
  const sequence = rna ? rnaAsDna(record.sequence) : record.sequence;
  const invalid = invalidNucleotide(sequence);
  const rnaBase = !rna && /[Uu]/.test(sequence);
  if (invalid || rnaBase) {
    const why = invalid
      ? `invalid character '${invalid.char}' at column ${invalid.column}`
      : 'U in the sequence (RNA: set rna)';
    throw new PredictError(`record ${index + 1} ("${record.id}"): ${why}`, 'E_INPUT');
  }
  // frames are named by the record's place in the stream: ids may repeat or hold any character
  const chunks = chunkRecord(`r${index}`, sequence, chunkSize);
  const pending: PendingRecord = {
    id: record.id,
    length: sequence.length,
    nonAcgt: countNonAcgt(sequence),
    chunkIds: chunks.map((chunk) => chunk.id),
    frames: 0,
  };
  for (const chunk of chunks) {
    for (const frame of identifyFrames(chunk.id, chunk.sequence)) {
      group.nucleotide.add(frame.id, frame.nucleotide);
      group.protein.add(frame.id, frame.protein);
      pending.frames++;
    }
  }
  group.records.push(pending);
  group.frames += pending.frames;
  group.weight += Math.max(1, pending.frames);
}

function checkJobs(results: JobResult[]): void {
  if (results.some((result) => result.status === 'interrupted')) throw new PredictInterrupted();
  const failed = results.find((result) => result.status === 'failed');
  if (failed) throw new PredictError(`classify: ${failed.message} (${failed.code})`, 'E_FAILED');
}

const asScore = (value: number) => Number(formatFloat32(value));

/** Embeds and scores one group's frames in `dir` (removed after) and makes its records' calls. */
async function classifyGroup(
  engine: PredictEngine,
  dir: string,
  group: Group,
  minScore: number,
  signal: AbortSignal,
): Promise<ClassifiedRecord[]> {
  const { models, pool } = engine;
  let ids: string[] = [];
  let data: Float32Array = new Float32Array(0);
  let dim = 2;
  await mkdir(dir);
  try {
    if (group.frames > 0) {
      const frames = { 'dnabert-s': group.nucleotide, esm2: group.protein };
      const file = (model: string, extension: string) => path.join(dir, `${model}.${extension}`);
      for (const [model, distinct] of Object.entries(frames)) {
        await writeFile(file(model, 'fa'), Buffer.from(distinct.entries.join(''), 'latin1'));
        await writeFile(file(model, 'tsv'), Buffer.from(distinct.table.join(''), 'latin1'));
      }
      const modelDir = { 'dnabert-s': models.dnabert.dir, esm2: models.esm2.dir };
      const embed = (model: 'dnabert-s' | 'esm2'): Job => ({
        id: model,
        kind: 'embed',
        input: file(model, 'fa'),
        output: file(model, 'safetensors'),
        model: modelDir[model],
        fingerprint: 'classify',
      });
      checkJobs(await pool.run([embed('dnabert-s'), embed('esm2')], { signal }));
      const features = models.classifier.features.map((feature) => feature.model);
      const classify: Job = {
        id: 'classify',
        kind: 'classify',
        input: features.map((model) => file(model, 'tsv')),
        sources: features.map((model) => [file(model, 'safetensors')]),
        output: file('scores', 'safetensors'),
        model: models.classifier.dir,
        fingerprint: 'classify',
      };
      checkJobs(await pool.run([classify], { signal }));
      ({ ids, data, dim } = await readEmbeddings(file('scores', 'safetensors')));
    }
  } finally {
    await rm(dir, { recursive: true, force: true });
  }
  let row = 0;
  return group.records.map((record) => {
    const scores = new ChunkScores();
    let othersScore: number | null = null;
    for (let k = 0; k < record.frames; k++, row++) {
      const others = data[row * dim];
      scores.add({ id: ids[row], others, virus: data[row * dim + 1] });
      othersScore = Math.max(othersScore ?? 0, Math.fround(others));
    }
    const summary = summarizeRecord('', record.length, record.chunkIds, scores, record.nonAcgt, minScore);
    return {
      id: record.id,
      source: null,
      length: record.length,
      call: summary.call,
      virusScore: summary.maxVirus === null ? null : asScore(summary.maxVirus),
      othersScore: othersScore === null ? null : asScore(othersScore),
      frames: summary.framesScored,
      nonAcgt: record.nonAcgt,
    };
  });
}

/**
 * The calls of `records` in their order. A record that cannot be read (not nucleotides) ends the
 * iteration with a PredictError once the records before it were given; `closed` ends it with
 * PredictInterrupted (the predictor is closing).
 */
export async function* classifyRecords(
  engine: PredictEngine,
  records: Iterable<SequenceRecord> | AsyncIterable<SequenceRecord>,
  input: ClassifyOptions,
  closed: AbortSignal,
): AsyncGenerator<ClassifiedRecord> {
  const parsed = optionsSchema.safeParse(input);
  if (!parsed.success)
    throw new PredictError(`invalid classify options: ${z.prettifyError(parsed.error)}`, 'E_USAGE');
  const { minScore, rna, maxPendingFrames, flushMs } = parsed.data;
  const chunkSize = engine.models.classifier.chunk_size;
  const groupWeight = Math.floor(maxPendingFrames / 2);
  const ended = new AbortController();
  const signal = AbortSignal.any([closed, ended.signal, ...(input.signal ? [input.signal] : [])]);
  const scratch = await mkdtemp(path.join(os.tmpdir(), 'virnucpro-classify-'));
  const sealed: Group[] = [];
  let current = newGroup();
  let groups = 0;
  let pending = 0;
  let timer: NodeJS.Timeout | null = null;
  let readerDone = false;
  const reading: { error: Error | null } = { error: null };
  // who waits: the caller for a group, the reader for room
  const wake: Record<'consumer' | 'reader', (() => void) | null> = { consumer: null, reader: null };
  const seal = () => {
    if (timer) clearTimeout(timer);
    timer = null;
    if (current.records.length === 0) return;
    const group = current;
    current = newGroup();
    group.rows = classifyGroup(engine, path.join(scratch, String(groups++)), group, minScore, signal);
    group.rows.catch(() => undefined); // awaited in order below
    sealed.push(group);
    wake.consumer?.();
  };
  const reader = async () => {
    try {
      let index = 0;
      for await (const record of records) {
        if (signal.aborted) break;
        const before = current.weight;
        addRecord(current, record, index++, chunkSize, rna);
        pending += current.weight - before;
        if (current.weight >= groupWeight) seal();
        else timer ??= setTimeout(seal, flushMs);
        while (pending >= maxPendingFrames && !signal.aborted) {
          await new Promise<void>((resume) => (wake.reader = resume));
        }
      }
    } catch (error) {
      reading.error = error as Error;
    } finally {
      seal();
      readerDone = true;
      wake.consumer?.();
    }
  };
  void reader();
  try {
    for (;;) {
      const group = sealed.shift();
      if (!group) {
        if (readerDone) break;
        await new Promise<void>((resume) => (wake.consumer = resume));
        wake.consumer = null;
        continue;
      }
      for (const row of await (group.rows as Promise<ClassifiedRecord[]>)) yield row;
      pending -= group.weight;
      wake.reader?.();
      wake.reader = null;
    }
    if (reading.error) throw reading.error;
    if (signal.aborted) throw new PredictInterrupted();
  } finally {
    ended.abort();
    wake.reader?.();
    if (timer) clearTimeout(timer);
    await Promise.allSettled(sealed.map((group) => group.rows as Promise<ClassifiedRecord[]>));
    await rm(scratch, { recursive: true, force: true });
  }
}
