import path from 'node:path';
import { z } from 'zod';
import {
  classifyRecords,
  type ClassifiedRecord,
  type ClassifyOptions,
  type SequenceRecord,
} from './classify-records';
import type { PredictHooks, PredictResult } from './predict';
import { predictWith } from './predict-run';
import { startPredictEngine, type PredictEngine } from './predict-engine';
import { PredictError, PredictInterrupted } from './predict-errors';
import type { PredictorOptions, PredictRunOptions } from './predict-options';
import { predictorOptionsSchema, predictRunOptionsSchema, type ParsedPredictOptions } from './predict-schema';

// The models loaded once for many runs: a predictor holds one pool of workers for its lifetime and
// runs predict() after predict() on it, their jobs one run at a time in the order called, and
// classify() streams beside them. The one-shot predict() is the same run on an engine started for
// it alone.

/** Models and workers kept for many runs; see createPredictor. */
export interface Predictor {
  /**
   * One predict run, as the one-shot predict() with the predictor's models and workers: the same files,
   * errors and codes. Runs give the workers their jobs one run at a time, in call order: a run called
   * while another is running starts when that one's jobs are done (while it writes its files), or once
   * it has finished when both write into the same folder.
   */
  predict(options: PredictRunOptions, hooks?: PredictHooks): Promise<PredictResult>;
  /** The calls of `records`, in their order, in memory (no output folder). */
  classify(
    records: Iterable<SequenceRecord> | AsyncIterable<SequenceRecord>,
    options?: ClassifyOptions,
  ): AsyncIterable<ClassifiedRecord>;
  /** Stops the workers; runs still working end with PredictInterrupted. */
  close(): Promise<void>;
  [Symbol.asyncDispose](): Promise<void>;
}

function parsed<T extends z.ZodType>(schema: T, input: unknown, what: string): z.output<T> {
  const result = schema.safeParse(input);
  if (!result.success) throw new PredictError(`invalid ${what}: ${z.prettifyError(result.error)}`, 'E_USAGE');
  return result.data;
}

class LoadedPredictor implements Predictor {
  /** settles when the last run called will give the workers no more jobs: the next run starts then */
  private jobsTurn: Promise<void> = Promise.resolve();
  /** the last run called into each output folder, settled or not: a run waits for the one before */
  private readonly lastInFolder = new Map<string, Promise<void>>();
  private readonly unsettled = new Set<Promise<void>>();
  private readonly closing = new AbortController();
  private closed: Promise<void> | null = null;

  constructor(
    private readonly engine: PredictEngine,
    private readonly options: z.output<typeof predictorOptionsSchema>,
  ) {}

  predict(input: PredictRunOptions, hooks: PredictHooks = {}): Promise<PredictResult> {
    // One run's jobs at a time, in call order, so each run batches alone; a run's write stage
    // overlaps the next run's start, except into the same folder, where the next waits for it whole.
    const previous = this.jobsTurn;
    let jobsDone = () => {};
    this.jobsTurn = new Promise<void>((done) => (jobsDone = done));
    const folder = typeof input?.outDir === 'string' ? path.resolve(input.outDir) : '';
    const sameFolder = this.lastInFolder.get(folder);
    const result = (async () => {
      try {
        await previous;
        await sameFolder;
        if (this.closing.signal.aborted || hooks.signal?.aborted) throw new PredictInterrupted();
        const options: ParsedPredictOptions = {
          ...this.options,
          persistent: true,
          ...parsed(predictRunOptionsSchema, input, 'predict options'),
        };
        const signal = AbortSignal.any([this.closing.signal, ...(hooks.signal ? [hooks.signal] : [])]);
        const engine = () => Promise.resolve(this.engine);
        return await predictWith(engine, options, { ...hooks, signal }, jobsDone);
      } finally {
        jobsDone();
      }
    })();
    const settled = result.then(
      () => undefined,
      () => undefined,
    );
    this.lastInFolder.set(folder, settled);
    this.unsettled.add(settled);
    void settled.then(() => {
      this.unsettled.delete(settled);
      if (this.lastInFolder.get(folder) === settled) this.lastInFolder.delete(folder);
    });
    return result;
  }

  classify(
    records: Iterable<SequenceRecord> | AsyncIterable<SequenceRecord>,
    options: ClassifyOptions = {},
  ): AsyncIterable<ClassifiedRecord> {
    if (this.closing.signal.aborted) throw new PredictInterrupted();
    return classifyRecords(this.engine, records, options, this.closing.signal);
  }

  close(): Promise<void> {
    this.closed ??= (async () => {
      this.closing.abort();
      await Promise.all(this.unsettled);
      await this.engine.close();
    })();
    return this.closed;
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.close();
  }
}

/**
 * Checks the models and plans the workers once for many runs (each worker starts and loads its models
 * with the first work, and keeps them until close()). Rejects with a PredictError: `E_USAGE` for bad
 * options or devices, `E_MODEL` for the models.
 */
export async function createPredictor(options: PredictorOptions): Promise<Predictor> {
  const checked = parsed(predictorOptionsSchema, options, 'predictor options');
  const engine = await startPredictEngine({ ...checked, persistent: true });
  return new LoadedPredictor(engine, checked);
}
