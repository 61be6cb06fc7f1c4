import { EventEmitter } from 'node:events';
import type { AllocConf } from '../../binding';
import { mkdir, stat } from 'node:fs/promises';
import path from 'node:path';
import { removeTemporaries } from '../io/atomic-write';
import { embeddingsFileState } from '../io/embeddings-file';
import { native } from '../native';
import { modelFolderBytes, planWorkerSlots, type WorkerSlot } from './devices';
import { readEmbeddingManifest } from './embedding-model';
import type { ErrorPayload } from './job-errors';
import type { Job, JobErrorCode, JobResult, JobStats } from './jobs';
import type { EngineOptions } from './engine-options';
import { embedFiles, type EmbedFilesResult } from './embed-files';
import { describeReplacedByDeterministic, replacedByDeterministic } from './options';
import {
  addCounters,
  zeroCounters,
  type WorkerCounters,
  type WorkerMessage,
  type WorkerSetup,
} from './protocol';
import { Scheduler } from './scheduler';
import { WorkerProcess } from './worker-process';

// Longer than most files: the pool's bookkeeping of slots, runs, results and events is one concept;
// dispatch rules are in scheduler.ts and processes in worker-process.ts.

export interface PoolConfig extends EngineOptions {
  /** embedding model folders; every worker loads each once */
  models: string[];
  /** a classifier folder every worker loads too, for classify jobs */
  classifier: string | null;
  duplicateIds: 'error' | 'allow';
}

export interface WorkerStats extends WorkerCounters {
  worker: number;
  device: string;
  /** the live process, if any */
  pid: number | null;
  /** processes started for this worker slot (1 when persistent and nothing died) */
  processes: number;
  /** processes that died while running jobs */
  crashes: number;
  /** from the live (or last) process once it loaded its models */
  setup: WorkerSetup | null;
}

export interface EngineSettings {
  /** options the user gave that --deterministic replaced, with their values */
  replacedByDeterministic: Partial<Pick<EngineOptions, 'threads' | 'tokensPerBatch'>>;
  allocConf: AllocConf | null;
}

/** The workers' counters summed, and each worker's. */
export interface PoolStats extends WorkerCounters {
  workers: WorkerStats[];
  /** seconds since the pool was created (until close) */
  wallSeconds: number;
}

export type PoolEvent =
  /** one forward call: `members` are the digests (sha256 of the sequence, base64) of the sequences it ran */
  | {
      type: 'batch';
      worker: number;
      model: string;
      jobIds: string[];
      members: string[];
      sequences: number;
      tokens: number;
    }
  | { type: 'job-done'; job: Job; worker: number; stats: JobStats; done: number; total: number }
  | { type: 'job-skipped'; job: Job }
  | { type: 'job-failed'; job: Job; code: JobErrorCode; message: string }
  | { type: 'worker-died'; worker: number; code: number | null; signal: string | null; retrying: string[] };

/** A job with what the pool tracks about it. */
interface Tracked {
  /** unique across the pool's runs: the job's id over IPC (callers' ids are unique only per run) */
  key: string;
  job: Job;
  bytes: number;
  /** see batchGroups */
  group: string;
  /** its output is complete already: the worker computes it for its group's batches but keeps the file */
  complete: boolean;
  run: RunState;
}

interface RunState {
  results: Map<string, JobResult>;
  total: number;
  done: number;
  resolve: () => void;
}

interface Slot {
  index: number;
  plan: WorkerSlot;
  process: WorkerProcess | null;
  finished: WorkerCounters;
  live: WorkerCounters;
  processes: number;
  crashes: number;
  setup: WorkerSetup | null;
  tracked: Map<string, Tracked>;
  /** its process is being stopped to cancel a run: the exit is no failure */
  cancelling: boolean;
}

export interface RunOptions {
  /**
   * aborting stops this run's jobs only (they resolve 'interrupted'): queued ones are dropped and a
   * worker busy with one is stopped; it starts again, loading its models, when more jobs come
   */
  signal?: AbortSignal;
}

/** Bytes of input a persistent worker may hold beyond two jobs. */
const PREFETCH_BYTES = 4 << 20;
/** At most this many input bytes of embed jobs are batched together (small files share batches). */
const GROUP_BYTES = 4 << 20;

/**
 * The jobs batched together, as a pure function of the job list and the worker count (so a rerun groups
 * alike): embed jobs of one model in the order given, a new group when the next job would take the
 * group past `groupBytes` (GROUP_BYTES, or less so that every worker gets a group); each classify job
 * alone, and every job alone for load-per-file workers. Keyed `<model>#<n>` or `job#<job id>`.
 */
export function batchGroups<T>(
  items: T[],
  jobOf: (item: T) => Job,
  bytesOf: (item: T) => number,
  options: { workers: number; persistent: boolean } = { workers: 1, persistent: true },
): Map<string, T[]> {
  const totals = new Map<string, number>();
  for (const item of items)
    totals.set(jobOf(item).model, (totals.get(jobOf(item).model) ?? 0) + bytesOf(item));
  const groups = new Map<string, T[]>();
  const open = new Map<string, { key: string; bytes: number; count: number }>();
  for (const item of items) {
    const job = jobOf(item);
    let key = `job#${job.id}`;
    if (job.kind === 'embed' && options.persistent) {
      const limit = Math.min(GROUP_BYTES, Math.ceil((totals.get(job.model) ?? 0) / options.workers));
      let current = open.get(job.model);
      if (!current || (current.bytes > 0 && current.bytes + bytesOf(item) > limit)) {
        const count = current ? current.count + 1 : 0;
        current = { key: `${job.model}#${count}`, bytes: 0, count };
        open.set(job.model, current);
      }
      current.bytes += bytesOf(item);
      key = current.key;
    }
    groups.set(key, [...(groups.get(key) ?? []), item]);
  }
  return groups;
}

const noStats: JobStats = { sequences: 0, embedded: 0, tokens: 0 };

/**
 * Worker processes, one per GPU or CPU slot, each loading its models once and running the jobs it is
 * handed; see the README for the behaviour on failures and signals.
 */
export class EmbeddingPool extends EventEmitter<{ progress: [PoolEvent] }> {
  private readonly slots: Slot[];
  private readonly scheduler: Scheduler<Tracked>;
  private readonly started = process.hrtime.bigint();
  private stopped: bigint | null = null;
  private closing = false;
  private nextKey = 0;
  private nextRun = 0;

  constructor(private readonly config: PoolConfig) {
    super();
    for (const dir of config.models) readEmbeddingManifest(dir); // fail here, not in every worker
    this.slots = planWorkerSlots(
      config.devices,
      config.workers,
      config.dtype,
      config.threads,
      config.deterministic,
      modelFolderBytes([...config.models, config.classifier]),
    ).map((plan, index) => ({
      index,
      plan,
      process: null,
      finished: zeroCounters(),
      live: zeroCounters(),
      processes: 0,
      crashes: 0,
      setup: null,
      tracked: new Map(),
      cancelling: false,
    }));
    this.scheduler = new Scheduler({
      slots: this.slots.length,
      persistent: config.persistent,
      maxRetries: config.maxRetries,
      prefetchBytes: PREFETCH_BYTES,
    });
  }

  /** The model folder that `model` (a folder or a kind such as 'esm2') names among the pool's models. */
  resolveModel(model: string | undefined): string {
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

  private checkJobs(jobs: Job[]): void {
    const ids = new Set<string>();
    const outputs = new Map<string, string>();
    for (const job of jobs) {
      if (ids.has(job.id)) throw new Error(`two jobs share the id ${job.id}`);
      ids.add(job.id);
      const clash = outputs.get(path.resolve(job.output));
      if (clash !== undefined) throw new Error(`jobs ${clash} and ${job.id} would both write ${job.output}`);
      outputs.set(path.resolve(job.output), job.id);
      const known =
        job.kind === 'embed' ? this.config.models.includes(job.model) : this.config.classifier === job.model;
      if (!known) throw new Error(`job ${job.id}: model ${job.model} is not loaded by this pool`);
    }
  }

  /**
   * Runs the jobs and resolves with one result per job, in the order given. A job whose output already
   * exists, complete and with the job's fingerprint, is skipped; one closed before it finished is
   * 'interrupted'. Never rejects for a job's failure: that is the job's result. Runs may overlap: each
   * batches only its own jobs together.
   */
  async run(jobs: Job[], options: RunOptions = {}): Promise<JobResult[]> {
    if (this.closing) throw new Error('the embedding pool is closed');
    this.checkJobs(jobs);
    const { signal } = options;
    const runId = this.nextRun++;
    let resolve = () => {};
    const finished = new Promise<void>((done) => (resolve = done));
    const run: RunState = { results: new Map(), total: jobs.length, done: 0, resolve };
    const cancel = () => void this.cancel(run);
    signal?.addEventListener('abort', cancel, { once: true });
    try {
      await this.start(run, runId, jobs, signal);
      await finished;
    } finally {
      signal?.removeEventListener('abort', cancel);
    }
    return jobs.map(
      (job) => run.results.get(job.id) ?? { id: job.id, status: 'interrupted', stats: noStats },
    );
  }

  /** Checks each job's output and input, then queues the groups not complete already. */
  private async start(run: RunState, runId: number, jobs: Job[], signal: AbortSignal | undefined) {
    // One job at a time: thousands of shards opened at once would run out of file descriptors.
    const checked: { job: Job; bytes: number; complete: boolean }[] = [];
    for (const job of jobs) {
      // close() ran, or the run was cancelled, while inputs were checked: the rest stay interrupted
      if (this.closing || signal?.aborted) break;
      const complete = (await embeddingsFileState(job.output, job.fingerprint)) === 'complete';
      const inputs = typeof job.input === 'string' ? [job.input] : job.input;
      let bytes = 0;
      try {
        for (const input of inputs) bytes += (await stat(input)).size;
        if (!complete) await mkdir(path.dirname(job.output), { recursive: true });
      } catch (error) {
        if (!complete) {
          const { message } = error as Error;
          run.results.set(job.id, { id: job.id, status: 'failed', code: 'E_INPUT', message, stats: noStats });
          this.emit('progress', { type: 'job-failed', job, code: 'E_INPUT', message });
          continue;
        }
      }
      checked.push({ job, bytes, complete });
    }
    // A group is skipped only when all of it is complete: otherwise it runs whole again, so a resumed
    // run batches every sequence as an uninterrupted one did and writes the same bytes. Its complete
    // outputs are computed for the batches' sake but kept as they are ('skipped').
    const groups = batchGroups(
      checked,
      (item) => item.job,
      (item) => item.bytes,
      { workers: this.slots.length, persistent: this.config.persistent },
    );
    const queued: Tracked[] = [];
    for (const [group, members] of groups) {
      if (members.every((item) => item.complete)) {
        for (const { job } of members) {
          run.results.set(job.id, { id: job.id, status: 'skipped', output: job.output, stats: noStats });
          this.emit('progress', { type: 'job-skipped', job });
        }
        continue;
      }
      for (const { job, bytes, complete } of members) {
        const key = String(this.nextKey++);
        queued.push({ key, job, bytes, group: `${runId}:${group}`, complete, run });
      }
    }
    if (queued.length === 0 || this.closing || signal?.aborted) run.resolve();
    else {
      this.scheduler.enqueue(queued);
      this.dispatch();
    }
  }

  /**
   * Stops one run's jobs: queued ones leave the queue, and a worker busy with one is stopped (the next
   * jobs start a fresh process, which loads the models again); the run resolves once those are gone.
   */
  private async cancel(run: RunState): Promise<void> {
    const mine = (tracked: Tracked) => tracked.run === run;
    this.scheduler.withdraw(mine);
    const stops = this.slots.map(async (slot) => {
      const held = [...slot.tracked.values()].filter(mine);
      if (held.length === 0 || !slot.process) return;
      for (const tracked of held) slot.tracked.delete(tracked.key);
      const worker = slot.process;
      slot.cancelling = true;
      await worker.stop(false);
      if (worker.pid !== null) {
        const pid = worker.pid;
        await Promise.all(held.map((tracked) => removeTemporaries(tracked.job.output, pid)));
      }
    });
    await Promise.all(stops);
    run.resolve();
  }

  stats(): PoolStats {
    const workers = this.slots.map((slot) => ({
      worker: slot.index,
      device: slot.plan.label,
      pid: slot.process?.pid ?? null,
      ...addCounters(slot.finished, slot.live),
      processes: slot.processes,
      crashes: slot.crashes,
      setup: slot.setup,
    }));
    const total = workers.reduce<WorkerCounters>((sum, worker) => addCounters(sum, worker), zeroCounters());
    const end = this.stopped ?? process.hrtime.bigint();
    return { workers, ...total, wallSeconds: Number(end - this.started) / 1e9 };
  }

  /** Stops the workers: idle ones finish cleanly, busy ones are terminated; unfinished jobs are 'interrupted'. */
  async close(): Promise<void> {
    if (this.closing) return;
    this.closing = true;
    const runs = new Set<RunState>();
    for (const tracked of this.scheduler.drain()) runs.add(tracked.run);
    for (const slot of this.slots) for (const tracked of slot.tracked.values()) runs.add(tracked.run);
    await Promise.all(
      this.slots.map((slot) => slot.process?.stop(slot.tracked.size === 0) ?? Promise.resolve()),
    );
    for (const run of runs) run.resolve();
    this.stopped = process.hrtime.bigint();
  }

  private dispatch(): void {
    if (this.closing) return;
    const bySlot = new Map<number, Tracked[]>();
    for (const { slot, job } of this.scheduler.assign()) {
      bySlot.set(slot, [...(bySlot.get(slot) ?? []), job]);
    }
    for (const [index, tracked] of bySlot) {
      const slot = this.slots[index];
      for (const item of tracked) slot.tracked.set(item.key, item);
      const worker = slot.process ?? this.spawn(slot);
      worker.send(
        tracked.map((item) => ({ ...item.job, id: item.key, group: item.group, keep: item.complete })),
      );
      if (!this.config.persistent) worker.closeWhenIdle();
    }
  }

  private spawn(slot: Slot): WorkerProcess {
    const { plan } = slot;
    const worker = new WorkerProcess(
      {
        models: this.config.models,
        classifier: this.config.classifier,
        device: plan.device,
        dtype: plan.dtype,
        threads: plan.threads,
        tokensPerBatch: this.config.tokensPerBatch,
        cacheClearInterval: this.config.cacheClearInterval,
        duplicateIds: this.config.duplicateIds,
        deterministic: this.config.deterministic,
      },
      plan.env,
      {
        message: (message) => this.onMessage(slot, message),
        exit: (code, signal, fatal) => void this.onExit(slot, worker, code, signal, fatal),
      },
    );
    slot.process = worker;
    slot.processes++;
    return worker;
  }

  private settle(tracked: Tracked, result: JobResult, event: PoolEvent | null): void {
    const { run } = tracked;
    if (run.results.has(tracked.job.id)) return;
    run.results.set(tracked.job.id, result);
    run.done++;
    if (event) this.emit('progress', event);
    if (run.results.size === run.total) run.resolve();
  }

  private fail(tracked: Tracked, error: ErrorPayload): void {
    const { job } = tracked;
    this.settle(
      tracked,
      { id: job.id, status: 'failed', code: error.code, message: error.message, stats: noStats },
      { type: 'job-failed', job, code: error.code, message: error.message },
    );
  }

  private take(slot: Slot, key: string): Tracked | undefined {
    const tracked = slot.tracked.get(key);
    if (!tracked) return undefined;
    slot.tracked.delete(key);
    this.scheduler.settle(slot.index, tracked);
    return tracked;
  }

  private onMessage(slot: Slot, message: WorkerMessage): void {
    switch (message.type) {
      case 'ready':
        this.scheduler.ready(slot.index);
        slot.live = message.counters;
        slot.setup = message.setup;
        return;
      case 'progress': {
        const jobIds = message.jobIds.map((key) => slot.tracked.get(key)?.job.id ?? key);
        this.emit('progress', { ...message, type: 'batch', worker: slot.index, jobIds });
        return;
      }
      case 'done': {
        slot.live = message.counters;
        const tracked = this.take(slot, message.jobId);
        if (tracked?.complete) {
          const { job } = tracked;
          this.settle(
            tracked,
            { id: job.id, status: 'skipped', output: job.output, stats: noStats },
            { type: 'job-skipped', job },
          );
        } else if (tracked) {
          const { job, run } = tracked;
          this.settle(
            tracked,
            { id: job.id, status: 'done', output: job.output, stats: message.stats },
            {
              type: 'job-done',
              job,
              worker: slot.index,
              stats: message.stats,
              done: run.done + 1,
              total: run.total,
            },
          );
        }
        this.dispatch();
        return;
      }
      case 'failed': {
        slot.live = message.counters;
        const tracked = this.take(slot, message.jobId);
        if (tracked) this.fail(tracked, message.error);
        this.dispatch();
        return;
      }
      case 'fatal':
        return;
    }
  }

  private async onExit(
    slot: Slot,
    worker: WorkerProcess,
    code: number | null,
    signal: string | null,
    fatal: ErrorPayload | null,
  ): Promise<void> {
    if (slot.process !== worker) return;
    slot.process = null;
    slot.finished = addCounters(slot.finished, slot.live);
    slot.live = zeroCounters();
    const lost = [...slot.tracked.values()];
    slot.tracked.clear();
    if (worker.pid !== null) {
      const pid = worker.pid;
      await Promise.all(lost.map((tracked) => removeTemporaries(tracked.job.output, pid)));
    }
    if (this.closing) return;
    const reason = fatal ? `worker ${slot.index} (${slot.plan.label}) cannot start: ${fatal.message}` : null;
    const { retried, companions, failed } = this.scheduler.exited(slot.index, reason, slot.cancelling);
    slot.cancelling = false;
    // a group runs whole: its members written before the death are computed again, not rewritten
    const rerun = companions.filter((tracked) => tracked.run.results.get(tracked.job.id)?.status === 'done');
    this.scheduler.enqueue(
      rerun.map((tracked) => ({ ...tracked, key: String(this.nextKey++), complete: true })),
    );
    if (lost.length > 0) {
      slot.crashes++;
      const how = signal ?? `exit code ${code}`;
      for (const { job, reason: why, code: failure } of failed) {
        const message = failure === 'E_WORKER_DIED' ? `${why} (last: ${how})` : why;
        this.fail(job, { code: fatal?.code ?? failure, message });
      }
      const retrying = retried.map((tracked) => tracked.job.id);
      this.emit('progress', { type: 'worker-died', worker: slot.index, code, signal, retrying });
    } else {
      for (const { job, reason: why, code: failure } of failed)
        this.fail(job, { code: fatal?.code ?? failure, message: why });
    }
    this.dispatch();
  }

  /**
   * Embeds each file into `<outDir>/<name>.safetensors`, skipping files whose complete output was made
   * from the same input bytes, model and options (any other output there is recomputed).
   */
  embedFiles(files: string[], outDir: string, model?: string): Promise<EmbedFilesResult> {
    return embedFiles(this, files, outDir, model);
  }

  /**
   * What the engine does other than its options say, one line each: options --deterministic replaced,
   * and on GPUs why the CUDA allocator runs without expandable segments.
   */
  get notes(): string[] {
    const replaced = describeReplacedByDeterministic(replacedByDeterministic(this.config));
    const onCuda = this.slots.some((slot) => slot.plan.device !== 'cpu');
    // the parent loads the addon only for GPUs; on CPU the allocator setting does not matter
    const allocator = onCuda ? native().allocConf().note : null;
    return [replaced, allocator].filter((line) => line !== null);
  }

  /**
   * What the engine runs with besides its options: the options --deterministic replaced, and
   * PYTORCH_CUDA_ALLOC_CONF as the workers' addon left it (null before a worker has started).
   */
  get settings(): EngineSettings {
    const setup = this.slots.find((slot) => slot.setup !== null)?.setup ?? null;
    return {
      replacedByDeterministic: replacedByDeterministic(this.config),
      allocConf: setup && { value: setup.allocConf, note: setup.allocConfNote },
    };
  }

  /** What decides an embed job's numbers besides its input: see embed-files.ts. */
  get numericOptions(): { dtype: string; deterministic: boolean } {
    return { dtype: this.slots[0].plan.dtype, deterministic: this.config.deterministic };
  }
}
