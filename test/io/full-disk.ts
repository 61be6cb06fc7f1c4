import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';

// Shared by the full-disk tests: a real small tmpfs (mounting needs root, as in CI), and the check
// that a folder holds no incomplete file under a final name and no temporary file.

const pageBytes = 4096;

function mountTmpfs(dir: string, kilobytes: number, readOnly = false): void {
  const options = `size=${kilobytes}k${readOnly ? ',ro' : ''}`;
  execFileSync('mount', ['-t', 'tmpfs', '-o', options, 'tmpfs', dir], { stdio: 'pipe' });
}

/** Why a tmpfs cannot be mounted here, or null when it can. */
function tmpfsUnavailable(): string | null {
  if (process.getuid?.() !== 0) return 'mounting a tmpfs needs root';
  const probe = mkdtempSync(path.join(os.tmpdir(), 'virnucpro-tmpfs-probe-'));
  try {
    mountTmpfs(probe, 4);
    execFileSync('umount', [probe]);
    return null;
  } catch (error) {
    return `mount -t tmpfs failed: ${(error as Error).message.split('\n')[0]}`;
  } finally {
    rmSync(probe, { recursive: true, force: true });
  }
}

/** `describe`, or `describe.skip` with the reason on the console when no tmpfs can be mounted. */
export function describeOnTmpfs(name: string, body: () => void): void {
  const reason = tmpfsUnavailable();
  if (reason) {
    console.warn(`skipping "${name}": ${reason}`);
    describe.skip(name, body);
  } else {
    describe(name, body);
  }
}

/** A tmpfs of that many kilobytes (read-only if asked) mounted on a fresh folder; unmount() removes both. */
export function smallDisk(
  kilobytes: number,
  readOnly = false,
): {
  dir: string;
  resize: (kilobytes: number) => void;
  unmount: () => void;
} {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'virnucpro-full-disk-'));
  mountTmpfs(dir, kilobytes, readOnly);
  return {
    dir,
    resize: (size) => execFileSync('mount', ['-o', `remount,size=${size}k`, dir], { stdio: 'pipe' }),
    unmount: () => {
      execFileSync('umount', [dir]);
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Every file under `dir` by its path relative to it (none when there is no such folder). */
export function filesUnder(dir: string): Map<string, Buffer> {
  const files = new Map<string, Buffer>();
  if (!existsSync(dir)) return files;
  const walk = (relative: string) => {
    for (const entry of readdirSync(path.join(dir, relative), { withFileTypes: true })) {
      const name = path.join(relative, entry.name);
      if (entry.isDirectory()) walk(name);
      else files.set(name, readFileSync(path.join(dir, name)));
    }
  };
  walk('');
  return files;
}

/** Pages a tmpfs needs for these files. */
function pagesFor(files: Map<string, Buffer>): number {
  let pages = 0;
  for (const bytes of files.values()) pages += Math.ceil(bytes.length / pageBytes);
  return pages;
}

/** `count` sizes in kilobytes spread evenly below `pages` pages (each too small to hold them). */
function sizesBelow(pages: number, count: number): number[] {
  const sizes = Array.from({ length: count }, (_, k) =>
    Math.max(1, Math.floor((pages * (k + 1)) / (count + 1))),
  );
  return [...new Set(sizes)].map((size) => (size * pageBytes) / 1024);
}

/**
 * No temporary file is left, and every file that `referenceName` maps to a reference file (the rest
 * are internal state) is byte-identical to the uninterrupted run's.
 */
export function expectNothingIncomplete(
  dir: string,
  reference: Map<string, Buffer>,
  referenceName: (name: string) => string | null,
): void {
  const files = filesUnder(dir);
  expect([...files.keys()].filter((name) => name.endsWith('.tmp'))).toEqual([]);
  for (const [name, bytes] of files) {
    const expected = referenceName(name);
    if (expected === null) continue;
    expect({ name, bytes: bytes.length }).toEqual({ name, bytes: reference.get(expected)?.length });
    expect(bytes.equals(reference.get(expected) as Buffer)).toBe(true);
  }
}

/** The file sizes of a tree, so a mismatch shows which file differs. */
export function sizesOf(files: Map<string, Buffer>): Record<string, number> {
  return Object.fromEntries([...files].map(([name, bytes]) => [name, bytes.length]).sort());
}

/**
 * For `count` sizes below what the `reference` files take (so the run cannot finish): `fail` writes
 * `<tmpfs>/out` on a tmpfs that small, then the tmpfs gets room and `finish` continues there.
 */
export async function onDisksTooSmall(
  reference: Map<string, Buffer>,
  count: number,
  fail: (out: string) => Promise<void>,
  finish: (out: string) => Promise<void>,
): Promise<void> {
  for (const kilobytes of sizesBelow(pagesFor(reference), count)) {
    const disk = smallDisk(kilobytes);
    try {
      const out = path.join(disk.dir, 'out');
      await fail(out);
      disk.resize(256 * 1024);
      await finish(out);
    } finally {
      disk.unmount();
    }
  }
}
