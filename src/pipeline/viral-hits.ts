import path from 'node:path';
import { AtomicFileWriter } from '../io/atomic-write';
import { idBytes, readFasta, type FastaRecord } from '../io/fasta';
import { IdSet } from '../io/id-set';
import { LineReader } from '../io/line-reader';
import { PredictError } from './predict-errors';
import { PREDICTION_SUMMARY, wrappedFastaEntry } from './prediction-files';

// viral_hits.fa: the input records the summary calls virus, with their header and original sequence,
// in input order: the usual next step after a run. The inputs are read once more beside the summary,
// whose rows follow them one for one (with the same duplicate renaming), so memory stays small.
// predict walks its summary file; rescore feeds the rows it writes, in the same pass.

export const VIRAL_HITS = 'viral_hits.fa';

export interface ViralHitsOptions {
  inputs: string[];
  renameDuplicates: boolean;
  /** sees every byte of input `index` as read: to hash the inputs in the same pass */
  onBytes?: (index: number, piece: Buffer) => void;
}

async function* inputRecords(options: ViralHitsOptions): AsyncGenerator<FastaRecord> {
  // compact: a Map of every id held some 200 bytes per read until the last record
  const seen = new IdSet();
  const duplicateIds = options.renameDuplicates ? 'rename' : 'error';
  // without `rna`: a U stays a U, as in the input
  for (const [index, input] of options.inputs.entries()) {
    const onBytes = options.onBytes && ((piece: Buffer) => options.onBytes?.(index, piece));
    yield* readFasta(input, { duplicateIds, seen, onBytes });
  }
}

/** The inputs' records, each matched to the summary row of the same record and copied when it is virus. */
export class ViralHitsWriter {
  private hits = 0;

  private constructor(
    private readonly records: AsyncGenerator<FastaRecord>,
    readonly writer: AtomicFileWriter,
  ) {}

  static async open(outDir: string, options: ViralHitsOptions): Promise<ViralHitsWriter> {
    return new ViralHitsWriter(
      inputRecords(options),
      await AtomicFileWriter.open(path.join(outDir, VIRAL_HITS)),
    );
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
    const name = record.description === '' ? record.id : `${record.id} ${record.description}`;
    await this.writer.write(idBytes(wrappedFastaEntry(name, record.sequence)));
    this.hits++;
  }

  /** After the last row (`at`): the inputs must hold no further record. Returns the number of hits. */
  async finish(at: string): Promise<number> {
    const next = await this.records.next();
    if (!next.done) {
      await this.records.return(undefined);
      throw new PredictError(
        `${at}: expected the record "${next.value.id}" of the inputs here; the inputs changed since the run`,
        'E_CHANGED',
      );
    }
    return this.hits;
  }

  /** Stops reading the inputs and removes the unfinished file. */
  async abort(): Promise<void> {
    await this.records.return(undefined);
    await this.writer.abort();
  }
}

/** Writes OUTDIR/viral_hits.fa from the run's summary and inputs; returns the number of hits. */
export async function writeViralHits(outDir: string, options: ViralHitsOptions): Promise<number> {
  const summary = new LineReader(path.join(outDir, PREDICTION_SUMMARY), 'latin1');
  const hits = await ViralHitsWriter.open(outDir, options);
  try {
    const header = (await summary.take())?.split('\t') ?? [];
    const callColumn = header.indexOf('Call');
    for (let line = await summary.take(); line !== null && line !== ''; line = await summary.take()) {
      const row = line.split('\t');
      await hits.add(row[0], row[callColumn], `${summary.file}:${summary.line}`);
    }
    const count = await hits.finish(`${summary.file}:${summary.line + 1}`);
    await hits.writer.commit();
    return count;
  } catch (error) {
    await hits.abort();
    throw error;
  } finally {
    await summary.close();
  }
}
