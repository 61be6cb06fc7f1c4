import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { AtomicFileWriter, withAtomicFile, writeFileAtomic } from '../../src/io/atomic-write';

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
