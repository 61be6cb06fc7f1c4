// A strict TypeScript consumer of the published package: compiled by scripts/check-package.sh as
// consumer.cts (require condition) and consumer.mts (import condition), skipLibCheck off, no
// triple-slash references and no @types beyond what installing virnucpro brings.
import {
  createEmbeddingPool,
  createPredictor,
  predict,
  PredictError,
  readEmbeddings,
  readRecordCalls,
  type ClassifiedRecord,
  type PredictOptions,
  type Predictor,
  type PredictResult,
  type RecordCallRow,
  type SequenceRecord,
} from 'virnucpro';

export async function classify(fasta: string, models: string, outDir: string): Promise<PredictResult> {
  const options: PredictOptions = { inputs: [fasta], models, outDir, force: true, minScore: 0.9, threads: 2 };
  const result = await predict(options);
  const total: number = result.calls.virus + result.calls.others;
  console.log(`${result.records} records, ${total} called, exit code ${result.exitCode}`);
  console.log(`summary in ${result.files.summary}, hits in ${result.files.viralHits}`);
  return result;
}

export async function viralIds(outDir: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const record of readRecordCalls(outDir)) {
    const row: RecordCallRow = record;
    const score: number | null = row.virusScore;
    if (row.call === 'virus' && score !== null && score > 0.95) ids.push(`${row.source}:${row.id}`);
  }
  return ids;
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

export async function firstVector(file: string): Promise<Float32Array> {
  const embeddings = await readEmbeddings(file);
  return embeddings.data.subarray(0, embeddings.dim);
}

export function isPredictError(error: unknown): error is PredictError {
  return error instanceof PredictError && error.code === 'E_USAGE';
}

export async function serve(models: string, uploads: AsyncIterable<SequenceRecord>): Promise<string[]> {
  const predictor: Predictor = await createPredictor({ models, devices: 'cpu', threads: 2 });
  try {
    const hits: string[] = [];
    for await (const call of predictor.classify(uploads, { minScore: 0.9, flushMs: 50 })) {
      const row: ClassifiedRecord = call;
      if (row.call === 'virus' && row.source === null) hits.push(row.id);
    }
    const result: PredictResult = await predictor.predict({
      inputs: ['a.fa'],
      outDir: 'out/a',
      resume: true,
    });
    console.log(result.exitCode);
    return hits;
  } finally {
    await predictor[Symbol.asyncDispose]();
  }
}
