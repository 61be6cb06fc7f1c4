import type { NativeErrorCode } from '../../binding';
import type { JobErrorCode } from './jobs';

// Every error a job can meet, reduced to one stable code.

const nativeCodes: Record<NativeErrorCode, JobErrorCode> = {
  ERR_MODEL_FILE_MISSING: 'E_MODEL',
  ERR_MODEL_FORMAT: 'E_MODEL',
  ERR_MODEL_NOT_LOADED: 'E_MODEL',
  ERR_TOKENIZER: 'E_MODEL',
  ERR_INPUT_DTYPE: 'E_INTERNAL',
  ERR_INPUT_SHAPE: 'E_INTERNAL',
  ERR_TOKEN_RANGE: 'E_MODEL',
  ERR_OUT_OF_MEMORY: 'E_OOM',
  ERR_DEVICE: 'E_DEVICE',
  ERR_INTERNAL: 'E_INTERNAL',
};

const jobCodes = new Set<string>([
  'E_INPUT',
  'E_MODEL',
  'E_OOM',
  'E_DEVICE',
  'E_DISK_FULL',
  'E_READ_ONLY',
  'E_IO',
  'E_WORKER_DIED',
  'E_WORKER_START',
  'E_INTERNAL',
]);

/** A failure with its stable code already decided. */
export class JobError extends Error {
  override name = 'JobError';
  constructor(
    readonly code: JobErrorCode,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

export function jobErrorCode(error: unknown): JobErrorCode {
  const { code, name } = (error ?? {}) as { code?: unknown; name?: unknown };
  if (typeof code === 'string') {
    if (jobCodes.has(code)) return code as JobErrorCode;
    if (code in nativeCodes) return nativeCodes[code as NativeErrorCode];
    if (code === 'ENOSPC' || code === 'EDQUOT') return 'E_DISK_FULL';
    if (code === 'EROFS') return 'E_READ_ONLY';
    if (/^E[A-Z]+$/.test(code)) return 'E_IO';
  }
  if (name === 'FastaError' || name === 'SafetensorsFormatError') return 'E_INPUT';
  return 'E_INTERNAL';
}

/** An error as it crosses the IPC channel: its message and stable code. */
export interface ErrorPayload {
  message: string;
  code: JobErrorCode;
}

export function errorPayload(error: unknown): ErrorPayload {
  const { message } = (error ?? {}) as { message?: string };
  return { message: message ?? String(error), code: jobErrorCode(error) };
}
