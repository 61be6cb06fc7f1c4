// A pool worker process (dist/src/embed/worker.js): loads its models once, then embeds the files the
// parent sends until told to close. CUDA_VISIBLE_DEVICES and PYTORCH_CUDA_ALLOC_CONF arrive in the
// environment, set by the parent before this process (and so the addon) started.
import type { AtomicFileWriter } from '../io/atomic-write';
import { native } from '../native';
import { embedPreparedFile, prepareFile, type PreparedFile } from './embed-file';
import { EmbeddingModel } from './embedding-model';
import {
  errorPayload,
  injectOutOfMemoryVariable,
  workerConfigVariable,
  zeroCounters,
  type FileJob,
  type ParentMessage,
  type WorkerConfig,
  type WorkerMessage,
} from './protocol';

const config = JSON.parse(process.env[workerConfigVariable] ?? 'null') as WorkerConfig;
const counters = zeroCounters();
const queue: FileJob[] = [];
const preparing = new Map<number, Promise<PreparedFile>>();
const models = new Map<string, EmbeddingModel>();
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

function prepare(job: FileJob): Promise<PreparedFile> {
  let pending = preparing.get(job.id);
  if (!pending) {
    const model = models.get(job.model);
    pending = model
      ? prepareFile(model, job.file, job.outDir, config.duplicateIds)
      : Promise.reject(new Error(`model ${job.model} is not loaded in this worker`));
    pending.catch(() => undefined); // observed when the job's turn comes
    preparing.set(job.id, pending);
  }
  return pending;
}

async function runJob(job: FileJob): Promise<void> {
  try {
    const prepared = await prepare(job);
    // Read and tokenize the next file while this one runs on the device.
    if (queue.length > 0) void prepare(queue[0]);
    const model = models.get(job.model) as EmbeddingModel;
    const result = await embedPreparedFile(
      model,
      prepared,
      ({ sequences, tokens }) => send({ type: 'progress', jobId: job.id, sequences, tokens }),
      (writer) => (currentWriter = writer),
    );
    counters.files++;
    counters.sequences += result.sequences;
    counters.tokens += result.tokens;
    counters.forwardSeconds += result.forwardSeconds;
    counters.oomSplits += result.oomSplits;
    counters.paddedTokens += result.paddedTokens;
    counters.batches += result.batches;
    if (counters.files % config.cacheClearInterval === 0) native().emptyCache();
    counters.cacheClears = native().stats().emptyCacheCalls;
    send({ type: 'done', jobId: job.id, result, counters: { ...counters } });
  } catch (error) {
    send({ type: 'failed', jobId: job.id, error: errorPayload(error), counters: { ...counters } });
  } finally {
    preparing.delete(job.id);
  }
}

async function pump(): Promise<void> {
  if (!ready || busy) return;
  busy = true;
  for (let job = queue.shift(); job; job = queue.shift()) await runJob(job);
  busy = false;
  if (closing) await exit(0);
}

async function start(): Promise<void> {
  const addon = native();
  if (config.threads !== null) addon.setThreads(config.threads);
  const injected = process.env[injectOutOfMemoryVariable];
  if (injected) {
    const [count, minRows] = injected.split(':').map(Number);
    addon.injectOutOfMemory(count, minRows ?? 1);
  }
  for (const dir of config.models) {
    const model = await EmbeddingModel.load(dir, {
      device: config.device,
      dtype: config.dtype,
      tokensPerBatch: config.tokensPerBatch,
    });
    models.set(dir, model);
  }
  // read after every model is loaded: a device budget is measured from the memory left
  const tokenBudgets = Object.fromEntries([...models].map(([dir, model]) => [dir, model.tokenBudget]));
  counters.modelLoads = addon.stats().modelLoads;
  ready = true;
  const setup = {
    visibleDevices: process.env.CUDA_VISIBLE_DEVICES ?? null,
    allocConf: addon.buildInfo().allocConf,
    tokenBudgets,
  };
  send({ type: 'ready', counters: { ...counters }, setup });
  await pump();
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'job') queue.push(message.job);
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
