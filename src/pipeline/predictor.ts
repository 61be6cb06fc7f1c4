import { z } from 'zod';
import {
  classifyRecords,
  type ClassifiedRecord,
  type ClassifyOptions,
  type SequenceRecord,
} from './classify-records';
import { predictWith, type PredictHooks, type PredictResult } from './predict';
import { startPredictEngine, type PredictEngine } from './predict-engine';
import { PredictError, PredictInterrupted } from './predict-errors';
import type { PredictorOptions, PredictRunOptions } from './predict-options';
import { predictorOptionsSchema, predictRunOptionsSchema, type ParsedPredictOptions } from './predict-schema';

// The models loaded once for many runs: a predictor holds one pool of workers for its lifetime and
// runs predict() after predict() on it, one at a time in the order called, and classify() streams
// beside them. The one-shot predict() is the same run on an engine started for it alone.

/** Models and workers kept for many runs; see createPredictor. */
export interface Predictor {
  /**
   * One predict run, as the one-shot predict() with the predictor's models and workers: the same files,
   * errors and codes. Runs called while one is running wait their turn (in call order).
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
  /** the last run queued: the next one starts after it settles */
  private queue: Promise<unknown> = Promise.resolve();
  private readonly closing = new AbortController();
  private closed: Promise<void> | null = null;

  constructor(
    private readonly engine: PredictEngine,
    private readonly options: z.output<typeof predictorOptionsSchema>,
  ) {}

  predict(input: PredictRunOptions, hooks: PredictHooks = {}): Promise<PredictResult> {
    const run = async () => {
      if (this.closing.signal.aborted) throw new PredictInterrupted();
      const options: ParsedPredictOptions = {
        ...this.options,
        persistent: true,
        ...parsed(predictRunOptionsSchema, input, 'predict options'),
      };
      const signal = AbortSignal.any([this.closing.signal, ...(hooks.signal ? [hooks.signal] : [])]);
      return predictWith(() => Promise.resolve(this.engine), options, { ...hooks, signal });
    };
    const turn = this.queue.then(run);
    this.queue = turn.catch(() => undefined);
    return turn;
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
      await this.queue;
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
