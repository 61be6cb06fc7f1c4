import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import {
  AtomicFileWriter,
  injectShortWriteVariable,
  withAtomicFile,
  writeFileAtomic,
} from '../../src/io/atomic-write';
import { describeOnTmpfs, smallDisk } from './full-disk';

let dir: string;
beforeEach(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'virnucpro-atomic-'));
});
afterEach(() => rmSync(dir, { recursive: true, force: true }));

describe('atomic writes', () => {
  it('writes a whole file and leaves no temporary behind', async () => {
    const file = path.join(dir, 'out.txt');
    await writeFileAtomic(file, 'hello\n');
    expect(readFileSync(file, 'utf8')).toBe('hello\n');
    expect(readdirSync(dir)).toEqual(['out.txt']);
  });

  it('shows nothing under the final name until commit, then replaces the old file', async () => {
    const file = path.join(dir, 'big.txt');
    writeFileSync(file, 'old');
    const writer = await AtomicFileWriter.open(file, 16);
    for (let i = 0; i < 100; i++) await writer.write(`line ${i}\n`);
    expect(readFileSync(file, 'utf8')).toBe('old');
    await writer.commit();
    expect(readFileSync(file, 'utf8').split('\n')).toHaveLength(101);
    expect(readdirSync(dir)).toEqual(['big.txt']);
  });

  it('keeps no partial file when filling fails', async () => {
    const file = path.join(dir, 'failed.txt');
    await expect(
      withAtomicFile(file, async (writer) => {
        await writer.write('partial');
        throw new Error('boom');
      }),
    ).rejects.toThrow('boom');
    expect(existsSync(file)).toBe(false);
    expect(readdirSync(dir)).toEqual([]);
  });
});

describe('short writes and a full disk (injected at the one place that writes files)', () => {
  afterEach(() => delete process.env[injectShortWriteVariable]);
  const text = Array.from({ length: 2000 }, (_, i) => `line ${i}\n`).join('');

  it('finishes a write that came up short with the rest of the bytes', async () => {
    process.env[injectShortWriteVariable] = '100:once';
    const file = path.join(dir, 'whole.txt');
    await writeFileAtomic(file, text);
    expect(readFileSync(file, 'utf8')).toBe(text);
    expect(readdirSync(dir)).toEqual(['whole.txt']);
  });

  it.each([0, 1, 5000, text.length - 1])(
    'fails naming the path and the full disk when %i bytes fit, leaving no file and no temporary',
    async (room) => {
      process.env[injectShortWriteVariable] = String(room);
      const file = path.join(dir, 'full.txt');
      const error = await writeFileAtomic(file, text).then(
        () => null,
        (thrown: NodeJS.ErrnoException) => thrown,
      );
      expect(error?.message).toBe(`${file}: the disk is full (ENOSPC)`);
      expect(error?.code).toBe('ENOSPC');
      expect(readdirSync(dir)).toEqual([]);
    },
  );

  it('keeps the old file under the final name when the disk fills while replacing it', async () => {
    const file = path.join(dir, 'kept.txt');
    writeFileSync(file, 'old');
    process.env[injectShortWriteVariable] = '10';
    const writer = await AtomicFileWriter.open(file, 64);
    // the buffered writes reach the disk, and fail, before commit
    await expect(
      (async () => {
        for (let i = 0; i < 100; i++) await writer.write(`line ${i}\n`);
      })(),
    ).rejects.toThrow(`${file}: the disk is full (ENOSPC)`);
    await writer.abort();
    expect(readFileSync(file, 'utf8')).toBe('old');
    expect(readdirSync(dir)).toEqual(['kept.txt']);
  });

  it('counts the room across files, as one disk', async () => {
    process.env[injectShortWriteVariable] = '11'; // a value of its own: the count starts over
    await writeFileAtomic(path.join(dir, 'a.txt'), '123456');
    await expect(writeFileAtomic(path.join(dir, 'b.txt'), '123456')).rejects.toThrow('disk is full');
    expect(readdirSync(dir)).toEqual(['a.txt']);
  });
});

describe('a read-only or missing folder', () => {
  it('says so with the path', async () => {
    const file = path.join(dir, 'no-such-folder', 'out.txt');
    await expect(writeFileAtomic(file, 'x')).rejects.toThrow(`${file}: no such file or directory (ENOENT)`);
  });
});

describeOnTmpfs('atomic writes onto a real small tmpfs', () => {
  it('fails naming the path and the full disk when the kernel writes short, leaving nothing', async () => {
    const disk = smallDisk(16);
    try {
      const file = path.join(disk.dir, 'big.bin');
      await expect(writeFileAtomic(file, Buffer.alloc(64 * 1024, 7))).rejects.toThrow(
        `${file}: the disk is full (ENOSPC)`,
      );
      expect(readdirSync(disk.dir)).toEqual([]);
    } finally {
      disk.unmount();
    }
  });
});
