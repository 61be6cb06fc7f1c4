import path from 'node:path';
import { withAtomicFile } from '../io/atomic-write';
import { idBytes, readFasta, type SeenIds } from '../io/fasta';
import { LineReader } from '../io/line-reader';
import { PredictError } from './predict-errors';
import { PREDICTION_SUMMARY, wrappedFastaEntry } from './prediction-files';

// viral_hits.fa: the input records the summary calls virus, with their header and original sequence,
// in input order: the usual next step after a run. The inputs are read again beside the summary, whose
// rows follow them one for one (with the same duplicate renaming), so memory stays small.

export const VIRAL_HITS = 'viral_hits.fa';

export interface ViralHitsOptions {
  inputs: string[];
  renameDuplicates: boolean;
}

async function* inputRecords(options: ViralHitsOptions) {
  const seen: SeenIds = new Map();
  const duplicateIds = options.renameDuplicates ? 'rename' : 'error';
  // without `rna`: a U stays a U, as in the input
  for (const input of options.inputs) yield* readFasta(input, { duplicateIds, seen });
}

/** Writes OUTDIR/viral_hits.fa from the run's summary and inputs; returns the number of hits. */
export async function writeViralHits(outDir: string, options: ViralHitsOptions): Promise<number> {
  const summary = new LineReader(path.join(outDir, PREDICTION_SUMMARY), 'latin1');
  try {
    const header = (await summary.take())?.split('\t') ?? [];
    const callColumn = header.indexOf('Call');
    return await withAtomicFile(path.join(outDir, VIRAL_HITS), async (hits) => {
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
        const name = record.description === '' ? record.id : `${record.id} ${record.description}`;
        await hits.write(idBytes(wrappedFastaEntry(name, record.sequence)));
        count++;
      }
      const extra = await summary.take();
      if (extra !== null && extra !== '') {
        throw new PredictError(
          `${summary.file}:${summary.line}: a record the inputs no longer hold`,
          'E_CHANGED',
        );
      }
      return count;
    });
  } finally {
    await summary.close();
  }
}
