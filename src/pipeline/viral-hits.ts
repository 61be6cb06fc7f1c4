import path from 'node:path';
import { AtomicFileWriter } from '../io/atomic-write';
import { idBytes } from '../io/fasta';
import { fastqText } from '../io/fastq';
import { IdSet } from '../io/id-set';
import { LineReader } from '../io/line-reader';
import {
  isFastq,
  readSequences,
  sequenceFormat,
  type SequenceFormat,
  type SequenceRecord,
} from '../io/sequence-file';
import { PredictError } from './predict-errors';
import { PREDICTION_SUMMARY, wrappedFastaEntry } from './prediction-files';

// viral_hits.fa / viral_hits.fq: the input records the summary calls virus, in input order, each in its
// input's form: FASTA records with their header and original sequence, FASTQ records as read (the four
// lines, qualities kept); mixed inputs write both files. The usual next step after a run. The inputs
// are read once more beside the summary, whose rows follow them one for one (with the same duplicate
// renaming), so memory stays small. predict walks its summary file; rescore feeds the rows it writes,
// in the same pass.

export const VIRAL_HITS = 'viral_hits.fa';
export const VIRAL_HITS_FASTQ = 'viral_hits.fq';

/** The hits file of inputs in `format`. */
export function viralHitsFile(format: SequenceFormat): string {
  return format === 'fastq' ? VIRAL_HITS_FASTQ : VIRAL_HITS;
}

export interface ViralHitsOptions {
  inputs: string[];
  renameDuplicates: boolean;
  /** sees the bytes of input `index` as read: to hash the inputs in the same pass */
  onFileBytes?: (index: number, bytes: Buffer) => void;
}

export interface ViralHits {
  /** records called virus */
  count: number;
  /** the hits files written (names in the folder): one per input format */
  files: string[];
}

async function* inputRecords(
  options: ViralHitsOptions,
  formats: SequenceFormat[],
): AsyncGenerator<SequenceRecord> {
  // compact: a Map of every id held some 200 bytes per read until the last record
  const seen = new IdSet();
  const duplicateIds = options.renameDuplicates ? 'rename' : 'error';
  // without `rna`: a U stays a U, as in the input
  for (const [index, input] of options.inputs.entries()) {
    const onFileBytes = options.onFileBytes && ((bytes: Buffer) => options.onFileBytes?.(index, bytes));
    yield* readSequences(input, { duplicateIds, seen, onFileBytes }, formats[index]);
  }
}

/** The inputs' records, each matched to the summary row of the same record and copied when it is virus. */
export class ViralHitsWriter {
  private count = 0;

  private constructor(
    private readonly records: AsyncGenerator<SequenceRecord>,
    private readonly writers: Map<string, AtomicFileWriter>,
  ) {}

  static async open(outDir: string, options: ViralHitsOptions): Promise<ViralHitsWriter> {
    const formats: SequenceFormat[] = [];
    for (const input of options.inputs) formats.push(await sequenceFormat(input));
    const writers = new Map<string, AtomicFileWriter>();
    try {
      for (const format of [...new Set(formats)].sort()) {
        const file = viralHitsFile(format);
        writers.set(file, await AtomicFileWriter.open(path.join(outDir, file)));
      }
    } catch (error) {
      await Promise.all([...writers.values()].map((writer) => writer.abort()));
      throw error;
    }
    return new ViralHitsWriter(inputRecords(options, formats), writers);
  }

  /** The next summary row (`at` names it in an error): it must be the next input record's. */
  async add(id: string, call: string, at: string): Promise<void> {
    const next = await this.records.next();
    if (next.done) throw new PredictError(`${at}: a record the inputs no longer hold`, 'E_CHANGED');
    const record = next.value;
    if (record.id !== id) {
      throw new PredictError(
        `${at}: expected the record "${record.id}" of the inputs here; the inputs changed since the run`,
        'E_CHANGED',
      );
    }
    if (call !== 'virus') return;
    if (isFastq(record)) {
      await this.writers.get(VIRAL_HITS_FASTQ)?.write(idBytes(fastqText(record)));
    } else {
      const name = record.description === '' ? record.id : `${record.id} ${record.description}`;
      await this.writers.get(VIRAL_HITS)?.write(idBytes(wrappedFastaEntry(name, record.sequence)));
    }
    this.count++;
  }

  /** After the last row (`at`): the inputs must hold no further record. */
  async finish(at: string): Promise<ViralHits> {
    const next = await this.records.next();
    if (!next.done) {
      await this.records.return(undefined);
      throw new PredictError(
        `${at}: expected the record "${next.value.id}" of the inputs here; the inputs changed since the run`,
        'E_CHANGED',
      );
    }
    return { count: this.count, files: [...this.writers.keys()] };
  }

  /** Puts the finished files in place. */
  async commit(): Promise<void> {
    for (const writer of this.writers.values()) await writer.commit();
  }

  /** Stops reading the inputs and removes the unfinished files. */
  async abort(): Promise<void> {
    await this.records.return(undefined);
    await Promise.all([...this.writers.values()].map((writer) => writer.abort()));
  }
}

/** Writes OUTDIR/viral_hits.fa and/or viral_hits.fq from the run's summary and inputs. */
export async function writeViralHits(outDir: string, options: ViralHitsOptions): Promise<ViralHits> {
  const summary = new LineReader(path.join(outDir, PREDICTION_SUMMARY), 'latin1');
  let hits: ViralHitsWriter | null = null;
  try {
    hits = await ViralHitsWriter.open(outDir, options);
    const header = (await summary.take())?.split('\t') ?? [];
    const callColumn = header.indexOf('Call');
    for (let line = await summary.take(); line !== null && line !== ''; line = await summary.take()) {
      const row = line.split('\t');
      await hits.add(row[0], row[callColumn], `${summary.file}:${summary.line}`);
    }
    const written = await hits.finish(`${summary.file}:${summary.line + 1}`);
    await hits.commit();
    return written;
  } catch (error) {
    await hits?.abort();
    throw error;
  } finally {
    await summary.close();
  }
}
