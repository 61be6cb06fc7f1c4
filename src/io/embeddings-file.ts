import { open, readFile } from 'node:fs/promises';
import { AtomicFileWriter } from './atomic-write';
import {
  decodeSafetensors,
  encodeSafetensorsHeader,
  float32Bytes,
  readSafetensorsHeader,
  SafetensorsFormatError,
  toFloat32Array,
  type Tensor,
} from './safetensors';

// The embeddings file, the one on-disk format for pooled vectors: a safetensors file with
//   embeddings  F32 [N, D]   row i belongs to ids[i]
//   id_offsets  I64 [N + 1]  id i is id_bytes[id_offsets[i] .. id_offsets[i + 1])
//   id_bytes    U8  [total]   the ids' bytes as read from the input FASTA (Latin-1 strings in memory)
// and metadata { format, model, dim, pooling, dtype, fingerprint }. Ids are tensor data, not header
// metadata, so neither long ids nor many records meet the format's header size limit. Files are written
// atomically: a file under its final name whose header parses and matches its size is complete.

export const EMBEDDINGS_FORMAT = 'virnucpro-embeddings/2';

const writeSliceBytes = 4 << 20;

export interface EmbeddingsMetadata {
  /** the model's architecture name (manifest `arch`) */
  model: string;
  dim: number;
  pooling: string;
  dtype: string;
  /** what the vectors depend on (input, model bytes, options); reuse requires an exact match */
  fingerprint: string;
}

export interface Embeddings extends EmbeddingsMetadata {
  ids: string[];
  /** row-major [ids.length, dim] */
  data: Float32Array;
}

function encodeIds(ids: string[]): { offsets: BigInt64Array; bytes: Buffer } {
  const encoded = ids.map((id) => Buffer.from(id, 'latin1'));
  const offsets = new BigInt64Array(ids.length + 1);
  let total = 0;
  encoded.forEach((bytes, i) => {
    total += bytes.length;
    offsets[i + 1] = BigInt(total);
  });
  return { offsets, bytes: Buffer.concat(encoded, total) };
}

/** Writes the file atomically (complete under its name, or absent). */
export async function writeEmbeddingsFile(
  file: string,
  embeddings: Embeddings,
  onWriter?: (writer: AtomicFileWriter | null) => void,
): Promise<void> {
  const { ids, data, dim, model, pooling, dtype, fingerprint } = embeddings;
  if (data.length !== ids.length * dim) {
    throw new Error(`${file}: ${data.length} values for ${ids.length} ids of dimension ${dim}`);
  }
  const { offsets, bytes } = encodeIds(ids);
  const header = encodeSafetensorsHeader(
    {
      embeddings: { dtype: 'F32', shape: [ids.length, dim] },
      id_offsets: { dtype: 'I64', shape: [ids.length + 1] },
      id_bytes: { dtype: 'U8', shape: [bytes.length] },
    },
    { format: EMBEDDINGS_FORMAT, model, dim: String(dim), pooling, dtype, fingerprint },
  );
  const writer = await AtomicFileWriter.open(file);
  onWriter?.(writer);
  try {
    await writer.write(header);
    const vectors = float32Bytes(data);
    // in slices, so the writer's buffering never copies the whole matrix at once
    for (let at = 0; at < vectors.byteLength; at += writeSliceBytes) {
      await writer.write(vectors.subarray(at, at + writeSliceBytes));
    }
    await writer.write(new Uint8Array(offsets.buffer, offsets.byteOffset, offsets.byteLength));
    await writer.write(bytes);
    await writer.commit();
  } catch (error) {
    await writer.abort();
    throw error;
  } finally {
    onWriter?.(null);
  }
}

function decodeIds(offsetsTensor: Tensor, bytesTensor: Tensor, rows: number, file: string): string[] {
  if (offsetsTensor.dtype !== 'I64' || bytesTensor.dtype !== 'U8' || offsetsTensor.shape[0] !== rows + 1) {
    throw new SafetensorsFormatError(`${file}: id_offsets/id_bytes do not describe ${rows} ids`);
  }
  const aligned = new Uint8Array(offsetsTensor.data); // a copy: the view may not be 8-byte aligned
  const offsets = new BigInt64Array(aligned.buffer, 0, rows + 1);
  const bytes = Buffer.from(
    bytesTensor.data.buffer,
    bytesTensor.data.byteOffset,
    bytesTensor.data.byteLength,
  );
  const ids: string[] = [];
  for (let i = 0; i < rows; i++) {
    const begin = Number(offsets[i]);
    const end = Number(offsets[i + 1]);
    if (begin > end || end > bytes.length) throw new SafetensorsFormatError(`${file}: id ${i} out of range`);
    ids.push(bytes.toString('latin1', begin, end));
  }
  return ids;
}

function metadataOf(metadata: Record<string, string>, file: string): EmbeddingsMetadata {
  if (metadata.format !== EMBEDDINGS_FORMAT) {
    throw new SafetensorsFormatError(
      `${file}: not a virnucpro embeddings file of format ${EMBEDDINGS_FORMAT} (found ${metadata.format ?? 'none'})`,
    );
  }
  return {
    model: metadata.model ?? '',
    dim: Number(metadata.dim),
    pooling: metadata.pooling ?? '',
    dtype: metadata.dtype ?? '',
    fingerprint: metadata.fingerprint ?? '',
  };
}

/** Reads a whole embeddings file written by virnucpro (embed, or predict with --keep-intermediate). */
export async function readEmbeddings(file: string): Promise<Embeddings> {
  let decoded;
  try {
    decoded = decodeSafetensors(await readFile(file));
  } catch (error) {
    if (error instanceof SafetensorsFormatError)
      throw new SafetensorsFormatError(`${file}: ${error.message}`);
    throw error;
  }
  const { tensors, metadata } = decoded;
  const meta = metadataOf(metadata, file);
  const { embeddings, id_offsets: offsets, id_bytes: bytes } = tensors;
  if (!embeddings || embeddings.shape.length !== 2 || !offsets || !bytes) {
    throw new SafetensorsFormatError(`${file}: missing embeddings, id_offsets or id_bytes`);
  }
  const [rows, dim] = embeddings.shape;
  if (dim !== meta.dim) throw new SafetensorsFormatError(`${file}: dim ${meta.dim} but rows of ${dim}`);
  return { ...meta, ids: decodeIds(offsets, bytes, rows, file), data: toFloat32Array(embeddings) };
}

/**
 * Chosen rows of a complete embeddings file, without reading the rest: row `rows[i]` of the file is row i
 * of `data`. Runs of consecutive rows are read at once.
 */
export async function readEmbeddingRows(
  file: string,
  rows: ArrayLike<number>,
): Promise<{ dim: number; data: Float32Array }> {
  const { tensors, metadata } = await readSafetensorsHeader(file);
  const embeddings = tensors.embeddings;
  if (metadata.format !== EMBEDDINGS_FORMAT || embeddings?.dtype !== 'F32' || embeddings.shape.length !== 2)
    throw new SafetensorsFormatError(`${file}: not an embeddings file`);
  const [count, dim] = embeddings.shape;
  const data = new Float32Array(rows.length * dim);
  const bytes = new Uint8Array(data.buffer);
  const order = Array.from({ length: rows.length }, (_, i) => i).sort((a, b) => rows[a] - rows[b]);
  const handle = await open(file, 'r');
  try {
    for (let first = 0; first < order.length;) {
      let last = first;
      while (last + 1 < order.length && rows[order[last + 1]] - rows[order[last]] <= 1) last++;
      const from = rows[order[first]];
      const through = rows[order[last]];
      if (through >= count) throw new SafetensorsFormatError(`${file}: no row ${through} (${count} rows)`);
      const run = Buffer.alloc((through - from + 1) * dim * 4);
      await handle.read(run, 0, run.length, embeddings.start + from * dim * 4);
      for (let k = first; k <= last; k++) {
        const at = (rows[order[k]] - from) * dim * 4;
        bytes.set(run.subarray(at, at + dim * 4), order[k] * dim * 4);
      }
      first = last + 1;
    }
  } finally {
    await handle.close();
  }
  return { dim, data };
}

export type EmbeddingsFileState = 'complete' | 'absent' | 'incomplete' | 'different';

/**
 * Whether `file` can be reused for `fingerprint`: 'complete' (header parses, sizes match, same
 * fingerprint), 'different' (complete but made from other inputs, model or options), 'incomplete'
 * (unreadable or truncated: never renamed into place by us), or 'absent'.
 */
export async function embeddingsFileState(file: string, fingerprint: string): Promise<EmbeddingsFileState> {
  let header;
  try {
    header = await readSafetensorsHeader(file);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'absent' : 'incomplete';
  }
  const { tensors, metadata } = header;
  const rows = tensors.embeddings?.shape[0];
  const complete =
    metadata.format === EMBEDDINGS_FORMAT &&
    tensors.embeddings?.dtype === 'F32' &&
    tensors.embeddings.shape.length === 2 &&
    tensors.id_offsets?.shape[0] === (rows ?? -1) + 1 &&
    tensors.id_bytes !== undefined;
  if (!complete) return 'incomplete';
  return metadata.fingerprint === fingerprint ? 'complete' : 'different';
}
