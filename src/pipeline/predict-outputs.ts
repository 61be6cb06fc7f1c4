import { createReadStream } from 'node:fs';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { AtomicFileWriter, writeFileAtomic } from '../io/atomic-write';
import { readEmbeddings } from '../io/embeddings-file';
import { readFrameTable } from '../embed/frame-table';
import { TextSink } from '../io/text-sink';
import { chunkSpans } from './chunk';
import { HighestScoreWriter } from './highest-score';
import { plotChunks, PREDICTION_PLOT, RunOverview, type PlotSelection } from './plot';
import {
  ChunkScores,
  modifiedId,
  PREDICTION_HEADER,
  PREDICTION_RESULTS,
  PREDICTION_SUMMARY,
  predictionLine,
  summarizeRecord,
  summaryHeader,
  summaryLine,
  type FrameScore,
  type RecordCall,
} from './prediction-files';
import { RECORDS_FILE, type Shard } from './prepare';

// The last stage of predict: the classifier's per-shard scores become VirNucPro's two files, the
// per-record summary and the plot. Each is written under a temporary name and renamed into place whole.
// Memory stays flat in the number of reads: the frames are read shard by shard in input order and
// joined to records.tsv (also in input order) one record at a time, so only one shard's scores and
// one record's chunks are held; the highest-score table, sorted by chunk id, goes through an external
// sort whose runs are spilled to the work folder (highest-score.ts).

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

/** One shard's frames in input order: their ids, and their scores unless the shard failed. */
interface ShardFrames {
  ids: string[];
  scores: { data: Float32Array; dim: number } | null;
}

/** Every frame of the run in input order, read one shard at a time. */
async function* shardFrames(workDir: string, shards: ScoredShard[]): AsyncGenerator<ShardFrames> {
  for (const { shard, scores: file } of shards) {
    if (file === null) {
      const { ids } = await readFrameTable(path.join(workDir, shard.nucleotideTable));
      yield { ids, scores: null };
      continue;
    }
    const { ids, data, dim } = await readEmbeddings(file);
    yield { ids, scores: { data, dim } };
  }
}

/** The frames with a look at the next one's id, so each record takes exactly its own. */
class FrameCursor {
  private shard: ShardFrames = { ids: [], scores: null };
  private at = 0;
  private readonly shards: AsyncGenerator<ShardFrames>;

  constructor(workDir: string, shards: ScoredShard[]) {
    this.shards = shardFrames(workDir, shards);
  }

  /** The next frame's id; null after the last. */
  async peek(): Promise<string | null> {
    while (this.at === this.shard.ids.length) {
      const next = await this.shards.next();
      if (next.done) return null;
      this.shard = next.value;
      this.at = 0;
    }
    return this.shard.ids[this.at];
  }

  /** Takes the frame peek() named: its scores, or null when its shard failed. */
  take(): FrameScore | null {
    const row = this.at++;
    const { ids, scores } = this.shard;
    if (!scores) return null;
    const { data, dim } = scores;
    return { id: ids[row], others: data[row * dim], virus: data[row * dim + 1] };
  }
}

/** The chunks of one record with their frames' scores, and whether any frame of it went unscored. */
async function takeRecordFrames(
  frames: FrameCursor,
  chunkIds: string[],
  results: TextSink,
): Promise<{ scores: ChunkScores; unscored: boolean }> {
  const scores = new ChunkScores();
  let unscored = false;
  if (chunkIds.length === 0) return { scores, unscored };
  const own = new Set(chunkIds);
  for (let id = await frames.peek(); id !== null && own.has(modifiedId(id)); id = await frames.peek()) {
    const score = frames.take();
    if (score === null) {
      unscored = true;
      continue;
    }
    scores.add(score);
    await results.add(predictionLine(score));
  }
  return { scores, unscored };
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
  const { chunkSize, minScore, sources } = options;
  const withSource = sources.length > 1;
  const calls: Record<RecordCall, number> = { virus: 0, others: 0, no_frame: 0, empty: 0, not_scored: 0 };
  const overview = new RunOverview(options.plot, chunkSize);
  const highest = new HighestScoreWriter(path.join(workDir, 'highest-score-runs'), minScore);
  const results = new TextSink(await AtomicFileWriter.open(path.join(outDir, PREDICTION_RESULTS)));
  let summary: TextSink | null = null;
  try {
    summary = new TextSink(await AtomicFileWriter.open(path.join(outDir, PREDICTION_SUMMARY)));
    await results.add(PREDICTION_HEADER);
    await summary.add(summaryHeader(withSource));
    const frames = new FrameCursor(workDir, shards);
    for await (const [id, lengthText, nonAcgt, input] of tsvRows(path.join(workDir, RECORDS_FILE))) {
      const length = Number(lengthText);
      const chunkIds = chunkSpans(length, chunkSize).map((_, k) => `${id}_chunk_${k + 1}`);
      const { scores, unscored } = await takeRecordFrames(frames, chunkIds, results);
      const record = summarizeRecord(id, length, chunkIds, scores, Number(nonAcgt), minScore);
      if (unscored) record.call = 'not_scored';
      calls[record.call]++;
      await summary.add(summaryLine(record, withSource ? sources[Number(input)] : null));
      await highest.add(scores);
      overview.add(record, () => plotChunks(id, length, chunkSize, scores, minScore));
    }
    const left = await frames.peek();
    if (left !== null)
      throw new Error(`internal: frame "${left}" belongs to no record of ${RECORDS_FILE} in order`);
    await results.flush();
    await results.writer.commit();
    await highest.write(outDir);
    await summary.flush();
    await summary.writer.commit();
  } catch (error) {
    await results.writer.abort();
    await summary?.writer.abort();
    throw error;
  }
  await writeFileAtomic(path.join(outDir, PREDICTION_PLOT), await overview.svg());
  return { calls };
}
