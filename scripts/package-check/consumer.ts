// A strict TypeScript consumer of the published package: compiled by scripts/check-package.sh as
// consumer.cts (require condition) and consumer.mts (import condition), skipLibCheck off, no
// triple-slash references and no @types beyond what installing virnucpro brings.
import { createEmbeddingPool, predict, PredictError, type PredictResult } from 'virnucpro';

export async function classify(fasta: string, models: string, outDir: string): Promise<PredictResult> {
  const result = await predict({ inputs: [fasta], models, outDir, force: true });
  const total: number = result.calls.virus + result.calls.others;
  console.log(`${result.records} records, ${total} called, exit code ${result.exitCode}`);
  return result;
}

export async function embed(modelDirs: string[], files: string[], outDir: string): Promise<string[]> {
  const pool = createEmbeddingPool({ models: modelDirs, devices: 'cpu', workers: 1 });
  try {
    const result = await pool.embedFiles(files, outDir);
    return result.failed.map((failure) => failure.file);
  } finally {
    await pool.close();
  }
}

export function isPredictError(error: unknown): error is PredictError {
  return error instanceof PredictError;
}
