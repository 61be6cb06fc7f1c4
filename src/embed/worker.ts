// A pool worker process (dist/src/embed/worker.js): loads its models once, then runs the jobs the parent
// sends until told to close. Its environment (CUDA_VISIBLE_DEVICES) comes from the parent; the addon
// applies the allocator setting when it loads, before CUDA starts.
import type { AtomicFileWriter } from '../io/atomic-write';
import { native } from '../native';
import { CacheClearSchedule } from './cache-clears';
import { loadClassifier, runClassifyJob, type LoadedClassifier } from './classify-job';
import { EmbeddingModel } from './embedding-model';
import { prepareEmbedJob, runEmbedGroup, type PreparedJob } from './embed-job';
import { errorPayload, JobError } from './job-errors';
import type { EmbedJob, Job, JobStats } from './jobs';
import {
  injectOutOfMemoryVariable,
  workerConfigVariable,
  zeroCounters,
  type ParentMessage,
  type WorkerConfig,
  type WorkerJob,
  type WorkerMessage,
} from './protocol';

const config = JSON.parse(process.env[workerConfigVariable] ?? 'null') as WorkerConfig;
const cacheClears = new CacheClearSchedule(config.cacheClearInterval, config.device !== 'cpu');
const counters = { ...zeroCounters(), cacheClears: cacheClears.clears };
const queue: WorkerJob[] = [];
const preparing = new Map<string, Promise<PreparedJob>>();
const models = new Map<string, EmbeddingModel>();

let classifier: LoadedClassifier | null = null;
let ready = false;
let busy = false;
let closing = false;
let currentWriter: AtomicFileWriter | null = null;
let lastSend: Promise<void> = Promise.resolve();

function send(message: WorkerMessage): void {
  lastSend = new Promise((resolve) => process.send?.(message, undefined, {}, () => resolve()));
}

async function exit(code: number): Promise<never> {
  await lastSend;
  process.exit(code);
}

/**
 * Stops at once: removes a half-written output, then kills this process. process.exit() would wait
 * for a forward() running on a native thread to finish, which can take minutes.
 */
async function abandon(): Promise<void> {
  await currentWriter?.abort();
  process.kill(process.pid, 'SIGKILL');
}

const trackWriter = (writer: AtomicFileWriter | null) => (currentWriter = writer);

function modelOf(job: EmbedJob): EmbeddingModel {
  const model = models.get(job.model);
  if (!model) throw new JobError('E_MODEL', `model ${job.model} is not loaded in this worker`);
  return model;
}

function prepare(job: EmbedJob): Promise<PreparedJob> {
  let pending = preparing.get(job.id);
  if (!pending) {
    pending = Promise.resolve().then(() => prepareEmbedJob(modelOf(job), job, config.duplicateIds));
    pending.catch(() => undefined); // observed when the job's turn comes
    preparing.set(job.id, pending);
  }
  return pending;
}

/** `keep`: an embed job whose complete output was kept, not written again. */
function finished(job: Job & { keep?: boolean }, stats: JobStats): void {
  counters.files++;
  counters.sequences += stats.sequences;
  counters.embedded += stats.embedded;
  counters.tokens += stats.tokens;
  if (cacheClears.finished(job)) native().clearCache();
  counters.cacheClears = cacheClears.clears;
  send({ type: 'done', jobId: job.id, stats, counters: { ...counters } });
}

function failed(job: Job, error: unknown): void {
  send({ type: 'failed', jobId: job.id, error: errorPayload(error), counters: { ...counters } });
}

/**
 * The next jobs to run together: the head's batch group, never more (the pool's batchGroups decides what
 * a group is; a classify job, or any job of a load-per-file worker, is a group alone). Other groups
 * queued here are only read and tokenized ahead.
 */
function nextGroup(): WorkerJob[] {
  const head = queue.shift() as WorkerJob;
  const group = [head];
  for (let i = 0; i < queue.length;) {
    if (queue[i].group === head.group) group.push(...queue.splice(i, 1));
    else i++;
  }
  return group;
}

async function runEmbedJobs(jobs: EmbedJob[]): Promise<void> {
  const prepared: PreparedJob[] = [];
  for (const job of jobs) {
    try {
      prepared.push(await prepare(job));
    } catch (error) {
      failed(job, error);
    } finally {
      preparing.delete(job.id);
    }
  }
  // Read and tokenize what is queued next while these run on the device.
  for (const job of queue) if (job.kind === 'embed') void prepare(job).catch(() => undefined);
  if (prepared.length === 0) return;
  const model = modelOf(prepared[0].job);
  const written = new Set<EmbedJob>();
  try {
    await runEmbedGroup(model, prepared, {
      onBatch: ({ jobIds, members, sequences, tokens }) =>
        send({ type: 'progress', jobIds, members, model: model.manifest.dir, sequences, tokens }),
      onEmbedded: (stats) => {
        counters.batches += stats.batches;
        counters.paddedTokens += stats.paddedTokens;
        counters.forwardSeconds += stats.forwardSeconds;
        counters.oomSplits += stats.oomSplits;
      },
      onWriter: trackWriter,
      onJobDone: (job, jobStats) => {
        written.add(job);
        finished(job, jobStats);
      },
    });
  } catch (error) {
    const left = prepared.filter((part) => !written.has(part.job));
    // Shared batches hide whose record failed: run what is left one job at a time to say which.
    if (left.length > 1) {
      for (const part of left) {
        preparing.set(part.job.id, Promise.resolve(part));
        await runEmbedJobs([part.job]);
      }
    } else {
      for (const part of left) failed(part.job, error);
    }
  }
}

async function runGroup(group: WorkerJob[]): Promise<void> {
  const [head] = group;
  if (head.kind === 'embed') return runEmbedJobs(group as EmbedJob[]);
  try {
    if (!classifier) throw new JobError('E_MODEL', 'this worker holds no classifier');
    finished(head, await runClassifyJob(classifier, head, trackWriter));
  } catch (error) {
    failed(head, error);
  }
}

async function pump(): Promise<void> {
  if (!ready || busy) return;
  busy = true;
  while (queue.length > 0) await runGroup(nextGroup());
  busy = false;
  if (closing) await exit(0);
}

async function start(): Promise<void> {
  const addon = native();
  if (config.threads !== null) addon.setThreads(config.threads);
  if (config.deterministic) addon.useDeterministicAlgorithms();
  const injected = process.env[injectOutOfMemoryVariable];
  if (injected) {
    const [count, minRows] = injected.split(':').map(Number);
    addon.injectOutOfMemory(count, minRows ?? 1);
  }
  for (const dir of config.models) {
    const model = await EmbeddingModel.load(dir, {
      device: config.device,
      dtype: config.dtype,
      // deterministic: one sequence per call, so no neighbour changes how its rows are rounded
      tokensPerBatch: config.deterministic ? 1 : config.tokensPerBatch,
    });
    models.set(dir, model);
  }
  if (config.classifier) classifier = await loadClassifier(config.classifier, config.device);
  // read after every model is loaded: a device budget is measured from the memory left
  const tokenBudgets = Object.fromEntries([...models].map(([dir, model]) => [dir, model.tokenBudget]));
  counters.modelLoads = addon.stats().modelLoads;
  ready = true;
  const { allocConf, allocConfNote } = addon.buildInfo();
  const setup = {
    visibleDevices: process.env.CUDA_VISIBLE_DEVICES ?? null,
    allocConf,
    allocConfNote,
    dtype: config.dtype,
    tokenBudgets,
  };
  send({ type: 'ready', counters: { ...counters }, setup });
  await pump();
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'jobs') queue.push(...message.jobs);
  else closing = true;
  void pump();
});
// The parent is gone (nobody will collect results), or we are told to stop.
process.on('disconnect', () => void abandon());
process.on('SIGINT', () => void abandon());
process.on('SIGTERM', () => void abandon());

start().catch(async (error) => {
  send({ type: 'fatal', error: errorPayload(error) });
  await exit(1);
});
