/** A refusal or bad input: nothing was written (exit code 1). */
export class PredictError extends Error {
  override name = 'PredictError';
}

/** Stopped by a signal; the run can be resumed. */
export class PredictInterrupted extends Error {
  override name = 'PredictInterrupted';
  constructor() {
    super('interrupted; rerun with --resume to continue');
  }
}
