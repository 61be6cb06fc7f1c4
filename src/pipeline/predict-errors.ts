/**
 * Why predict (or rescore) refused or failed; the CLI's exit code follows from it. Found before any work
 * starts, nothing created, exit 2:
 * - `E_USAGE`: options that cannot work (an invalid option value, devices, dtype, chunk size, paths)
 * - `E_MODEL`: a model folder that is missing, inconsistent or unloadable
 * - `E_LOCKED`: another run holds the output folder
 * - `E_FOLDER`: the output folder holds other things (`resume` or `force` decides), or is no finished run
 * - `E_CHANGED`: `resume` (or rescore) with other inputs, models or options than the recorded run
 * - `E_INPUT_REJECTED`: the inputs fail validate's checks (protein, RNA without `rna`, malformed)
 *
 * Stopping a run that had started, nothing partial left under a final name, exit 1:
 * - `E_INPUT`: malformed input, named by file and line
 * - `E_DISK_FULL`: no space left for an output
 * - `E_FAILED`: every shard failed
 */
export type PredictErrorCode =
  | 'E_USAGE'
  | 'E_MODEL'
  | 'E_LOCKED'
  | 'E_FOLDER'
  | 'E_CHANGED'
  | 'E_INPUT_REJECTED'
  | 'E_INPUT'
  | 'E_DISK_FULL'
  | 'E_FAILED';

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
