import path from 'node:path';
import { AtomicFileWriter } from '../io/atomic-write';
import { idBytes, type SeenIds } from '../io/fasta';
import { fastqText } from '../io/fastq';
import { isFastq, readSequences, sequenceFormat, type SequenceFormat } from '../io/sequence-file';
import { LineReader } from '../io/line-reader';
import { PredictError } from './predict-errors';
import { PREDICTION_SUMMARY, wrappedFastaEntry } from './prediction-files';

// viral_hits.fa / viral_hits.fq: the input records the summary calls virus, in input order, each in its
// input's form: FASTA records with their header and original sequence, FASTQ records as read (the four
// lines, qualities kept); mixed inputs write both files. The usual next step after a run. The inputs
// are read again beside the summary, whose rows follow them one for one (with the same duplicate
// renaming), so memory stays small.

export const VIRAL_HITS = 'viral_hits.fa';
export const VIRAL_HITS_FASTQ = 'viral_hits.fq';

const HITS_FILE: Record<SequenceFormat, string> = { fasta: VIRAL_HITS, fastq: VIRAL_HITS_FASTQ };

export interface ViralHitsOptions {
  inputs: string[];
  renameDuplicates: boolean;
}

export interface ViralHits {
  /** records called virus */
  count: number;
  /** the hits files written (names in the folder): one per input format */
  files: string[];
}

async function* inputRecords(options: ViralHitsOptions) {
  const seen: SeenIds = new Map();
  const duplicateIds = options.renameDuplicates ? 'rename' : 'error';
  // without `rna`: a U stays a U, as in the input
  for (const input of options.inputs) yield* readSequences(input, { duplicateIds, seen });
}

/** Writes OUTDIR/viral_hits.fa and/or viral_hits.fq from the run's summary and inputs. */
export async function writeViralHits(outDir: string, options: ViralHitsOptions): Promise<ViralHits> {
  const formats = new Set(await Promise.all(options.inputs.map((input) => sequenceFormat(input))));
  const files = [...formats].sort().map((format) => HITS_FILE[format]);
  const writers = new Map<string, AtomicFileWriter>();
  const summary = new LineReader(path.join(outDir, PREDICTION_SUMMARY), 'latin1');
  try {
    for (const file of files) writers.set(file, await AtomicFileWriter.open(path.join(outDir, file)));
    const header = (await summary.take())?.split('\t') ?? [];
    const callColumn = header.indexOf('Call');
    let count = 0;
    for await (const record of inputRecords(options)) {
      const row = (await summary.take())?.split('\t');
      if (row?.[0] !== record.id) {
        throw new PredictError(
          `${summary.file}:${summary.line}: expected the record "${record.id}" of the inputs here; the inputs changed since the run`,
          'E_CHANGED',
        );
      }
      if (row[callColumn] !== 'virus') continue;
      if (isFastq(record)) {
        await writers.get(VIRAL_HITS_FASTQ)?.write(idBytes(fastqText(record)));
      } else {
        const name = record.description === '' ? record.id : `${record.id} ${record.description}`;
        await writers.get(VIRAL_HITS)?.write(idBytes(wrappedFastaEntry(name, record.sequence)));
      }
      count++;
    }
    const extra = await summary.take();
    if (extra !== null && extra !== '') {
      throw new PredictError(
        `${summary.file}:${summary.line}: a record the inputs no longer hold`,
        'E_CHANGED',
      );
    }
    for (const writer of writers.values()) await writer.commit();
    return { count, files };
  } catch (error) {
    await Promise.all([...writers.values()].map((writer) => writer.abort()));
    throw error;
  } finally {
    await summary.close();
  }
}
