import path from 'node:path';
import { AtomicFileWriter } from '../io/atomic-write';
import { readFasta } from '../io/fasta';
import { encodeSafetensorsHeader, float32Bytes, readSafetensorsHeader } from '../io/safetensors';
import {
  SequenceOutOfMemoryError,
  type BatchProgress,
  type EmbeddingModel,
  type EmbedRunStats,
  type TokenizedSequences,
} from './embedding-model';

const writeSliceBytes = 4 << 20;
const fastaExtension = /\.(fa|fasta|faa|fna)(\.gz)?$/i;

/** `<outDir>/<input name without .fa/.fasta/.faa/.fna[.gz]>.safetensors` */
export function outputPathFor(input: string, outDir: string): string {
  const base = path.basename(input).replace(fastaExtension, '').replace(/\.gz$/i, '');
  return path.join(outDir, `${base}.safetensors`);
}

/**
 * Outputs are renamed into place only once complete, so a file under the final name whose header
 * parses and whose size matches it (and holds an F32 `embeddings` matrix with one id per row) is done.
 */
export async function isCompleteOutput(output: string): Promise<boolean> {
  try {
    const { tensors, metadata } = await readSafetensorsHeader(output);
    const embeddings = tensors.embeddings;
    return (
      embeddings?.dtype === 'F32' &&
      embeddings.shape.length === 2 &&
      (JSON.parse(metadata.ids ?? 'null') as unknown[] | null)?.length === embeddings.shape[0]
    );
  } catch {
    return false;
  }
}

export interface PreparedFile {
  file: string;
  output: string;
  ids: string[];
  tokenized: TokenizedSequences;
}

export interface EmbedFileResult extends EmbedRunStats {
  file: string;
  output: string;
  sequences: number;
}

/** Reads and tokenizes one FASTA file; duplicate ids are an error unless allowed. */
export async function prepareFile(
  model: EmbeddingModel,
  file: string,
  outDir: string,
  duplicateIds: 'error' | 'allow',
): Promise<PreparedFile> {
  const ids: string[] = [];
  const sequences: string[] = [];
  for await (const record of readFasta(file, { duplicateIds })) {
    ids.push(record.id);
    sequences.push(record.sequence);
  }
  return { file, output: outputPathFor(file, outDir), ids, tokenized: await model.tokenize(sequences) };
}

/** Embeds a prepared file and writes its safetensors output atomically. */
export async function embedPreparedFile(
  model: EmbeddingModel,
  prepared: PreparedFile,
  onBatch?: (progress: BatchProgress) => void,
  onWriter?: (writer: AtomicFileWriter | null) => void,
): Promise<EmbedFileResult> {
  let result;
  try {
    result = await model.embed(prepared.tokenized, onBatch);
  } catch (error) {
    if (error instanceof SequenceOutOfMemoryError) {
      throw new Error(`${prepared.file}: record "${prepared.ids[error.index]}": ${error.message}`, {
        cause: error,
      });
    }
    throw error;
  }
  const rows = prepared.ids.length;
  const header = encodeSafetensorsHeader(
    { embeddings: { dtype: 'F32', shape: [rows, model.dim] } },
    {
      ids: JSON.stringify(prepared.ids),
      model: model.manifest.arch,
      dim: String(model.dim),
      pooling: model.manifest.pooling,
    },
  );
  const writer = await AtomicFileWriter.open(prepared.output);
  onWriter?.(writer);
  try {
    await writer.write(header);
    const bytes = float32Bytes(result.embeddings);
    // in slices, so the writer's buffering never copies the whole matrix at once
    for (let at = 0; at < bytes.byteLength; at += writeSliceBytes) {
      await writer.write(bytes.subarray(at, at + writeSliceBytes));
    }
    await writer.commit();
  } catch (error) {
    await writer.abort();
    throw error;
  } finally {
    onWriter?.(null);
  }
  return { file: prepared.file, output: prepared.output, sequences: rows, ...result.stats };
}
