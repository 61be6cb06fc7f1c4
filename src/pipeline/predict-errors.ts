/**
 * Why predict refused or failed; the CLI's exit code follows from it. Codes exiting 2 are found before
 * any work starts (nothing is created); the others stop a run that had started (nothing partial is left
 * under a final name).
 */
export type PredictErrorCode =
  | 'E_USAGE' // options that cannot work: devices, dtype, chunk size, paths (exit 2)
  | 'E_MODEL' // a model folder that is missing, inconsistent or unloadable (exit 2)
  | 'E_LOCKED' // another run holds the output folder (exit 2)
  | 'E_FOLDER' // the output folder holds other things; --resume or --force decides (exit 2)
  | 'E_CHANGED' // --resume with other inputs, models or options than the run being resumed (exit 2)
  | 'E_INPUT_REJECTED' // the inputs fail validate's checks (protein, RNA without --rna, malformed), found before any work (exit 2)
  | 'E_INPUT' // malformed input, named by file and line (exit 1)
  | 'E_DISK_FULL' // no space left for an output (exit 1)
  | 'E_FAILED'; // every shard failed (exit 1)

const usageCodes: ReadonlySet<PredictErrorCode> = new Set([
  'E_USAGE',
  'E_MODEL',
  'E_LOCKED',
  'E_FOLDER',
  'E_CHANGED',
  'E_INPUT_REJECTED',
]);

export class PredictError extends Error {
  override name = 'PredictError';
  constructor(
    message: string,
    readonly code: PredictErrorCode = 'E_INPUT',
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }

  /** 2 for a refusal before any work, 1 for a failed run */
  get exitCode(): 1 | 2 {
    return usageCodes.has(this.code) ? 2 : 1;
  }
}

/** Stopped by a signal; the run can be resumed. */
export class PredictInterrupted extends Error {
  override name = 'PredictInterrupted';
  constructor() {
    super('interrupted; rerun with --resume to continue');
  }
}
