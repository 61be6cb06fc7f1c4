import path from 'node:path';
import { withAtomicFile } from '../io/atomic-write';
import { ExternalSorter } from '../io/external-sort';
import { TextSink } from '../io/text-sink';
import {
  chunkIsVirus,
  compareCodePoints,
  HIGHEST_SCORE,
  HIGHEST_SCORE_HEADER,
  type ChunkScores,
} from './prediction-files';

// prediction_results_highestscore.csv at any number of reads: one row per chunk, sorted by chunk id,
// through an external sort whose runs spill to a scratch folder, so memory holds one run of rows, not
// every chunk of the run. predict and rescore both write it here.

export class HighestScoreWriter {
  private readonly sorter: ExternalSorter;

  /** `scratchDir` is created when a run spills and removed by write(). */
  constructor(
    scratchDir: string,
    private readonly minScore: number,
    linesPerRun?: number,
  ) {
    // rows `<chunk id>\t<True|False>`: the tab sorts below every byte an id can hold, so whole rows
    // sort as their ids do
    this.sorter = new ExternalSorter({ dir: scratchDir, compare: compareCodePoints, linesPerRun });
  }

  /** One record's chunks (ids one character per byte, as the files hold them). */
  async add(scores: ChunkScores): Promise<void> {
    for (const [chunkId, chunk] of scores.byChunk) {
      await this.sorter.add(`${chunkId}\t${chunkIsVirus(chunk, this.minScore) ? 'True' : 'False'}`);
    }
  }

  /** Writes OUTDIR/prediction_results_highestscore.csv whole. */
  async write(outDir: string): Promise<void> {
    await withAtomicFile(path.join(outDir, HIGHEST_SCORE), async (writer) => {
      const table = new TextSink(writer);
      await table.add(HIGHEST_SCORE_HEADER);
      for await (const row of this.sorter.sorted()) await table.add(`${row}\n`);
      await table.flush();
    });
  }
}
