import { randomBytes } from 'node:crypto';
import { open, readdir, rename, rm, type FileHandle } from 'node:fs/promises';
import path from 'node:path';

// Outputs appear complete or not at all: bytes go to a temporary file in the same folder, which is
// flushed to disk and then renamed over the final name; the folder is synced so the rename survives a
// crash.

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

/** A file written in pieces that appears under its name only on commit(). */
export class AtomicFileWriter {
  private buffered: Buffer[] = [];
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
    const handle = await open(temporary, 'wx');
    return new AtomicFileWriter(file, temporary, handle, flushBytes);
  }

  async write(data: string | Uint8Array): Promise<void> {
    if (this.done) throw new Error(`${this.file}: write after commit or abort`);
    const bytes =
      typeof data === 'string'
        ? Buffer.from(data)
        : Buffer.from(data.buffer, data.byteOffset, data.byteLength);
    this.buffered.push(bytes);
    this.bufferedBytes += bytes.length;
    if (this.bufferedBytes >= this.flushBytes) await this.flush();
  }

  private async flush(): Promise<void> {
    if (this.bufferedBytes === 0) return;
    const data = Buffer.concat(this.buffered, this.bufferedBytes);
    this.buffered = [];
    this.bufferedBytes = 0;
    await this.handle.write(data);
  }

  /** Flushes, syncs and renames the file into place. */
  async commit(): Promise<void> {
    if (this.done) throw new Error(`${this.file}: already committed or aborted`);
    this.done = true;
    try {
      await this.flush();
      await this.handle.sync();
      await this.handle.close();
      await rename(this.temporary, this.file);
    } catch (error) {
      await this.handle.close().catch(() => undefined);
      await rm(this.temporary, { force: true });
      throw error;
    }
    await syncFolder(path.dirname(this.file));
  }

  /** Drops everything written; the final name is left untouched. Safe to call after commit. */
  async abort(): Promise<void> {
    if (this.done) return;
    this.done = true;
    this.buffered = [];
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
