import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { mkdir, readFile, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write';

// Fingerprints of what results depend on. A file's bytes are hashed as a stream (sha256); hashes of
// large files that rarely change (models) are cached by device, inode, size and modification time, in
// memory and in the user's cache folder, so a 12 GB checkpoint is read once, not on every run.

export async function sha256File(file: string): Promise<string> {
  const hash = createHash('sha256');
  for await (const chunk of createReadStream(file, { highWaterMark: 1 << 20 })) hash.update(chunk as Buffer);
  return hash.digest('hex');
}

const memo = new Map<string, string>();

function cacheFile(): string {
  const base = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(base, 'virnucpro', 'file-hashes.json');
}

async function readCache(): Promise<Record<string, string>> {
  try {
    return JSON.parse(await readFile(cacheFile(), 'utf8')) as Record<string, string>;
  } catch {
    return {};
  }
}

/** sha256 of a file, reusing an earlier hash while its inode, size and mtime are unchanged. */
export async function cachedSha256File(file: string): Promise<string> {
  const info = await stat(file);
  const key = `${path.resolve(file)}|${info.dev}|${info.ino}|${info.size}|${info.mtimeMs}`;
  const known = memo.get(key) ?? (await readCache())[key];
  if (known) {
    memo.set(key, known);
    return known;
  }
  const hash = await sha256File(file);
  memo.set(key, hash);
  try {
    await mkdir(path.dirname(cacheFile()), { recursive: true });
    await writeFileAtomic(cacheFile(), JSON.stringify({ ...(await readCache()), [key]: hash }));
  } catch {
    // a read-only home only costs the next run another pass over the file
  }
  return hash;
}

/** One hex digest of named parts (their JSON, keys sorted), for exact-match comparisons. */
export function fingerprintOf(parts: Record<string, string | number | boolean | null>): string {
  const sorted = Object.fromEntries(Object.entries(parts).sort(([a], [b]) => (a < b ? -1 : 1)));
  return createHash('sha256').update(JSON.stringify(sorted)).digest('hex');
}
