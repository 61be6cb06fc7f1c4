import { createEmbeddingPool, type EmbeddingPool } from '../embed';
import { DeviceError } from '../embed/devices';
import type { EngineOptions } from '../embed/engine-options';
import { engineOptionsSchema } from '../embed/options';
import { embeddingPoolOptionsSchema } from '../embed/pool-schema';
import { PredictError } from './predict-errors';
import { loadModelSet, type ModelSet } from './predict-models';
import { warmUpPlotRenderer } from './plot';
import { holdVegaRenderer } from './vega-renderer';

// What predict runs on: the checked model set, one pool of workers that load those models once, and
// the plot renderer held open (its start overlaps the embedding). A one-shot predict() starts one for
// its run; a predictor keeps one for all of its runs.

export interface PredictEngine {
  models: ModelSet;
  pool: EmbeddingPool;
  /** stops the workers and the plot renderer */
  close(): Promise<void>;
}

/** Checks the models folder and plans the workers (they start with the first job). */
export async function startPredictEngine(
  options: EngineOptions & { models: string },
): Promise<PredictEngine> {
  const models = await loadModelSet(options.models);
  const engine = Object.fromEntries(
    Object.keys(engineOptionsSchema.shape).map((key) => [key, options[key as keyof EngineOptions]]),
  );
  try {
    const pool = createEmbeddingPool(
      embeddingPoolOptionsSchema.parse({
        ...engine,
        models: [models.dnabert.dir, models.esm2.dir],
        classifier: models.classifier.dir,
      }),
    );
    const releaseRenderer = holdVegaRenderer();
    void warmUpPlotRenderer().catch(() => undefined); // a real failure shows in the run's own plot
    return {
      models,
      pool,
      close: async () => {
        releaseRenderer();
        await pool.close();
      },
    };
  } catch (error) {
    if (error instanceof DeviceError) throw new PredictError(error.message, 'E_USAGE');
    throw error;
  }
}
