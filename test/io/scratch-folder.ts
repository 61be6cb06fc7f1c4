import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

/** A temporary folder made before the file's tests and removed after them, with a file writer. */
export function scratchFolder(prefix: string) {
  const folder = {
    dir: '',
    write: (name: string, content: string | Buffer): string => {
      const file = path.join(folder.dir, name);
      writeFileSync(file, content);
      return file;
    },
  };
  beforeAll(() => {
    folder.dir = mkdtempSync(path.join(tmpdir(), prefix));
  });
  afterAll(() => rmSync(folder.dir, { recursive: true, force: true }));
  return folder;
}
