import { fork, type ChildProcess } from 'node:child_process';
import { EventEmitter } from 'node:events';
import { existsSync } from 'node:fs';
import { mkdir, readdir, rm, stat } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import type { Dtype } from '../../binding';
import { native, packageRoot } from '../native';
import { isCompleteOutput, outputPathFor } from './embed-file';
import { readEmbeddingManifest } from './embedding-model';
import {
  workerConfigVariable,
  zeroCounters,
  type ErrorPayload,
  type WorkerConfig,
  type WorkerCounters,
  type WorkerMessage,
  type WorkerSetup,
} from './protocol';

export interface PoolConfig {
  models: string[];
  /** 'cpu', GPU indices, or 'all' GPUs (CPU when there is none) */
  devices: 'cpu' | 'all' | number[];
  /** CPU worker processes (cores are divided between them); GPUs get one worker each */
  workers: number;
  tokensPerBatch: number | null;
  dtype: Dtype;
  /** false: a fresh process, loading the models again, for every file */
  persistent: boolean;
  cacheClearInterval: number;
  /** how often a file is retried after the worker running it died */
  maxRetries: number;
  duplicateIds: 'error' | 'allow';
}

export interface FileFailure {
  file: string;
  error: string;
  /** the system error code (ENOSPC, EROFS, ...) when there was one */
  code?: string;
}

export interface EmbedFilesResult {
  /** safetensors written by this call, in the order of the input files */
  outputs: string[];
  /** inputs whose complete output already existed */
  skipped: string[];
  failed: FileFailure[];
  /** inputs not finished because the pool was closed */
  interrupted: string[];
  stats: PoolStats;
}

export interface WorkerStats extends WorkerCounters {
  worker: number;
  device: string;
  /** the live process, if any */
  pid: number | null;
  /** processes started for this worker slot (1 when persistent and nothing died) */
  processes: number;
  /** processes that died while running files */
  crashes: number;
  /** from the live (or last) process once it loaded its models */
  setup: WorkerSetup | null;
}

/** The workers' counters summed, and each worker's. */
export interface PoolStats extends WorkerCounters {
  workers: WorkerStats[];
  /** seconds since the pool was created (until close) */
  wallSeconds: number;
}

export type PoolEvent =
  | { type: 'batch'; file: string; worker: number; sequences: number; tokens: number }
  | {
      type: 'file-done';
      file: string;
      output: string;
      worker: number;
      sequences: number;
      done: number;
      total: number;
    }
  | { type: 'file-skipped'; file: string; output: string }
  | ({ type: 'file-failed' } & FileFailure)
  | { type: 'worker-died'; worker: number; code: number | null; signal: string | null; retrying: string[] };

interface Run {
  files: string[];
  outputs: Map<string, string>;
  skipped: string[];
  failed: FileFailure[];
  total: number;
  done: number;
  remaining: number;
  resolve: () => void;
}

interface Job {
  id: number;
  file: string;
  output: string;
  outDir: string;
  model: string;
  bytes: number;
  attempts: number;
  run: Run;
}

interface Slot {
  index: number;
  device: string;
  config: WorkerConfig;
  env: NodeJS.ProcessEnv;
  child: ChildProcess | null;
  ready: boolean;
  inflight: Job[];
  fatal: ErrorPayload | null;
  startupFailures: number;
  disabled: string | null;
  /** counters of this slot's exited processes, and of the live one */
  finished: WorkerCounters;
  live: WorkerCounters;
  processes: number;
  crashes: number;
  setup: WorkerSetup | null;
}

const expandableSegments = 'expandable_segments:True';

/** PYTORCH_CUDA_ALLOC_CONF with expandable segments on, unless the user already chose that option. */
export function allocatorConfig(current: string | undefined): string {
  if (!current) return expandableSegments;
  return /(^|,)\s*expandable_segments\s*:/.test(current) ? current : `${current},${expandableSegments}`;
}

function workerScript(): string {
  // Under jest this module runs from its TypeScript source; workers always run the tsc output.
  const compiled = path.join(__dirname, 'worker.js');
  return existsSync(compiled) ? compiled : path.join(packageRoot(), 'dist', 'src', 'embed', 'worker.js');
}

function addCounters(a: WorkerCounters, b: WorkerCounters): WorkerCounters {
  const sum = zeroCounters();
  for (const key of Object.keys(sum) as (keyof WorkerCounters)[]) sum[key] = a[key] + b[key];
  return sum;
}

// AtomicFileWriter names its temporary `.<name>.<pid>.<random>.tmp` beside the output; a worker killed
// with SIGKILL cannot remove its own, so the parent does.
async function removeTemporaries(output: string, pid: number): Promise<void> {
  const prefix = `.${path.basename(output)}.${pid}.`;
  const names = await readdir(path.dirname(output)).catch(() => [] as string[]);
  await Promise.all(
    names
      .filter((name) => name.startsWith(prefix) && name.endsWith('.tmp'))
      .map((name) => rm(path.join(path.dirname(output), name), { force: true })),
  );
}

/**
 * Worker processes, one per GPU or CPU slot, each loading its models once and embedding the files it
 * is handed; see the README for the behaviour on failures and signals.
 */
export class EmbeddingPool extends EventEmitter<{ progress: [PoolEvent] }> {
  private readonly slots: Slot[];
  private readonly queue: Job[] = [];
  private readonly started = process.hrtime.bigint();
  private stopped: bigint | null = null;
  private nextJobId = 0;
  private closing = false;

  constructor(private readonly config: PoolConfig) {
    super();
    for (const dir of config.models) readEmbeddingManifest(dir); // fail here, not in every worker
    this.slots = this.planSlots();
  }

  private planSlots(): Slot[] {
    const { devices } = this.config;
    const gpus =
      devices === 'all'
        ? Array.from({ length: native().buildInfo().cudaDeviceCount }, (_, i) => i)
        : devices === 'cpu'
          ? []
          : devices;
    const base = {
      models: this.config.models,
      dtype: this.config.dtype,
      tokensPerBatch: this.config.tokensPerBatch,
      cacheClearInterval: this.config.cacheClearInterval,
      duplicateIds: this.config.duplicateIds,
    };
    const slot = (index: number, device: string, config: WorkerConfig, env: NodeJS.ProcessEnv): Slot => ({
      index,
      device,
      config,
      env,
      child: null,
      ready: false,
      inflight: [],
      fatal: null,
      startupFailures: 0,
      disabled: null,
      finished: zeroCounters(),
      live: zeroCounters(),
      processes: 0,
      crashes: 0,
      setup: null,
    });
    if (gpus.length > 0) {
      return gpus.map((gpu, index) =>
        slot(
          index,
          `cuda:${gpu}`,
          { ...base, device: 'cuda:0', threads: null },
          {
            CUDA_VISIBLE_DEVICES: String(gpu),
            PYTORCH_CUDA_ALLOC_CONF: allocatorConfig(process.env.PYTORCH_CUDA_ALLOC_CONF),
          },
        ),
      );
    }
    const threads = Math.max(1, Math.floor(os.availableParallelism() / this.config.workers));
    return Array.from({ length: this.config.workers }, (_, index) =>
      slot(index, 'cpu', { ...base, device: 'cpu', threads }, { CUDA_VISIBLE_DEVICES: '' }),
    );
  }

  /** Embeds each file into `<outDir>/<name>.safetensors`, skipping files whose complete output exists. */
  async embedFiles(files: string[], outDir: string, model?: string): Promise<EmbedFilesResult> {
    if (this.closing) throw new Error('the embedding pool is closed');
    const modelDir = this.resolveModel(model);
    await mkdir(outDir, { recursive: true });
    const inputOf = new Map<string, string>();
    const outputs = files.map((file) => {
      const output = outputPathFor(file, outDir);
      const clash = inputOf.get(output);
      if (clash !== undefined) throw new Error(`${file} and ${clash} would both be written to ${output}`);
      inputOf.set(output, file);
      return output;
    });
    // one file at a time: thousands of shards opened at once would run out of file descriptors
    const sizes: number[] = [];
    const complete: boolean[] = [];
    for (const [i, file] of files.entries()) {
      sizes.push((await stat(file)).size);
      complete.push(await isCompleteOutput(outputs[i]));
    }

    let resolve = () => {};
    const finished = new Promise<void>((done) => (resolve = done));
    const run: Run = {
      files,
      outputs: new Map(),
      skipped: [],
      failed: [],
      total: files.length,
      done: 0,
      remaining: 0,
      resolve,
    };
    files.forEach((file, i) => {
      const output = outputs[i];
      if (complete[i]) {
        run.skipped.push(file);
        this.emit('progress', { type: 'file-skipped', file, output });
        return;
      }
      // close() may have run while the inputs were being checked: leave the rest interrupted
      if (this.closing) return;
      run.remaining++;
      const job = {
        id: this.nextJobId++,
        file,
        output,
        outDir,
        model: modelDir,
        bytes: sizes[i],
        attempts: 0,
        run,
      };
      this.queue.push(job);
    });
    this.queue.sort((a, b) => b.bytes - a.bytes);
    if (run.remaining === 0) resolve();
    this.dispatch();
    await finished;

    const settled = new Set([...run.outputs.keys(), ...run.skipped, ...run.failed.map((f) => f.file)]);
    return {
      outputs: files.filter((file) => run.outputs.has(file)).map((file) => run.outputs.get(file) as string),
      skipped: run.skipped,
      failed: run.failed,
      interrupted: files.filter((file) => !settled.has(file)),
      stats: this.stats(),
    };
  }

  private resolveModel(model: string | undefined): string {
    const { models } = this.config;
    if (model === undefined) {
      if (models.length === 1) return models[0];
      throw new Error(`the pool holds ${models.length} models: say which one (a folder or a kind)`);
    }
    const match =
      models.find((dir) => dir === model || path.resolve(dir) === path.resolve(model)) ??
      models.find((dir) => readEmbeddingManifest(dir).kind === model);
    if (!match) throw new Error(`model ${model} is not one of the pool's models (${models.join(', ')})`);
    return match;
  }

  stats(): PoolStats {
    const workers = this.slots.map((slot) => ({
      worker: slot.index,
      device: slot.device,
      pid: slot.child?.pid ?? null,
      ...addCounters(slot.finished, slot.live),
      processes: slot.processes,
      crashes: slot.crashes,
      setup: slot.setup,
    }));
    const total = workers.reduce<WorkerCounters>((sum, worker) => addCounters(sum, worker), zeroCounters());
    const end = this.stopped ?? process.hrtime.bigint();
    return { workers, ...total, wallSeconds: Number(end - this.started) / 1e9 };
  }

  /** Stops the workers: idle ones finish cleanly, busy ones are terminated; unfinished files stay unwritten. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    for (const job of this.queue.splice(0)) this.settleInterrupted(job);
    const exits = this.slots
      .filter((slot) => slot.child)
      .map((slot) => {
        const child = slot.child as ChildProcess;
        const exited = new Promise<void>((done) => child.once('exit', () => done()));
        if (slot.inflight.length === 0 && child.connected) child.send({ type: 'close' });
        else child.kill('SIGTERM');
        const force = setTimeout(() => child.kill('SIGKILL'), 10_000);
        return exited.finally(() => clearTimeout(force));
      });
    await Promise.all(exits);
    this.stopped = process.hrtime.bigint();
  }

  private dispatch(): void {
    if (this.closing) return;
    const depth = this.config.persistent ? 2 : 1; // persistent workers read the next file while one runs
    while (this.queue.length > 0) {
      const free = this.slots
        .filter(
          (slot) => !slot.disabled && slot.inflight.length < depth && (this.config.persistent || !slot.child),
        )
        .sort((a, b) => a.inflight.length - b.inflight.length)[0];
      if (!free) return;
      const job = this.queue.shift() as Job;
      const child = free.child ?? this.spawn(free);
      free.inflight.push(job);
      child.send({ type: 'job', job: { id: job.id, file: job.file, outDir: job.outDir, model: job.model } });
      if (!this.config.persistent) child.send({ type: 'close' });
    }
  }

  private spawn(slot: Slot): ChildProcess {
    const child = fork(workerScript(), [], {
      env: { ...process.env, ...slot.env, [workerConfigVariable]: JSON.stringify(slot.config) },
      // a worker's stdout goes to our stderr: stdout may carry machine-readable output
      stdio: ['ignore', 2, 2, 'ipc'],
      // Its own process group, so a terminal's Ctrl-C reaches only the parent, which then stops the
      // workers in order; a worker whose parent vanished exits on the IPC disconnect.
      detached: true,
    });
    slot.child = child;
    slot.ready = false;
    slot.fatal = null;
    slot.processes++;
    // send() to a worker that has just died reports EPIPE here; its 'exit' handler retries the jobs
    child.on('error', () => undefined);
    child.on('message', (message: WorkerMessage) => this.onMessage(slot, message));
    child.on('exit', (code, signal) => void this.onExit(slot, child, code, signal));
    return child;
  }

  private takeJob(slot: Slot, jobId: number): Job | undefined {
    const at = slot.inflight.findIndex((job) => job.id === jobId);
    return at === -1 ? undefined : slot.inflight.splice(at, 1)[0];
  }

  private onMessage(slot: Slot, message: WorkerMessage): void {
    switch (message.type) {
      case 'ready':
        slot.ready = true;
        slot.startupFailures = 0;
        slot.live = message.counters;
        slot.setup = message.setup;
        return;
      case 'progress': {
        const job = slot.inflight.find((candidate) => candidate.id === message.jobId);
        if (job) {
          const { sequences, tokens } = message;
          this.emit('progress', { type: 'batch', file: job.file, worker: slot.index, sequences, tokens });
        }
        return;
      }
      case 'done': {
        slot.live = message.counters;
        const job = this.takeJob(slot, message.jobId);
        if (job) {
          job.run.outputs.set(job.file, job.output);
          this.emit('progress', {
            type: 'file-done',
            file: job.file,
            output: job.output,
            worker: slot.index,
            sequences: message.result.sequences,
            done: job.run.done + 1,
            total: job.run.total,
          });
          this.finishJob(job);
        }
        this.dispatch();
        return;
      }
      case 'failed': {
        slot.live = message.counters;
        const job = this.takeJob(slot, message.jobId);
        if (job) this.failJob(job, message.error.message, message.error.code);
        this.dispatch();
        return;
      }
      case 'fatal':
        slot.fatal = message.error;
        return;
    }
  }

  private finishJob(job: Job): void {
    job.run.done++;
    job.run.remaining--;
    if (job.run.remaining === 0) job.run.resolve();
  }

  private failJob(job: Job, error: string, code?: string): void {
    const failure: FileFailure = { file: job.file, error, ...(code ? { code } : {}) };
    job.run.failed.push(failure);
    this.emit('progress', { type: 'file-failed', ...failure });
    this.finishJob(job);
  }

  private async onExit(
    slot: Slot,
    child: ChildProcess,
    code: number | null,
    signal: string | null,
  ): Promise<void> {
    if (slot.child !== child) return;
    slot.child = null;
    slot.finished = addCounters(slot.finished, slot.live);
    slot.live = zeroCounters();
    const lost = slot.inflight.splice(0);
    if (child.pid !== undefined)
      await Promise.all(lost.map((job) => removeTemporaries(job.output, child.pid as number)));
    if (this.closing) {
      for (const job of lost) this.settleInterrupted(job);
      return;
    }
    if (!slot.ready) {
      slot.startupFailures++;
      if (slot.fatal || slot.startupFailures > this.config.maxRetries) {
        const reason =
          slot.fatal?.message ?? `exited with ${signal ?? `code ${code}`} before loading its models`;
        slot.disabled = `worker ${slot.index} (${slot.device}) cannot start: ${reason}`;
      }
    }
    if (lost.length > 0) {
      slot.crashes++;
      const noWorkerLeft = this.slots.every((candidate) => candidate.disabled);
      const retrying: Job[] = [];
      for (const job of lost) {
        job.attempts++;
        if (noWorkerLeft || job.attempts > this.config.maxRetries) {
          const died = `the worker died (${signal ?? `exit code ${code}`}) ${job.attempts} times on it`;
          this.failJob(job, slot.disabled ?? died);
        } else {
          retrying.push(job);
        }
      }
      this.queue.unshift(...retrying);
      const files = retrying.map((job) => job.file);
      this.emit('progress', { type: 'worker-died', worker: slot.index, code, signal, retrying: files });
    }
    if (this.slots.every((candidate) => candidate.disabled)) {
      for (const job of this.queue.splice(0)) this.failJob(job, slot.disabled as string);
    }
    this.dispatch();
  }

  private settleInterrupted(job: Job): void {
    job.run.remaining--;
    if (job.run.remaining === 0) job.run.resolve();
  }
}
