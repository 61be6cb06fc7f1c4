import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LOCK_FILE, RunFolder } from '../../src/pipeline/run-folder';
import { temporaryDir } from '../embed/helpers';

// The folder lock's bounded wait (--lock-wait): a resubmitted cluster job may start while a survivor of
// the job it replaces still holds the lock. A live holder is waited for, a dead one is taken over, and a
// holder that outlives the wait is refused with E_LOCKED.

const claimOptions = { resume: true, force: false, fingerprint: {}, inputs: [] };

let dir: string;
let holder: ChildProcess;

/** A live process on this host whose pid stands in the lock file, as a run's would. */
function lockedFolder(name: string): string {
  const folder = path.join(dir, name);
  mkdirSync(folder);
  holder = spawn(process.execPath, ['-e', 'setTimeout(() => {}, 60000)'], { stdio: 'ignore' });
  writeFileSync(
    path.join(folder, LOCK_FILE),
    JSON.stringify({ pid: holder.pid, host: os.hostname(), started: new Date().toISOString() }),
  );
  return folder;
}

const lockHolder = (folder: string) =>
  (JSON.parse(readFileSync(path.join(folder, LOCK_FILE), 'utf8')) as { pid: number }).pid;

beforeAll(() => {
  dir = temporaryDir('lock-wait');
});

afterEach(() => {
  holder?.kill('SIGKILL');
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('the run lock with a wait', () => {
  it('waits for a live holder and takes the lock over once that process is gone', async () => {
    const folder = lockedFolder('holder-dies');
    let holderGone = false;
    const claimed = RunFolder.claim(folder, { ...claimOptions, lockWait: 60 }).then((run) => {
      expect(holderGone).toBe(true);
      return run;
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    holderGone = true;
    holder.kill('SIGKILL');
    const run = await claimed;
    expect(lockHolder(folder)).toBe(process.pid);
    await run.release();
  });

  it('waits for a live holder and takes the lock once the holder releases it', async () => {
    const folder = lockedFolder('holder-releases');
    let released = false;
    const claimed = RunFolder.claim(folder, { ...claimOptions, lockWait: 60 }).then((run) => {
      expect(released).toBe(true);
      return run;
    });
    await new Promise((resolve) => setTimeout(resolve, 1500));
    released = true;
    rmSync(path.join(folder, LOCK_FILE));
    const run = await claimed;
    expect(lockHolder(folder)).toBe(process.pid);
    await run.release();
  });

  it('refuses with E_LOCKED when the holder outlives the wait, and leaves its lock alone', async () => {
    const folder = lockedFolder('holder-stays');
    await expect(RunFolder.claim(folder, { ...claimOptions, lockWait: 1 })).rejects.toMatchObject({
      code: 'E_LOCKED',
      message: expect.stringMatching(/holds this folder \(pid \d+ on .*\) after waiting 1 s \(--lock-wait\)/),
    });
    expect(lockHolder(folder)).toBe(holder.pid);
  });

  it('takes over the lock of a process that is gone without waiting', async () => {
    const folder = path.join(dir, 'dead-holder');
    mkdirSync(folder);
    const gone = spawnSync(process.execPath, ['-e', '']).pid;
    writeFileSync(path.join(folder, LOCK_FILE), JSON.stringify({ pid: gone, host: os.hostname() }));
    const run = await RunFolder.claim(folder, { ...claimOptions, lockWait: 0 });
    expect(lockHolder(folder)).toBe(process.pid);
    await run.release();
  });
});
