export {
  predict,
  predictOptionsSchema,
  type PredictEvent,
  type PredictHooks,
  type PredictOptions,
  type PredictResult,
  type PredictStage,
} from './predict';
export type { RecordCall } from './prediction-files';
export { PredictError, PredictInterrupted } from './predict-errors';
