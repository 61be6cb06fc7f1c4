import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';
import { fileError } from './file-errors';

// Outputs appear complete or not at all: bytes go to a temporary file in the same folder, every write
// is checked for its count (a short write continues with the rest), the file is flushed to disk and
// then renamed over the final name; the folder is synced so the rename survives a crash. Any failure
// (a full disk included, whether at write, sync or close) removes the temporary file and is reported
// with the final path and the reason in plain words.

/**
 * Test-only: `<bytes>` lets this process write that many bytes in all, as a disk with that much room:
 * the write that reaches the limit comes up short there and every later one fails with ENOSPC.
 * `<bytes>:once` makes only that one write short (as an interrupted write can be), later ones succeed.
 */
export const injectShortWriteVariable = 'VIRNUCPRO_TEST_SHORT_WRITE';

interface InjectedDisk {
  /** the variable's value this state belongs to (another value starts over) */
  value: string;
  room: number;
  fills: boolean;
  written: number;
}

let injectedDisk: InjectedDisk | null = null;

function injection(): InjectedDisk | null {
  const value = process.env[injectShortWriteVariable];
  if (!value) return null;
  if (injectedDisk?.value !== value) {
    const match = /^(\d+)(:once)?$/.exec(value);
    if (!match) throw new Error(`${injectShortWriteVariable}=${value}: expected <bytes> or <bytes>:once`);
    injectedDisk = { value, room: Number(match[1]), fills: !match[2], written: 0 };
  }
  return injectedDisk;
}

function diskFullError(): Error {
  return Object.assign(new Error('ENOSPC: no space left on device, write'), {
    code: 'ENOSPC',
    syscall: 'write',
  });
}

function temporaryName(file: string): string {
  return path.join(
    path.dirname(file),
    `.${path.basename(file)}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`,
  );
}

async function syncFolder(folder: string): Promise<void> {
  const handle = await open(folder, 'r');
  try {
    await handle.sync();
  } finally {
    await handle.close();
  }
}

/**
 * Buffers of committed writers, for the next ones: predict opens two writers per shard, and a fresh
 * megabyte for each would live long enough to end as old garbage outside the heap.
 */
const spareBuffers: Buffer[] = [];
const SPARE_BUFFERS = 8;

/**
 * A file written in pieces that appears under its name only on commit(). Pieces are copied at once into
 * one buffer per writer, reused from flush to flush (it grows to `flushBytes`): a caller's many small
 * pieces die young instead of waiting in a list, where they would outlive V8's young generation and
 * pile up as old garbage holding memory outside the heap (predict writes a few per read).
 */
export class AtomicFileWriter {
  private buffer: Buffer = Buffer.allocUnsafeSlow(0);
  private bufferedBytes = 0;
  private done = false;

  private constructor(
    readonly file: string,
    private readonly temporary: string,
    private readonly handle: FileHandle,
    private readonly flushBytes: number,
  ) {}

  static async open(file: string, flushBytes = 1 << 20): Promise<AtomicFileWriter> {
    const temporary = temporaryName(file);
    let handle;
    try {
      handle = await open(temporary, 'wx');
    } catch (error) {
      throw fileError(error, file);
    }
    return new AtomicFileWriter(file, temporary, handle, flushBytes);
  }

  async write(data: string | Uint8Array): Promise<void> {
    if (this.done) throw new Error(`${this.file}: write after commit or abort`);
    const bytes = typeof data === 'string' ? Buffer.from(data) : data;
    try {
      for (let at = 0; at < bytes.length;) {
        if (this.bufferedBytes === this.flushBytes) await this.flush();
        this.reserve(bytes.length - at);
        const piece = bytes.subarray(at, at + this.buffer.length - this.bufferedBytes);
        this.buffer.set(piece, this.bufferedBytes);
        this.bufferedBytes += piece.length;
        at += piece.length;
      }
      if (this.bufferedBytes === this.flushBytes) await this.flush();
    } catch (error) {
      await this.abort();
      throw fileError(error, this.file);
    }
  }

  /** Grows the buffer (up to flushBytes) towards room for `more` bytes. */
  private reserve(more: number): void {
    const wanted = Math.min(this.flushBytes, this.bufferedBytes + more);
    if (wanted <= this.buffer.length) return;
    const spare = spareBuffers.findIndex(
      (buffer) => buffer.length >= wanted && buffer.length <= this.flushBytes,
    );
    const larger =
      spare !== -1
        ? spareBuffers.splice(spare, 1)[0]
        : Buffer.allocUnsafeSlow(
            Math.min(this.flushBytes, Math.max(wanted, 2 * this.buffer.length, 1 << 16)),
          );
    this.buffer.copy(larger, 0, 0, this.bufferedBytes);
    this.buffer = larger;
  }

  private async flush(): Promise<void> {
    const data = this.buffer.subarray(0, this.bufferedBytes);
    for (let at = 0; at < data.length;) {
      const { bytesWritten } = await this.writeSome(data.subarray(at));
      if (bytesWritten === 0) throw new Error(`no progress writing (${at} of ${data.length} bytes written)`);
      at += bytesWritten;
    }
    this.bufferedBytes = 0;
  }

  /** One write call, which may write fewer bytes than asked (the test injection makes it so). */
  private async writeSome(data: Buffer): Promise<{ bytesWritten: number }> {
    const disk = injection();
    if (!disk) return this.handle.write(data);
    const room = disk.room - disk.written;
    if (room <= 0 && disk.fills) throw diskFullError();
    const { bytesWritten } = await this.handle.write(
      data,
      0,
      room > 0 ? Math.min(room, data.length) : data.length,
    );
    disk.written += bytesWritten;
    return { bytesWritten };
  }

  /** Flushes, syncs and renames the file into place. */
  async commit(): Promise<void> {
    if (this.done) throw new Error(`${this.file}: already committed or aborted`);
    this.done = true;
    try {
      await this.flush();
      if (spareBuffers.length < SPARE_BUFFERS) spareBuffers.push(this.buffer);
      this.buffer = Buffer.allocUnsafeSlow(0);
      await this.handle.sync();
      await this.handle.close();
      await rename(this.temporary, this.file);
    } catch (error) {
      await this.handle.close().catch(() => undefined);
      await rm(this.temporary, { force: true });
      throw fileError(error, this.file);
    }
    try {
      await syncFolder(path.dirname(this.file));
    } catch (error) {
      throw fileError(error, path.dirname(this.file));
    }
  }

  /** Drops everything written; the final name is left untouched. Safe to call after commit. */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.buffer = Buffer.allocUnsafeSlow(0);
    this.bufferedBytes = 0;
    await this.handle.close().catch(() => undefined);
    await rm(this.temporary, { force: true });
  }
}

/** Runs `fill` on a fresh writer and commits, or aborts when `fill` throws. */
export async function withAtomicFile<T>(
  file: string,
  fill: (writer: AtomicFileWriter) => Promise<T>,
): Promise<T> {
  const writer = await AtomicFileWriter.open(file);
  let result: T;
  try {
    result = await fill(writer);
  } catch (error) {
    await writer.abort();
    throw error;
  }
  await writer.commit();
  return result;
}

/** Writes a whole file atomically. */
export function writeFileAtomic(file: string, data: string | Uint8Array): Promise<void> {
  return withAtomicFile(file, (writer) => writer.write(data));
}

/** Whether `name` is a temporary of an AtomicFileWriter (of process `pid`, when given). */
export function isTemporaryName(name: string, pid?: number): boolean {
  const match = /^\..+\.(\d+)\.[0-9a-f]{8}\.tmp$/.exec(name);
  return match !== null && (pid === undefined || Number(match[1]) === pid);
}

/** Removes the temporaries that process `pid` left for `file` (a process killed with SIGKILL cannot remove its own). */
export async function removeTemporaries(file: string, pid: number): Promise<void> {
  const folder = path.dirname(file);
  const prefix = `.${path.basename(file)}.`;
  const names = await readdir(folder).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((name) => name.startsWith(prefix) && isTemporaryName(name, pid))
      .map((name) => rm(path.join(folder, name), { force: true })),
  );
}
