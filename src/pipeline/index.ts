export {
  predict,
  type PredictEvent,
  type PredictFiles,
  type PredictHooks,
  type PredictOptions,
  type PredictorOptions,
  type PredictResult,
  type PredictRunOptions,
  type PredictStage,
  type ShardFailure,
} from './predict';
export { createPredictor, type Predictor } from './predictor';
export type { ClassifiedRecord, ClassifyOptions, SequenceRecord } from './classify-records';
export type { PlotSelection } from './plot';
export type { RecordCall } from './prediction-files';
export { PredictError, PredictInterrupted, type PredictErrorCode } from './predict-errors';
export { readRecordCalls, type RecordCallRow } from './record-calls';
export { rescore, type RescoreOptions, type RescoreResult } from './rescore';
