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
import type { PrepareResult } from './prepare';
import type { RunFolder, RunRecord } from './run-folder';

/** A shard whose embedding or classification failed after retries. */
export interface ShardFailure {
  shard: string;
  code: string;
  message: string;
}

/** Sequences embedded by this run per model: `embedded` of `sequences` went through the model, the
 * rest reused the vector of an identical sequence. */
export type EmbeddingCounts = Record<'dnabert-s' | 'esm2', { sequences: number; embedded: number }>;

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
  const embeddedCounts: EmbeddingCounts = {
    'dnabert-s': { sequences: 0, embedded: 0 },
    esm2: { sequences: 0, embedded: 0 },
  };
  if (prepared.shards.length === 0) return { scored: [], failed: [], embedded: embeddedCounts, stats: null };
  const { workDir } = folder;
  const stageOf = (model: string): PredictStage => (model === models.esm2.dir ? 'esm2' : 'dnabert-s');
  const embedOutput = (model: 'dnabert-s' | 'esm2', shard: string) =>
    path.join(workDir, model, `${shard}.safetensors`);
  const run = fingerprintOf({ run: JSON.stringify(runPrint) });
  const shardFingerprint = (parts: Record<string, string>) => fingerprintOf({ ...parts, run });
  const embedJobs: Job[] = prepared.shards.flatMap((shard) => [
    {
      id: `dnabert-s/${shard.name}`,
      kind: 'embed' as const,
      input: path.join(workDir, shard.nucleotide),
      output: embedOutput('dnabert-s', shard.name),
      model: models.dnabert.dir,
      fingerprint: shardFingerprint({ shard: shard.name, model: 'dnabert-s' }),
    },
    {
      id: `esm2/${shard.name}`,
      kind: 'embed' as const,
      input: path.join(workDir, shard.protein),
      output: embedOutput('esm2', shard.name),
      model: models.esm2.dir,
      fingerprint: shardFingerprint({ shard: shard.name, model: 'esm2' }),
    },
  ]);
  // A full or read-only disk fails every later write too: stop this run's jobs, keep what is finished.
  // The pool itself stays up (a predictor's next run uses it).
  const stopped: { unwritable: Error | null } = { unwritable: null };
  const stopRun = new AbortController();
  const failIfUnwritable = () => {
    if (stopped.unwritable) throw stopped.unwritable;
  };
  const framesOf = new Map(prepared.shards.map((shard) => [shard.name, shard.frames]));
  const onProgress = (event: PoolEvent) => {
    if (event.type === 'job-failed' && stopsAllWrites(event.code) && !stopped.unwritable) {
      stopped.unwritable = Object.assign(new Error(event.message), {
        code: event.code === 'E_READ_ONLY' ? 'EROFS' : 'ENOSPC',
      });
      stopRun.abort();
      return;
    }
    if (event.type === 'job-skipped') {
      const [model, shard] = event.job.id.split('/');
      const stage = model === 'classify' ? 'classify' : stageOf(event.job.model);
      emit({ type: 'advance', stage, amount: framesOf.get(shard) ?? 0, skipped: true });
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
    emit({ type: 'stage', stage: 'dnabert-s', total: prepared.frames, unit: 'frames' });
    emit({ type: 'stage', stage: 'esm2', total: prepared.frames, unit: 'frames' });
    const embedded = await pool.run(embedJobs, runOptions);
    failIfUnwritable();
    interruptedCheck(embedded, signal);
    emit({ type: 'stage-done', stage: 'dnabert-s' });
    emit({ type: 'stage-done', stage: 'esm2' });
    const failedShards = new Map<string, JobResult>();
    embedded.forEach((result) => {
      const [model, shard] = result.id.split('/') as ['dnabert-s' | 'esm2', string];
      if (result.status === 'failed') failedShards.set(shard, result);
      embeddedCounts[model].sequences += result.stats.sequences;
      embeddedCounts[model].embedded += result.stats.embedded;
    });
    const featureOrder = models.classifier.features.map((feature) => feature.model);
    const classifyJobs: Job[] = prepared.shards
      .filter((shard) => !failedShards.has(shard.name))
      .map((shard) => ({
        id: `classify/${shard.name}`,
        kind: 'classify' as const,
        input: featureOrder.map((model) => embedOutput(model, shard.name)),
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
