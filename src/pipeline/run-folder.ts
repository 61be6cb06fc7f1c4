import { existsSync } from 'node:fs';
import { access, constants, mkdir, open, readdir, readFile, rm, rmdir, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { isTemporaryName, writeFileAtomic } from '../io/atomic-write';
import { describeFileError } from '../io/file-errors';
import { PredictError } from './predict-errors';

// The output folder of predict: its layout, the run record (run.json), the lock that keeps a second run
// out, and what --force may delete: exactly the files an earlier run recorded as its own.

export const WORK_DIR = '.virnucpro-work';
export const RUN_RECORD = 'run.json';
/** what the CLI printed during the run(s) in the folder */
export const RUN_LOG = 'virnucpro.log';
export const LOCK_FILE = '.virnucpro.lock';

export type Fingerprint = Record<string, unknown>;

export interface RunRecord {
  format: 'virnucpro-run/1';
  /** what the results depend on; a resumed run must match it exactly */
  fingerprint: Fingerprint;
  /** paths (relative to the folder) this run writes or may write, for a later --force */
  files: string[];
  complete: boolean;
  /** the virnucpro version that wrote the record */
  version?: string;
  /** the command line of the CLI run, or null for a library call */
  command?: string[] | null;
  /** the options after defaults were applied */
  options?: Record<string, unknown>;
  /** sha256 of each model's module and tokenizer, by model */
  models?: Record<string, unknown>;
  /** each input's absolute path and sha256 */
  inputs?: unknown[];
  /** ISO times of this invocation (a resumed run records its own) */
  started?: string;
  ended?: string | null;
  resumed?: boolean;
  counts?: Record<string, unknown>;
  /** seconds per stage of this invocation (stages a resumed run skipped are absent) */
  timings?: Record<string, number>;
  [key: string]: unknown;
}

const forbiddenRoots = ['/proc', '/sys', '/dev'];

function usageError(target: string, reason: string): PredictError {
  return new PredictError(`${target}: ${reason}`, 'E_USAGE');
}

/** The nearest existing path at or above `resolved` (a folder, unless a file stands in the way). */
async function nearestExisting(
  target: string,
  resolved: string,
): Promise<{ path: string; isDirectory: boolean }> {
  let existing = resolved;
  for (;;) {
    try {
      return { path: existing, isDirectory: (await stat(existing)).isDirectory() };
    } catch (error) {
      const { code } = error as NodeJS.ErrnoException;
      const missing = code === 'ENOENT' || code === 'ENOTDIR';
      if (!missing || existing === path.dirname(existing)) {
        throw usageError(target, describeFileError(error, existing));
      }
      existing = path.dirname(existing);
    }
  }
}

async function checkWritableFolder(target: string, folder: string, what: string): Promise<void> {
  await access(folder, constants.W_OK | constants.X_OK).catch((error: unknown) => {
    throw usageError(target, `${what} cannot be written (${describeFileError(error, folder)})`);
  });
}

/**
 * Refuses a path that cannot become `what` (an output folder when `kind` is 'folder', a file written
 * atomically beside its name otherwise) before anything is created: under /proc, /sys or /dev (where
 * even creating a folder may never return), below a file, or in a folder this process cannot write.
 * `createdFolders` are folders the run itself creates first (the report inside the output folder).
 */
export async function checkWritablePath(
  target: string,
  what: string,
  kind: 'folder' | 'file',
  createdFolders: string[] = [],
): Promise<void> {
  const resolved = path.resolve(target);
  const root = forbiddenRoots.find((name) => resolved === name || resolved.startsWith(`${name}/`));
  if (root) throw usageError(target, `${what} cannot be under ${root}`);
  const existing = await nearestExisting(target, resolved);
  if (existing.path === resolved) {
    if (kind === 'folder' && !existing.isDirectory) throw usageError(target, 'exists and is not a folder');
    if (kind === 'file' && existing.isDirectory) throw usageError(target, `${what} is a folder`);
  }
  if (!existing.isDirectory && existing.path !== resolved) {
    throw usageError(target, `${existing.path} is a file, not a folder`);
  }
  const parent = path.dirname(resolved);
  if (kind === 'file' && existing.path !== resolved && existing.path !== parent) {
    const created = createdFolders.some((folder) => path.resolve(folder) === parent);
    if (!created) throw usageError(target, `the folder ${path.dirname(target)} does not exist`);
  }
  const folder = existing.isDirectory ? existing.path : parent;
  await checkWritableFolder(target, folder, what);
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** Keys whose values differ, for a message that says what changed. */
function changedKeys(saved: Fingerprint, current: Fingerprint): string[] {
  const keys = new Set([...Object.keys(saved), ...Object.keys(current)]);
  return [...keys].filter((key) => JSON.stringify(saved[key]) !== JSON.stringify(current[key])).sort();
}

interface LockOwner {
  pid?: number;
  host?: string;
}

/** how often a waiting run looks at a held lock again */
const LOCK_POLL_MS = 500;

export interface ClaimOptions {
  resume: boolean;
  force: boolean;
  fingerprint: Fingerprint;
  /** the run's input files: never deleted, even when inside the folder */
  inputs: string[];
  /** seconds to wait for a live holder of the folder's lock (default 0: refuse at once) */
  lockWait?: number;
}

export class RunFolder {
  private constructor(
    readonly dir: string,
    private readonly createdFolder: boolean,
    /** the record of the run being resumed, or null for a fresh run */
    readonly resumed: RunRecord | null,
  ) {}

  get workDir(): string {
    return path.join(this.dir, WORK_DIR);
  }

  path(name: string): string {
    return path.join(this.dir, name);
  }

  /**
   * Takes the folder for one run: the lock first (a second run waits up to `lockWait`, then exits 2), then the folder policy: an
   * empty or new folder is used as is; otherwise --resume continues a recorded run with the same
   * fingerprint, --force deletes what an earlier run recorded and nothing else, and anything else is
   * refused. On a refusal nothing is left behind.
   */
  static async claim(dir: string, options: ClaimOptions): Promise<RunFolder> {
    await checkWritablePath(dir, 'the output folder', 'folder');
    const createdFolder = !existsSync(dir);
    await mkdir(dir, { recursive: true });
    try {
      await RunFolder.lock(dir, options.lockWait);
    } catch (error) {
      if (createdFolder) await rmdir(dir).catch(() => undefined);
      throw error;
    }
    const folder = new RunFolder(dir, createdFolder, await RunFolder.readRecord(dir));
    try {
      return await folder.applyPolicy(options);
    } catch (error) {
      await folder.release(true);
      throw error;
    }
  }

  /** Takes the lock of a folder holding a finished run, to rewrite its outputs (rescore). */
  static async hold(dir: string): Promise<RunFolder> {
    await RunFolder.lock(dir);
    return new RunFolder(dir, false, await RunFolder.readRecord(dir));
  }

  /**
   * Takes the folder's lock. A lock whose process is gone (same host) is taken over; a live holder is
   * waited for up to `waitSeconds` (a resubmitted cluster job may start while a survivor of the cancelled
   * one is still stopping), then refused with E_LOCKED.
   */
  private static async lock(dir: string, waitSeconds = 0): Promise<void> {
    const deadline = Date.now() + waitSeconds * 1000;
    for (;;) {
      const owner = await RunFolder.tryLock(dir);
      if (owner === null) return;
      const left = deadline - Date.now();
      if (left <= 0) {
        const waited = waitSeconds > 0 ? ` after waiting ${waitSeconds} s (--lock-wait)` : '';
        throw new PredictError(
          `${dir}: another virnucpro run holds this folder (pid ${owner.pid ?? '?'} on ${owner.host ?? '?'})${waited}; ` +
            `wait for it, or remove ${path.join(dir, LOCK_FILE)} if that run is gone`,
          'E_LOCKED',
        );
      }
      await new Promise((resolve) => setTimeout(resolve, Math.min(LOCK_POLL_MS, left)));
    }
  }

  /** One try: null when this process now holds the lock, else what the lock file says of its holder. */
  private static async tryLock(dir: string): Promise<LockOwner | null> {
    const file = path.join(dir, LOCK_FILE);
    const holder = JSON.stringify({
      pid: process.pid,
      host: os.hostname(),
      started: new Date().toISOString(),
    });
    let owner: LockOwner = {};
    for (let attempt = 0; attempt < 2; attempt++) {
      try {
        const handle = await open(file, 'wx');
        await handle.writeFile(holder);
        await handle.close();
        return null;
      } catch (error) {
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
      }
      const text = await readFile(file, 'utf8').catch(() => '');
      owner = {};
      try {
        owner = JSON.parse(text) as LockOwner;
      } catch {
        // a lock being written this instant, or garbage: treat as held unless its process is gone
      }
      const stale = owner.host === os.hostname() && typeof owner.pid === 'number' && !processAlive(owner.pid);
      if (!stale) return owner;
      // remove only the lock read as stale: another run may have taken it over this instant
      if ((await readFile(file, 'utf8').catch(() => null)) === text) await rm(file, { force: true });
    }
    return owner;
  }

  private static async readRecord(dir: string): Promise<RunRecord | null> {
    try {
      const record = JSON.parse(await readFile(path.join(dir, RUN_RECORD), 'utf8')) as RunRecord;
      return record.format === 'virnucpro-run/1' ? record : null;
    } catch {
      return null;
    }
  }

  private async applyPolicy(options: ClaimOptions): Promise<RunFolder> {
    const entries = (await readdir(this.dir)).filter((name) => name !== LOCK_FILE);
    if (options.force) {
      await this.removeRecordedFiles(options.inputs);
      return new RunFolder(this.dir, this.createdFolder, null);
    }
    if (options.resume) {
      if (!this.resumed) {
        if (entries.length === 0) return this;
        throw new PredictError(
          `${this.dir}: no virnucpro run to resume here (no ${RUN_RECORD}); use --force to start over`,
          'E_FOLDER',
        );
      }
      const changed = changedKeys(this.resumed.fingerprint, options.fingerprint);
      if (changed.length > 0) {
        throw new PredictError(
          `${this.dir}: cannot resume: ${changed.join(', ')} differ from the run being resumed; ` +
            `rerun with the same inputs, models and options, or use --force to start over`,
          'E_CHANGED',
        );
      }
      await this.removeTemporaries(this.dir);
      return this;
    }
    if (entries.length > 0) {
      throw new PredictError(
        `${this.dir} already exists and is not empty; use --resume to continue an interrupted run there, or --force to start over`,
        'E_FOLDER',
      );
    }
    return this;
  }

  /**
   * --force: deletes the files the recorded run listed as its own (its work folder whole), never an
   * input of this run, then the folders that deleting left empty.
   */
  private async removeRecordedFiles(inputs: string[]): Promise<void> {
    const record = this.resumed;
    if (!record) return;
    const protectedPaths = new Set(inputs.map((input) => path.resolve(input)));
    const root = path.resolve(this.dir);
    const folders = new Set<string>();
    for (const name of [...record.files, RUN_RECORD]) {
      const full = path.resolve(this.dir, name);
      if (!full.startsWith(`${root}${path.sep}`) || protectedPaths.has(full)) continue;
      if (name === WORK_DIR) await rm(full, { recursive: true, force: true });
      else await rm(full, { force: true }).catch(() => undefined); // a folder is left alone
      for (let folder = path.dirname(full); folder !== root; folder = path.dirname(folder))
        folders.add(folder);
    }
    // deepest first, so a parent empties after its children
    for (const folder of [...folders].sort((a, b) => b.length - a.length)) {
      await rmdir(folder).catch(() => undefined);
    }
  }

  /** Temporaries of a killed run, in the folder and below (the lock says no live run writes here). */
  private async removeTemporaries(dir: string): Promise<void> {
    const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) await this.removeTemporaries(full);
      else if (isTemporaryName(entry.name)) await rm(full, { force: true });
    }
  }

  async writeRecord(record: RunRecord): Promise<void> {
    await writeFileAtomic(this.path(RUN_RECORD), `${JSON.stringify(record, null, 2)}\n`);
  }

  /** Drops the lock; `undo` also removes the folder when this run created it and left it empty. */
  async release(undo = false): Promise<void> {
    await rm(path.join(this.dir, LOCK_FILE), { force: true });
    if (undo && this.createdFolder) await rmdir(this.dir).catch(() => undefined);
  }
}
