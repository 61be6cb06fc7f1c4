// Stages 2 and 3 of predict: the embed and classify jobs of every shard, given to one pool of
// persistent workers, and what came back (scores per shard, failures, counts).
import path from 'node:path';
import type { EmbeddingPool, Job, JobResult, PoolEvent, PoolStats } from '../embed';
import { stopsAllWrites } from '../io/file-errors';
import { fingerprintOf } from '../io/fingerprint';
import type { ScoredShard } from './predict-outputs';
import { PredictError, PredictInterrupted } from './predict-errors';
import type { ModelSet } from './predict-models';
import type { PredictEvent, PredictStage } from './predict';
import type { PrepareResult, Shard } from './prepare';
import type { RunFolder, RunRecord } from './run-folder';

/** A shard whose embedding or classification failed after retries. */
export interface ShardFailure {
  shard: string;
  code: string;
  message: string;
}

/**
 * Frames per model: `sequences` in all, `distinct` among them (each embedded once per run; every copy
 * gets its vector), `embedded`: run through the model by this invocation (fewer than `distinct` when it
 * resumed a run whose embeddings were partly written).
 */
export type EmbeddingCounts = Record<
  'dnabert-s' | 'esm2',
  { sequences: number; distinct: number; embedded: number }
>;

/** The prepared input of each embedding model. */
const MODEL_INPUT = { 'dnabert-s': 'nucleotide', esm2: 'protein' } as const;

/**
 * Stages 2 and 3: both embeddings of every shard, then the classifier on each shard whose embeddings
 * are complete, all as jobs on one pool of persistent workers (complete outputs are skipped).
 */
export async function embedAndClassify(
  pool: EmbeddingPool,
  models: ModelSet,
  folder: RunFolder,
  prepared: PrepareResult,
  runPrint: RunRecord['fingerprint'],
  emit: (event: PredictEvent) => void,
  signal: AbortSignal | undefined,
): Promise<{
  scored: ScoredShard[];
  failed: ShardFailure[];
  embedded: EmbeddingCounts;
  stats: PoolStats | null;
}> {
  const counts = (model: 'dnabert-s' | 'esm2') => ({
    sequences: prepared.frames,
    distinct: prepared.distinct[MODEL_INPUT[model]],
    embedded: 0,
  });
  const embeddedCounts: EmbeddingCounts = { 'dnabert-s': counts('dnabert-s'), esm2: counts('esm2') };
  if (prepared.shards.length === 0) return { scored: [], failed: [], embedded: embeddedCounts, stats: null };
  const { workDir } = folder;
  const stageOf = (model: string): PredictStage => (model === models.esm2.dir ? 'esm2' : 'dnabert-s');
  const embedOutput = (model: 'dnabert-s' | 'esm2', shard: string) =>
    path.join(workDir, model, `${shard}.safetensors`);
  const run = fingerprintOf({ run: JSON.stringify(runPrint) });
  const shardFingerprint = (parts: Record<string, string>) => fingerprintOf({ ...parts, run });
  const modelDir = { 'dnabert-s': models.dnabert.dir, esm2: models.esm2.dir };
  // a shard whose frames all repeat earlier ones has nothing to embed for that model
  const embedJobs: Job[] = prepared.shards.flatMap((shard) =>
    (['dnabert-s', 'esm2'] as const)
      .filter((model) => shard.rows[MODEL_INPUT[model]] > 0)
      .map((model) => ({
        id: `${model}/${shard.name}`,
        kind: 'embed' as const,
        input: path.join(workDir, shard[MODEL_INPUT[model]]),
        output: embedOutput(model, shard.name),
        model: modelDir[model],
        fingerprint: shardFingerprint({ shard: shard.name, model }),
      })),
  );
  // A full or read-only disk fails every later write too: stop this run's jobs, keep what is finished.
  // The pool itself stays up (a predictor's next run uses it).
  const stopped: { unwritable: Error | null } = { unwritable: null };
  const stopRun = new AbortController();
  const failIfUnwritable = () => {
    if (stopped.unwritable) throw stopped.unwritable;
  };
  const shardOf = new Map(prepared.shards.map((shard) => [shard.name, shard]));
  const onProgress = (event: PoolEvent) => {
    if (event.type === 'job-failed' && stopsAllWrites(event.code) && !stopped.unwritable) {
      stopped.unwritable = Object.assign(new Error(event.message), {
        code: event.code === 'E_READ_ONLY' ? 'EROFS' : 'ENOSPC',
      });
      stopRun.abort();
      return;
    }
    if (event.type === 'job-skipped') {
      const [model, name] = event.job.id.split('/');
      const shard = shardOf.get(name);
      const stage = model === 'classify' ? 'classify' : stageOf(event.job.model);
      const amount =
        model === 'classify' ? shard?.frames : shard?.rows[MODEL_INPUT[model as 'dnabert-s' | 'esm2']];
      emit({ type: 'advance', stage, amount: amount ?? 0, skipped: true });
    } else if (event.type === 'batch') {
      emit({ type: 'advance', stage: stageOf(event.model), amount: event.sequences, tokens: event.tokens });
    } else if (event.type === 'job-done' && event.job.kind === 'classify') {
      emit({ type: 'advance', stage: 'classify', amount: event.stats.sequences });
    } else if (event.type === 'job-failed') {
      emit({ type: 'warning', message: `${event.job.id} failed: ${event.message} (${event.code})` });
    } else if (event.type === 'worker-died') {
      emit({ type: 'warning', message: `worker ${event.worker} died; retrying its files` });
    }
  };
  pool.on('progress', onProgress);
  // Stopping the run settles its run() calls with the unfinished jobs 'interrupted'.
  const stopOnAbort = () => stopRun.abort();
  if (signal?.aborted) stopOnAbort();
  signal?.addEventListener('abort', stopOnAbort);
  const runOptions = { signal: stopRun.signal };
  try {
    // embedding stages count distinct frames: the others are never run through the models
    emit({ type: 'stage', stage: 'dnabert-s', total: prepared.distinct.nucleotide, unit: 'frames' });
    emit({ type: 'stage', stage: 'esm2', total: prepared.distinct.protein, unit: 'frames' });
    const embedded = await pool.run(embedJobs, runOptions);
    failIfUnwritable();
    interruptedCheck(embedded, signal);
    emit({ type: 'stage-done', stage: 'dnabert-s' });
    emit({ type: 'stage-done', stage: 'esm2' });
    const failedShards = new Map<string, JobResult>();
    embedded.forEach((result) => {
      const [model, shard] = result.id.split('/') as ['dnabert-s' | 'esm2', string];
      if (result.status === 'failed') failedShards.set(shard, result);
      embeddedCounts[model].embedded += result.stats.embedded;
    });
    const featureOrder = models.classifier.features.map((feature) => feature.model);
    // a shard's frames may take vectors from earlier shards: it is scored only when those are there too
    for (const shard of prepared.shards) {
      const failedSource = shard.sources.find((source) => source !== shard.name && failedShards.has(source));
      if (failedSource === undefined || failedShards.has(shard.name)) continue;
      const { code, stats } = failedShards.get(failedSource) as JobResult;
      const message = `its frames share vectors with ${failedSource}, whose embedding failed`;
      failedShards.set(shard.name, { id: shard.name, status: 'failed', code, message, stats });
    }
    const tableOf = (model: 'dnabert-s' | 'esm2', shard: Shard) =>
      path.join(workDir, model === 'esm2' ? shard.proteinTable : shard.nucleotideTable);
    const classifyJobs: Job[] = prepared.shards
      .filter((shard) => !failedShards.has(shard.name))
      .map((shard) => ({
        id: `classify/${shard.name}`,
        kind: 'classify' as const,
        input: featureOrder.map((model) => tableOf(model, shard)),
        sources: featureOrder.map((model) => shard.sources.map((source) => embedOutput(model, source))),
        output: path.join(workDir, 'scores', `${shard.name}.safetensors`),
        model: models.classifier.dir,
        fingerprint: shardFingerprint({ shard: shard.name, model: 'classifier' }),
      }));
    emit({ type: 'stage', stage: 'classify', total: prepared.frames, unit: 'frames' });
    const classified = await pool.run(classifyJobs, runOptions);
    failIfUnwritable();
    interruptedCheck(classified, signal);
    emit({ type: 'stage-done', stage: 'classify' });
    classified.forEach((result) => {
      if (result.status === 'failed') failedShards.set(result.id.split('/')[1], result);
    });
    if (failedShards.size === prepared.shards.length) {
      const [first] = failedShards.values();
      throw new PredictError(`every shard failed: ${first.message}`, 'E_FAILED');
    }
    const scoreOf = new Map(classified.map((result) => [result.id.split('/')[1], result.output ?? null]));
    return {
      scored: prepared.shards.map((shard) => ({ shard, scores: scoreOf.get(shard.name) ?? null })),
      failed: [...failedShards].map(([shard, result]) => ({
        shard,
        code: result.code ?? 'E_INTERNAL',
        message: result.message ?? '',
      })),
      embedded: embeddedCounts,
      stats: pool.stats(),
    };
  } catch (error) {
    throw signal?.aborted && !stopped.unwritable ? new PredictInterrupted() : error;
  } finally {
    signal?.removeEventListener('abort', stopOnAbort);
    pool.off('progress', onProgress);
  }
}

function interruptedCheck(results: JobResult[], signal: AbortSignal | undefined): void {
  if (signal?.aborted || results.some((result) => result.status === 'interrupted'))
    throw new PredictInterrupted();
}
