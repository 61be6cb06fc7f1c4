import { open, readFile } from 'node:fs/promises';

// The safetensors format (huggingface/safetensors): an 8-byte little-endian unsigned header length n,
// n bytes of JSON { name: { dtype, shape, data_offsets: [begin, end] }, __metadata__?: { string: string } },
// then the byte buffer the offsets point into (relative to its start), little-endian and row-major.
// The header is padded with spaces so the data starts 8-byte aligned.

export type SafetensorsDtype = 'F32' | 'I32' | 'I64' | 'U8';

export interface Tensor {
  dtype: SafetensorsDtype;
  shape: number[];
  /** little-endian bytes, product(shape) * itemsize of them */
  data: Uint8Array;
}

export interface SafetensorsFile {
  tensors: Record<string, Tensor>;
  metadata: Record<string, string>;
}

const itemSize: Record<SafetensorsDtype, number> = { F32: 4, I32: 4, I64: 8, U8: 1 };
const headerLengthBytes = 8;
const alignment = 8;
// A sanity limit the reference implementation also applies, so that a corrupt length is not allocated.
const maxHeaderBytes = 100_000_000;

export class SafetensorsFormatError extends Error {
  override name = 'SafetensorsFormatError';
}

interface HeaderEntry {
  dtype: SafetensorsDtype;
  shape: number[];
  data_offsets: [number, number];
}

function elementCount(shape: number[]): number {
  return shape.reduce((product, extent) => product * extent, 1);
}

/** The header bytes (length prefix, JSON, padding) for tensors laid out in the order given. */
export function encodeSafetensorsHeader(
  tensors: Record<string, Pick<Tensor, 'dtype' | 'shape'>>,
  metadata: Record<string, string> = {},
): Buffer {
  const header: Record<string, unknown> = {};
  if (Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const [name, tensor] of Object.entries(tensors)) {
    if (name === '__metadata__') throw new SafetensorsFormatError('a tensor cannot be named __metadata__');
    const bytes = elementCount(tensor.shape) * itemSize[tensor.dtype];
    header[name] = { dtype: tensor.dtype, shape: tensor.shape, data_offsets: [offset, offset + bytes] };
    offset += bytes;
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Math.ceil((headerLengthBytes + json.length) / alignment) * alignment - headerLengthBytes;
  const out = Buffer.alloc(headerLengthBytes + padded, 0x20);
  out.writeBigUInt64LE(BigInt(padded), 0);
  json.copy(out, headerLengthBytes);
  return out;
}

/** A whole safetensors file in memory. */
export function encodeSafetensors(file: SafetensorsFile): Buffer {
  const header = encodeSafetensorsHeader(file.tensors, file.metadata);
  return Buffer.concat([header, ...Object.values(file.tensors).map((tensor) => tensor.data)]);
}

function parseHeader(
  json: string,
  dataBytes: number | null,
): { entries: Record<string, HeaderEntry>; metadata: Record<string, string> } {
  let raw: unknown;
  try {
    raw = JSON.parse(json);
  } catch (cause) {
    throw new SafetensorsFormatError(`header is not JSON (${(cause as Error).message})`);
  }
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) {
    throw new SafetensorsFormatError('header is not a JSON object');
  }
  const { __metadata__: rawMetadata, ...rawEntries } = raw as Record<string, unknown>;
  if (
    rawMetadata !== undefined &&
    (typeof rawMetadata !== 'object' ||
      rawMetadata === null ||
      Object.values(rawMetadata).some((value) => typeof value !== 'string'))
  ) {
    throw new SafetensorsFormatError('__metadata__ must map strings to strings');
  }
  const metadata = (rawMetadata ?? {}) as Record<string, string>;
  const checked = Object.entries(rawEntries).map(([name, value]) => {
    const entry = value as Partial<HeaderEntry>;
    if (!entry || typeof entry.dtype !== 'string' || !(entry.dtype in itemSize)) {
      throw new SafetensorsFormatError(`tensor ${name}: unsupported dtype ${JSON.stringify(entry?.dtype)}`);
    }
    const shapeOk = Array.isArray(entry.shape) && entry.shape.every((d) => Number.isSafeInteger(d) && d >= 0);
    const offsets = entry.data_offsets;
    const offsetsOk =
      Array.isArray(offsets) &&
      offsets.length === 2 &&
      offsets.every((o) => Number.isSafeInteger(o) && o >= 0);
    if (!shapeOk || !offsetsOk) throw new SafetensorsFormatError(`tensor ${name}: bad shape or data_offsets`);
    const [begin, end] = offsets;
    if (end - begin !== elementCount(entry.shape as number[]) * itemSize[entry.dtype]) {
      throw new SafetensorsFormatError(`tensor ${name}: data_offsets do not match dtype and shape`);
    }
    return [name, entry as HeaderEntry] as const;
  });
  // The buffer must be covered exactly, without holes or overlaps, as the reference reader requires.
  const entries: Record<string, HeaderEntry> = {};
  let expectedBegin = 0;
  for (const [name, entry] of [...checked].sort((a, b) => a[1].data_offsets[0] - b[1].data_offsets[0])) {
    if (entry.data_offsets[0] !== expectedBegin)
      throw new SafetensorsFormatError(`tensor ${name}: data not contiguous`);
    expectedBegin = entry.data_offsets[1];
    entries[name] = entry;
  }
  if (dataBytes !== null && expectedBegin !== dataBytes) {
    throw new SafetensorsFormatError(`data is ${dataBytes} bytes but the header describes ${expectedBegin}`);
  }
  return { entries, metadata };
}

function headerLength(prefix: Uint8Array, totalBytes: number): number {
  if (prefix.byteLength < headerLengthBytes) throw new SafetensorsFormatError('file shorter than 8 bytes');
  const length = Buffer.from(prefix.buffer, prefix.byteOffset, headerLengthBytes).readBigUInt64LE(0);
  if (length > BigInt(Math.min(maxHeaderBytes, totalBytes - headerLengthBytes))) {
    throw new SafetensorsFormatError(`header length ${length} exceeds the file`);
  }
  return Number(length);
}

/** Parses a whole safetensors file held in memory; tensor data are views into `bytes`. */
export function decodeSafetensors(bytes: Uint8Array): SafetensorsFile {
  const length = headerLength(bytes, bytes.byteLength);
  const dataStart = headerLengthBytes + length;
  const json = Buffer.from(bytes.buffer, bytes.byteOffset + headerLengthBytes, length).toString('utf8');
  const { entries, metadata } = parseHeader(json, bytes.byteLength - dataStart);
  const tensors: Record<string, Tensor> = {};
  for (const [name, entry] of Object.entries(entries)) {
    const [begin, end] = entry.data_offsets;
    tensors[name] = {
      dtype: entry.dtype,
      shape: entry.shape,
      data: bytes.subarray(dataStart + begin, dataStart + end),
    };
  }
  return { tensors, metadata };
}

export async function readSafetensors(file: string): Promise<SafetensorsFile> {
  try {
    return decodeSafetensors(await readFile(file));
  } catch (error) {
    if (error instanceof SafetensorsFormatError)
      throw new SafetensorsFormatError(`${file}: ${error.message}`);
    throw error;
  }
}

/**
 * Reads only the header, checking that the file's size matches it (a cheap completeness check); `start`
 * is where a tensor's bytes begin in the file.
 */
export async function readSafetensorsHeader(file: string): Promise<{
  tensors: Record<string, Pick<Tensor, 'dtype' | 'shape'> & { start: number }>;
  metadata: Record<string, string>;
}> {
  const handle = await open(file, 'r');
  try {
    const { size } = await handle.stat();
    const prefix = Buffer.alloc(headerLengthBytes);
    await handle.read(prefix, 0, headerLengthBytes, 0);
    const length = headerLength(size >= headerLengthBytes ? prefix : prefix.subarray(0, size), size);
    const json = Buffer.alloc(length);
    await handle.read(json, 0, length, headerLengthBytes);
    const { entries, metadata } = parseHeader(json.toString('utf8'), size - headerLengthBytes - length);
    const tensors = Object.fromEntries(
      Object.entries(entries).map(([name, { dtype, shape, data_offsets: offsets }]) => [
        name,
        { dtype, shape, start: headerLengthBytes + length + offsets[0] },
      ]),
    );
    return { tensors, metadata };
  } catch (error) {
    if (error instanceof SafetensorsFormatError)
      throw new SafetensorsFormatError(`${file}: ${error.message}`);
    throw error;
  } finally {
    await handle.close();
  }
}

/** Views a Float32Array's memory as bytes; safetensors data are little-endian, as is every platform Node targets. */
export function float32Bytes(values: Float32Array): Uint8Array {
  return new Uint8Array(values.buffer, values.byteOffset, values.byteLength);
}

/** Copies F32 tensor bytes into a Float32Array (copying, because the bytes may not be 4-byte aligned). */
export function toFloat32Array(tensor: Tensor): Float32Array {
  if (tensor.dtype !== 'F32') throw new SafetensorsFormatError(`expected F32, got ${tensor.dtype}`);
  const out = new Float32Array(tensor.data.byteLength / 4);
  new Uint8Array(out.buffer).set(tensor.data);
  return out;
}
