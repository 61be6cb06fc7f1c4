import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { AtomicFileWriter, writeFileAtomic } from '../io/atomic-write';
import { readEmbeddings } from '../io/embeddings-file';
import { idBytes, readFasta } from '../io/fasta';
import { chunkSpans } from './chunk';
import { plotChunks, PREDICTION_PLOT, RunOverview, type PlotSelection } from './plot';
import {
  ChunkScores,
  HIGHEST_SCORE,
  highestScoreTable,
  modifiedId,
  PREDICTION_HEADER,
  PREDICTION_RESULTS,
  PREDICTION_SUMMARY,
  predictionLine,
  summarizeRecord,
  summaryHeader,
  summaryLine,
  type RecordCall,
} from './prediction-files';
import { RECORDS_FILE, type Shard } from './prepare';

// The last stage of predict: the classifier's per-shard scores become VirNucPro's two files, the
// per-record summary and the plot. Each is written under a temporary name and renamed into place whole.

export interface ScoredShard {
  shard: Shard;
  /** the classify job's output, or null when the shard failed */
  scores: string | null;
}

export interface WrittenOutputs {
  calls: Record<RecordCall, number>;
}

async function* tsvRows(file: string): AsyncGenerator<string[]> {
  const lines = createInterface({ input: createReadStream(file, 'latin1'), crlfDelay: Infinity });
  for await (const line of lines) if (line !== '') yield line.split('\t');
}

/** prediction_results.txt, shard by shard in input order; returns the per-chunk maxima. */
async function writePredictionResults(
  outDir: string,
  workDir: string,
  shards: ScoredShard[],
): Promise<{ scores: ChunkScores; unscoredChunks: Set<string> }> {
  const scores = new ChunkScores();
  const unscoredChunks = new Set<string>();
  const results = await AtomicFileWriter.open(path.join(outDir, PREDICTION_RESULTS));
  try {
    await results.write(PREDICTION_HEADER);
    for (const { shard, scores: file } of shards) {
      if (file === null) {
        for await (const record of readFasta(path.join(workDir, shard.nucleotide), {
          duplicateIds: 'allow',
        })) {
          unscoredChunks.add(modifiedId(record.id));
        }
        continue;
      }
      const { ids, data, dim } = await readEmbeddings(file);
      let text = '';
      ids.forEach((id, row) => {
        const score = { id, others: data[row * dim], virus: data[row * dim + 1] };
        scores.add(score);
        text += predictionLine(score);
      });
      await results.write(idBytes(text));
    }
    await results.commit();
  } catch (error) {
    await results.abort();
    throw error;
  }
  return { scores, unscoredChunks };
}

/** One summary row per input record (from records.tsv), each also given to the run overview. */
async function writeSummary(
  outDir: string,
  workDir: string,
  options: SummaryOptions,
  scores: ChunkScores,
  unscoredChunks: Set<string>,
  overview: RunOverview,
): Promise<{ calls: Record<RecordCall, number> }> {
  const { chunkSize, minScore, sources } = options;
  const calls: Record<RecordCall, number> = { virus: 0, others: 0, no_frame: 0, empty: 0, not_scored: 0 };
  const summary = await AtomicFileWriter.open(path.join(outDir, PREDICTION_SUMMARY));
  try {
    await summary.write(summaryHeader(sources.length > 1));
    for await (const [id, lengthText, nonAcgt, input] of tsvRows(path.join(workDir, RECORDS_FILE))) {
      const length = Number(lengthText);
      const spans = chunkSpans(length, chunkSize);
      const chunkIds = spans.map((_, k) => `${id}_chunk_${k + 1}`);
      const record = summarizeRecord(id, length, chunkIds, scores, Number(nonAcgt), minScore);
      if (chunkIds.some((chunkId) => unscoredChunks.has(chunkId))) record.call = 'not_scored';
      calls[record.call]++;
      await summary.write(idBytes(summaryLine(record, sources.length > 1 ? sources[Number(input)] : null)));
      overview.add(record, () => plotChunks(id, length, chunkSize, scores, minScore));
    }
    await summary.commit();
  } catch (error) {
    await summary.abort();
    throw error;
  }
  return { calls };
}

export interface SummaryOptions {
  chunkSize: number;
  /** --min-score (0: VirNucPro's rule alone) */
  minScore: number;
  plot: PlotSelection;
  /** the inputs' file names, as the summary's Source column writes them (only when there are several) */
  sources: string[];
}

export async function writePredictionOutputs(
  outDir: string,
  workDir: string,
  options: SummaryOptions,
  shards: ScoredShard[],
): Promise<WrittenOutputs> {
  const { scores, unscoredChunks } = await writePredictionResults(outDir, workDir, shards);
  await writeFileAtomic(
    path.join(outDir, HIGHEST_SCORE),
    idBytes(highestScoreTable(scores, options.minScore)),
  );
  const overview = new RunOverview(options.plot, options.chunkSize);
  const { calls } = await writeSummary(outDir, workDir, options, scores, unscoredChunks, overview);
  await writeFileAtomic(path.join(outDir, PREDICTION_PLOT), await overview.svg());
  return { calls };
}

export const FINAL_FILES = [PREDICTION_RESULTS, HIGHEST_SCORE, PREDICTION_SUMMARY, PREDICTION_PLOT];
