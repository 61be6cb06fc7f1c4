import { createReadStream } from 'node:fs';
import { open, stat } from 'node:fs/promises';
import type { Readable, TransformOptions } from 'node:stream';
import { createGunzip, type ZlibOptions } from 'node:zlib';
import { FastaError } from './fasta-error';

// The bytes of a sequence input, plain or gzip (told by its magic bytes, not its name), in pieces as
// they are read and decompressed. Decompression runs on libuv's thread pool, so the next piece is
// inflated while the caller parses this one.

const GZIP_MAGIC = [0x1f, 0x8b];
const PIECE_BYTES = 1 << 20;
/** decompressed piece size: large enough that the per-piece cost of the stream is small */
const INFLATED_PIECE_BYTES = 1 << 18;
const INFLATED_AHEAD_BYTES = 1 << 23;

/** Whether the file is gzip; only regular files are read, since predict reads its inputs more than once. */
async function isGzip(file: string): Promise<boolean> {
  try {
    const info = await stat(file);
    if (!info.isFile()) {
      throw Object.assign(new Error('not a regular file'), {
        code: info.isDirectory() ? 'EISDIR' : 'ESPIPE',
      });
    }
    const handle = await open(file, 'r');
    try {
      const head = Buffer.alloc(2);
      const { bytesRead } = await handle.read(head, 0, 2, 0);
      return bytesRead === 2 && head[0] === GZIP_MAGIC[0] && head[1] === GZIP_MAGIC[1];
    } finally {
      await handle.close();
    }
  } catch (error) {
    throw FastaError.unreadable(file, error);
  }
}

/**
 * The file's content in pieces, decompressed when it is gzip. A cut or corrupt gzip stream is a
 * FastaError at the line after `lineNumber()` (the last line the caller took). `onFileBytes` sees the
 * file's own bytes (compressed or not) in order, for hashing them in the same pass.
 */
export async function* inputPieces(
  file: string,
  lineNumber: () => number,
  onFileBytes?: (bytes: Buffer) => void,
): AsyncGenerator<Buffer> {
  const gzip = await isGzip(file);
  const raw = createReadStream(file, { highWaterMark: PIECE_BYTES });
  let stream: Readable = raw;
  if (gzip) {
    // a deep output buffer lets inflation run ahead while the caller parses
    const options: ZlibOptions & TransformOptions = {
      chunkSize: INFLATED_PIECE_BYTES,
      readableHighWaterMark: INFLATED_AHEAD_BYTES,
    };
    const gunzip = createGunzip(options);
    raw.on('error', (error) => gunzip.destroy(error));
    // piped, so the file's pieces flow through here on their way to gunzip
    if (onFileBytes) raw.on('data', (bytes) => onFileBytes(bytes as Buffer));
    stream = raw.pipe(gunzip);
  }
  try {
    for await (const piece of stream as AsyncIterable<Buffer>) {
      if (!gzip) onFileBytes?.(piece);
      yield piece;
    }
  } catch (error) {
    const err = error as NodeJS.ErrnoException;
    if (gzip && err.code?.startsWith('Z_')) {
      throw new FastaError(file, lineNumber() + 1, `truncated or corrupt gzip data (${err.message})`);
    }
    throw FastaError.unreadable(file, error);
  } finally {
    raw.destroy();
  }
}
