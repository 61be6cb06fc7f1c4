/** A refusal or bad input: nothing was written (exit code 1). */
export class PredictError extends Error {
  override name = 'PredictError';
}

/** The inputs failed the checks of `virnucpro validate`; found before anything was created (exit code 2). */
export class InputRejected extends PredictError {
  override name = 'InputRejected';
}

/** Stopped by a signal; the run can be resumed. */
export class PredictInterrupted extends Error {
  override name = 'PredictInterrupted';
  constructor() {
    super('interrupted; rerun with --resume to continue');
  }
}
