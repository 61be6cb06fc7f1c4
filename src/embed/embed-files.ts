import path from 'node:path';
import { cachedSha256File, fingerprintOf, sha256File } from '../io/fingerprint';
import { packageVersion } from '../native';
import { readEmbeddingManifest } from './embedding-model';
import type { EmbedJob, JobErrorCode } from './jobs';
import type { EmbeddingPool, PoolStats } from './pool';

// embedFiles(), the call the package is known by: a convenience over the pool's jobs that names each
// output after its input and fingerprints what the vectors depend on.

export interface FileFailure {
  file: string;
  code: JobErrorCode;
  message: string;
}

export interface EmbedFilesResult {
  /** embeddings files written by this call, in the order of the input files */
  outputs: string[];
  /** inputs whose complete output already existed */
  skipped: string[];
  failed: FileFailure[];
  /** inputs not finished because the pool was closed */
  interrupted: string[];
  stats: PoolStats;
}

const fastaExtension = /\.(fa|fasta|faa|fna)(\.gz)?$/i;

/** `<outDir>/<input name without .fa/.fasta/.faa/.fna[.gz]>.safetensors` */
export function outputPathFor(input: string, outDir: string): string {
  const base = path.basename(input).replace(fastaExtension, '').replace(/\.gz$/i, '');
  return path.join(outDir, `${base}.safetensors`);
}

/**
 * The fingerprint of an embed job: input bytes, model file bytes, dtype, pooling, deterministic mode and
 * tool version, everything that changes the vectors (batching changes only the last float bits of the
 * default mode and is left out).
 */
export async function embedFingerprint(
  input: string,
  modelDir: string,
  numeric: { dtype: string; deterministic: boolean },
): Promise<string> {
  const manifest = readEmbeddingManifest(modelDir);
  return fingerprintOf({
    input: await sha256File(input),
    model: await cachedSha256File(manifest.modulePath),
    tokenizer: manifest.tokenizerPath ? await cachedSha256File(manifest.tokenizerPath) : null,
    dtype: numeric.dtype,
    deterministic: numeric.deterministic,
    pooling: manifest.pooling,
    version: packageVersion(),
  });
}

export async function embedFiles(
  pool: EmbeddingPool,
  files: string[],
  outDir: string,
  model?: string,
): Promise<EmbedFilesResult> {
  const modelDir = pool.resolveModel(model);
  const numeric = pool.numericOptions;
  const jobs: EmbedJob[] = [];
  for (const [i, file] of files.entries()) {
    let fingerprint;
    try {
      fingerprint = await embedFingerprint(file, modelDir, numeric);
    } catch (error) {
      throw new Error(`${file}: cannot read (${(error as Error).message})`, { cause: error });
    }
    jobs.push({
      id: String(i),
      kind: 'embed',
      input: file,
      output: outputPathFor(file, outDir),
      model: modelDir,
      fingerprint,
    });
  }
  const results = await pool.run(jobs);
  const of = (status: string) =>
    results.filter((result) => result.status === status).map((result) => files[Number(result.id)]);
  return {
    outputs: results.filter((result) => result.status === 'done').map((result) => result.output as string),
    skipped: of('skipped'),
    failed: results
      .filter((result) => result.status === 'failed')
      .map((result) => ({
        file: files[Number(result.id)],
        code: result.code as JobErrorCode,
        message: result.message as string,
      })),
    interrupted: of('interrupted'),
    stats: pool.stats(),
  };
}
