import { fork, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../native';
import type { ErrorPayload } from './job-errors';
import type { Job } from './jobs';
import { workerConfigVariable, type WorkerConfig, type WorkerMessage } from './protocol';

// One worker process: starting it, talking to it over IPC, noticing when it dies, and cleaning up after
// a death. What to run where is the scheduler's business, not this file's.

function workerScript(): string {
  // Under jest this module runs from its TypeScript source; workers always run the tsc output.
  const compiled = path.join(__dirname, 'worker.js');
  return existsSync(compiled) ? compiled : path.join(packageRoot(), 'dist', 'src', 'embed', 'worker.js');
}

export interface WorkerProcessEvents {
  message: (message: WorkerMessage) => void;
  /** after exit; `fatal` is what the worker said before dying at start, if anything */
  exit: (code: number | null, signal: string | null, fatal: ErrorPayload | null) => void;
}

export class WorkerProcess {
  private readonly child: ChildProcess;
  private fatal: ErrorPayload | null = null;
  private exited = false;

  constructor(config: WorkerConfig, env: NodeJS.ProcessEnv, events: WorkerProcessEvents) {
    this.child = fork(workerScript(), [], {
      env: { ...process.env, ...env, [workerConfigVariable]: JSON.stringify(config) },
      // a worker's stdout goes to our stderr: stdout may carry machine-readable output
      stdio: ['ignore', 2, 2, 'ipc'],
      // Its own process group, so a terminal's Ctrl-C reaches only the parent, which then stops the
      // workers in order; a worker whose parent vanished exits on the IPC disconnect.
      detached: true,
    });
    // send() to a worker that has just died reports EPIPE here; the exit handler deals with its jobs
    this.child.on('error', () => undefined);
    this.child.on('message', (message: WorkerMessage) => {
      if (message.type === 'fatal') this.fatal = message.error;
      events.message(message);
    });
    this.child.on('exit', (code, signal) => {
      this.exited = true;
      events.exit(code, signal, this.fatal);
    });
  }

  get pid(): number | null {
    return this.child.pid ?? null;
  }

  send(jobs: Job[]): void {
    if (this.child.connected) this.child.send({ type: 'jobs', jobs });
  }

  /** Finish the jobs sent, then exit. */
  closeWhenIdle(): void {
    if (this.child.connected) this.child.send({ type: 'close' });
  }

  /** Stop now (SIGTERM; SIGKILL after 10 s), resolving once the process is gone. */
  async stop(graceful: boolean): Promise<void> {
    if (this.exited) return;
    const gone = new Promise<void>((done) => this.child.once('exit', () => done()));
    if (graceful && this.child.connected) this.closeWhenIdle();
    else this.child.kill('SIGTERM');
    const force = setTimeout(() => this.child.kill('SIGKILL'), 10_000);
    await gone.finally(() => clearTimeout(force));
  }
}
