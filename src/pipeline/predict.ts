import { createReadStream, existsSync } from 'node:fs';
import { mkdir, readdir, readFile, rename, rm, stat } from 'node:fs/promises';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { z } from 'zod';
import { createEmbeddingPool, type FileFailure, type PoolEvent, type PoolStats } from '../embed';
import { outputPathFor } from '../embed/embed-file';
import { AtomicFileWriter, writeFileAtomic } from '../io/atomic-write';
import { stopsAllWrites } from '../io/file-errors';
import { readFasta } from '../io/fasta';
import {
  readManifest,
  type ClassifierManifest,
  type EmbeddingManifest,
  type LoadedManifest,
} from '../models/manifest';
import { native } from '../native';
import { chunkSpans } from './chunk';
import {
  classifyRows,
  loadClassifier,
  mergeFeatures,
  readEmbeddingsFile,
  type FeatureModel,
} from './classify';
import { PREDICTION_PLOT, renderPlotSvg, wantsPlot, type PlotRecord } from './plot';
import {
  ChunkScores,
  chunkIsVirus,
  HIGHEST_SCORE,
  highestScoreTable,
  modifiedId,
  PREDICTION_HEADER,
  PREDICTION_RESULTS,
  PREDICTION_SUMMARY,
  predictionLine,
  summarizeRecord,
  SUMMARY_HEADER,
  summaryLine,
  type RecordCall,
} from './prediction-files';
import { PredictError, PredictInterrupted } from './predict-errors';
import { prepareShards, RECORDS_FILE, type PrepareResult } from './prepare';

// `predict`: FASTA in, VirNucPro's prediction files out. Each stage reads what the previous one wrote
// in OUTDIR/.virnucpro-work, and every file there is written atomically, so a killed run resumes from
// the last complete file and finishes with the same bytes as an uninterrupted one.

const positiveInt = z.number().int().positive();

export const predictOptionsSchema = z
  .strictObject({
    inputs: z.array(z.string().min(1)).min(1),
    outDir: z.string().min(1),
    /** folder with the exported esm2/, dnabert-s/ and classifier/ */
    models: z.string().min(1),
    /** must match the classifier's; default: the classifier's */
    chunkSize: positiveInt.optional(),
    devices: z
      .union([z.literal('cpu'), z.literal('all'), z.array(z.number().int().nonnegative()).min(1)])
      .default('cpu'),
    workers: positiveInt.default(1),
    tokensPerBatch: positiveInt.nullable().default(null),
    dtype: z.enum(['fp32', 'fp16', 'bf16']).default('fp32'),
    resume: z.boolean().default(false),
    force: z.boolean().default(false),
    keepIntermediate: z.boolean().default(false),
    renameDuplicates: z.boolean().default(false),
    plot: z
      .union([
        z.strictObject({ count: z.number().int().nonnegative() }),
        z.strictObject({ ids: z.array(z.string()) }),
      ])
      .default({ count: 20 }),
    /** frames per shard file (the unit of embedding work and of resume) */
    shardSize: positiveInt.default(10000),
    /** write a JSON report of the run here */
    report: z.string().nullable().default(null),
  })
  .refine((o) => !(o.resume && o.force), { message: 'resume and force exclude each other' });

export type PredictOptions = z.input<typeof predictOptionsSchema>;
type Options = z.output<typeof predictOptionsSchema>;

export type PredictStage = 'prepare' | 'dnabert-s' | 'esm2' | 'classify' | 'write';

export type PredictEvent =
  | { type: 'stage'; stage: PredictStage; total: number | null; unit: string }
  | { type: 'advance'; stage: PredictStage; amount: number; tokens?: number }
  | { type: 'stage-done'; stage: PredictStage }
  | { type: 'warning'; message: string }
  | { type: 'info'; message: string };

export interface PredictHooks {
  onEvent?: (event: PredictEvent) => void;
  /** aborting closes the workers; the run stops with PredictInterrupted and can be resumed */
  signal?: AbortSignal;
}

export interface PredictResult {
  /** 0 all done, 2 partial (shards failed after retries; listed in `failed`) */
  exitCode: 0 | 2;
  outDir: string;
  files: string[];
  records: number;
  frames: number;
  calls: Record<RecordCall, number>;
  failed: FileFailure[];
  alreadyComplete: boolean;
}

const WORK_DIR = '.virnucpro-work';
const RUN_FILE = '.virnucpro-run.json';
const EMBEDDINGS_DIR = 'embeddings';
const FINAL_FILES = [PREDICTION_RESULTS, HIGHEST_SCORE, PREDICTION_SUMMARY, PREDICTION_PLOT];

interface ModelSet {
  esm2: LoadedManifest & EmbeddingManifest;
  dnabert: LoadedManifest & EmbeddingManifest;
  classifier: LoadedManifest & ClassifierManifest;
}

function loadModels(dir: string, chunkSize: number | undefined): ModelSet {
  const load = (name: string, kind: string) => {
    const folder = path.join(dir, name);
    if (!existsSync(path.join(folder, 'manifest.json'))) {
      throw new PredictError(`${folder}: no exported model (manifest.json); see 'virnucpro export --help'`);
    }
    const manifest = readManifest(folder);
    if (manifest.kind !== kind)
      throw new PredictError(`${folder}: a ${manifest.kind} model, expected ${kind}`);
    return manifest;
  };
  const models = {
    esm2: load('esm2', 'esm2') as ModelSet['esm2'],
    dnabert: load('dnabert-s', 'dnabert-s') as ModelSet['dnabert'],
    classifier: load('classifier', 'classifier') as ModelSet['classifier'],
  };
  const trained = models.classifier.chunk_size;
  if (chunkSize !== undefined && chunkSize !== trained) {
    throw new PredictError(
      `chunk size ${chunkSize} does not match the classifier in ${models.classifier.dir}, trained on ${trained}-nt chunks`,
    );
  }
  for (const feature of models.classifier.features) {
    const dim = feature.model === 'esm2' ? models.esm2.dim : models.dnabert.dim;
    if (dim !== feature.dim) {
      throw new PredictError(
        `the classifier expects ${feature.dim} ${feature.model} values per frame; the model gives ${dim}`,
      );
    }
  }
  return models;
}

/** What a resumed run must share with the interrupted one. */
async function fingerprint(options: Options, models: ModelSet, chunkSize: number) {
  const inputs = [];
  for (const input of options.inputs) {
    let info;
    try {
      info = await stat(input);
    } catch {
      throw new PredictError(`${input}: no such file`);
    }
    inputs.push({ path: path.resolve(input), size: info.size, mtimeMs: info.mtimeMs });
  }
  return {
    format: 'virnucpro-predict/1',
    inputs,
    chunkSize,
    shardSize: options.shardSize,
    renameDuplicates: options.renameDuplicates,
    keepIntermediate: options.keepIntermediate,
    models: [models.dnabert, models.esm2, models.classifier].map((m) => ({
      arch: m.arch,
      sha256: m.source_sha256,
    })),
  };
}

type Fingerprint = Awaited<ReturnType<typeof fingerprint>>;

interface RunState {
  fingerprint: Fingerprint;
  complete: boolean;
}

/** Deletes what an earlier run of predict left in the folder (never anything else). */
async function removeRunFiles(outDir: string): Promise<void> {
  const names = await readdir(outDir).catch(() => [] as string[]);
  const ours = (name: string) =>
    FINAL_FILES.includes(name) ||
    name === WORK_DIR ||
    name === RUN_FILE ||
    name === EMBEDDINGS_DIR ||
    /_chunked\d+\.fa$|_identified_nucleotide\.fa$|_identified_protein\.faa$/.test(name) ||
    /^\..*\.tmp$/.test(name);
  await Promise.all(
    names.filter(ours).map((name) => rm(path.join(outDir, name), { recursive: true, force: true })),
  );
}

/** Temporaries of a killed process (`.<name>.<pid>.<random>.tmp`), in the folder and below. */
async function removeTemporaries(dir: string): Promise<void> {
  const entries = await readdir(dir, { withFileTypes: true }).catch(() => []);
  await Promise.all(
    entries.map((entry) => {
      const full = path.join(dir, entry.name);
      if (entry.isDirectory()) return removeTemporaries(full);
      return /^\..*\.tmp$/.test(entry.name) ? rm(full, { force: true }) : Promise.resolve();
    }),
  );
}

/** Applies the folder policy: refuse an existing folder unless resuming or forced. Returns the saved state. */
async function claimOutDir(options: Options, current: Fingerprint): Promise<RunState | null> {
  const { outDir } = options;
  const entries = existsSync(outDir) ? await readdir(outDir) : [];
  if (entries.length > 0 && !options.resume && !options.force) {
    throw new PredictError(
      `${outDir} already exists and is not empty; use --resume to continue an interrupted run there, or --force to start over`,
    );
  }
  if (options.force) await removeRunFiles(outDir);
  await mkdir(outDir, { recursive: true });
  if (!options.resume) return null;
  let state: RunState;
  try {
    state = JSON.parse(await readFile(path.join(outDir, RUN_FILE), 'utf8')) as RunState;
  } catch {
    if (entries.length === 0) return null;
    throw new PredictError(`${outDir}: no interrupted predict run to resume; use --force to start over`);
  }
  if (JSON.stringify(state.fingerprint) !== JSON.stringify(current)) {
    throw new PredictError(
      `${outDir}: the inputs, models or options differ from the run being resumed; use --force to start over`,
    );
  }
  await removeTemporaries(outDir);
  return state;
}

function classifierDevice(devices: Options['devices']): string {
  if (devices === 'cpu') return 'cpu';
  if (devices === 'all') return native().buildInfo().cudaDeviceCount > 0 ? 'cuda:0' : 'cpu';
  return `cuda:${devices[0]}`;
}

async function* tsvRows(file: string): AsyncGenerator<string[]> {
  const lines = createInterface({ input: createReadStream(file), crlfDelay: Infinity });
  for await (const line of lines) if (line !== '') yield line.split('\t');
}

async function frameIdsOf(file: string): Promise<string[]> {
  const ids: string[] = [];
  for await (const record of readFasta(file, { duplicateIds: 'allow' })) ids.push(record.id);
  return ids;
}

const PREPARED_FILE = 'prepared.json';

export async function predict(input: PredictOptions, hooks: PredictHooks = {}): Promise<PredictResult> {
  const parsed = predictOptionsSchema.safeParse(input);
  if (!parsed.success) throw new PredictError(`invalid predict options: ${z.prettifyError(parsed.error)}`);
  const options = parsed.data;
  const emit = (event: PredictEvent) => hooks.onEvent?.(event);
  const models = loadModels(options.models, options.chunkSize);
  const chunkSize = models.classifier.chunk_size;
  const current = await fingerprint(options, models, chunkSize);
  const outDirExisted = existsSync(options.outDir);
  const state = await claimOutDir(options, current);
  const { outDir } = options;
  const workDir = path.join(outDir, WORK_DIR);
  const runFile = path.join(outDir, RUN_FILE);

  if (state?.complete) {
    emit({ type: 'info', message: `${outDir}: this run is already complete; nothing to do` });
    return { ...(await summaryOfFinishedRun(outDir)), outDir, alreadyComplete: true };
  }
  // the record first: a folder without one (this write failed on a full disk) can be resumed only if empty
  await writeFileAtomic(runFile, `${JSON.stringify({ fingerprint: current, complete: false }, null, 2)}\n`);
  await mkdir(workDir, { recursive: true });

  // Stage 1: chunks and frames into shards (redone whole unless it finished: it is cheap and pure).
  const preparedFile = path.join(workDir, PREPARED_FILE);
  let prepared: PrepareResult;
  if (existsSync(preparedFile)) {
    prepared = JSON.parse(await readFile(preparedFile, 'utf8')) as PrepareResult;
    for (const { from, to } of prepared.renames) {
      emit({ type: 'warning', message: `duplicate id "${from}" renamed to "${to}"` });
    }
  } else {
    emit({ type: 'stage', stage: 'prepare', total: null, unit: 'records' });
    let reported = 0;
    try {
      prepared = await prepareShards({
        inputs: options.inputs,
        workDir,
        chunkSize,
        shardSize: options.shardSize,
        renameDuplicates: options.renameDuplicates,
        intermediateDir: options.keepIntermediate ? outDir : null,
        onRecords: (records) => {
          emit({ type: 'advance', stage: 'prepare', amount: records - reported });
          reported = records;
        },
        onWarning: (message) => emit({ type: 'warning', message }),
        signal: hooks.signal,
      });
    } catch (error) {
      if (error instanceof PredictInterrupted) throw error;
      // bad input: leave nothing behind
      if (outDirExisted) await removeRunFiles(outDir);
      else await rm(outDir, { recursive: true, force: true });
      throw error instanceof Error ? new PredictError(error.message, { cause: error }) : error;
    }
    await writeFileAtomic(preparedFile, JSON.stringify(prepared));
    emit({ type: 'stage-done', stage: 'prepare' });
  }

  if (options.keepIntermediate) await takeBackKeptEmbeddings(outDir, workDir);
  const context: StageContext = { options, models, workDir, emit, signal: hooks.signal };
  const embedded = await embedShards(context, prepared);
  const { failed } = embedded;
  const failedShards = new Set(
    prepared.shards.filter((s) =>
      failed.some((f) => f.file.endsWith(s.nucleotide) || f.file.endsWith(s.protein)),
    ),
  );
  if (prepared.shards.length > 0 && failedShards.size === prepared.shards.length) {
    throw new Error(`every shard failed: ${failed[0].error}`);
  }

  const results = await AtomicFileWriter.open(path.join(outDir, PREDICTION_RESULTS));
  let calls: Record<RecordCall, number>;
  try {
    const { scores, unscoredChunks } = await classifyShards(context, prepared, failedShards, results);
    emit({ type: 'stage', stage: 'write', total: prepared.records, unit: 'records' });
    await writeFileAtomic(path.join(outDir, HIGHEST_SCORE), highestScoreTable(scores));
    const summary = await writeSummary(context, chunkSize, scores, unscoredChunks);
    calls = summary.calls;
    await results.commit();
    await writeFileAtomic(
      path.join(outDir, PREDICTION_PLOT),
      await renderPlotSvg(summary.plotRecords, chunkSize),
    );
  } catch (error) {
    await results.abort();
    throw error;
  }
  const files = [...FINAL_FILES];
  if (options.keepIntermediate) files.push(...prepared.intermediates);
  if (options.keepIntermediate && failed.length === 0) {
    const kept = path.join(outDir, EMBEDDINGS_DIR);
    await mkdir(kept, { recursive: true });
    for (const name of ['dnabert-s', 'esm2']) {
      const dir = path.join(workDir, name);
      if (existsSync(dir)) await rename(dir, path.join(kept, name));
    }
    files.push(EMBEDDINGS_DIR);
  }
  emit({ type: 'stage-done', stage: 'write' });

  const result: PredictResult = {
    exitCode: failed.length > 0 ? 2 : 0,
    outDir,
    files,
    records: prepared.records,
    frames: prepared.frames,
    calls,
    failed,
    alreadyComplete: false,
  };
  if (options.report) {
    const report = {
      ...result,
      inputs: options.inputs,
      chunkSize,
      chunks: prepared.chunks,
      shards: prepared.shards.length,
      renames: prepared.renames,
      emptyRecords: prepared.emptyRecords,
      pool: embedded.stats,
    };
    await writeFileAtomic(options.report, `${JSON.stringify(report, null, 2)}\n`);
  }
  if (failed.length === 0) {
    await writeFileAtomic(
      runFile,
      `${JSON.stringify({ fingerprint: current, complete: true, result }, null, 2)}\n`,
    );
    await rm(workDir, { recursive: true, force: true });
  }
  return result;
}

interface StageContext {
  options: Options;
  models: ModelSet;
  workDir: string;
  emit: (event: PredictEvent) => void;
  signal?: AbortSignal;
}

/**
 * A run that failed after moving the kept embeddings out of the work folder (say, on a full disk while
 * recording that it finished) resumes from them instead of embedding again into the work folder.
 */
async function takeBackKeptEmbeddings(outDir: string, workDir: string): Promise<void> {
  for (const name of ['dnabert-s', 'esm2']) {
    const kept = path.join(outDir, EMBEDDINGS_DIR, name);
    const work = path.join(workDir, name);
    if (existsSync(kept) && !existsSync(work)) await rename(kept, work);
  }
}

/** Stage 2: both embeddings of every shard through one pool of persistent workers (done shards skipped). */
async function embedShards(
  { options, models, workDir, emit, signal }: StageContext,
  prepared: PrepareResult,
): Promise<{ failed: FileFailure[]; stats: PoolStats | null }> {
  if (prepared.shards.length === 0) return { failed: [], stats: null };
  const pool = createEmbeddingPool({
    models: [models.dnabert.dir, models.esm2.dir],
    devices: options.devices,
    workers: options.workers,
    tokensPerBatch: options.tokensPerBatch,
    dtype: options.dtype,
  });
  const stageOf = (file: string): PredictStage => (file.endsWith('.faa') ? 'esm2' : 'dnabert-s');
  const unwritable: FileFailure[] = [];
  pool.on('progress', (event: PoolEvent) => {
    // a full disk fails every shard: stop at the first instead of embedding all to throw them away
    if (event.type === 'file-failed' && stopsAllWrites(event)) {
      unwritable.push(event);
      void pool.close();
      return;
    }
    if (event.type === 'batch') {
      emit({ type: 'advance', stage: stageOf(event.file), amount: event.sequences, tokens: event.tokens });
    } else if (event.type === 'file-failed') {
      emit({ type: 'warning', message: `${path.basename(event.file)} failed: ${event.error}` });
    } else if (event.type === 'worker-died') {
      emit({ type: 'warning', message: `worker ${event.worker} died; retrying its files` });
    }
  });
  // Closing the pool settles both embedFiles calls, with the unfinished files listed as interrupted.
  const stopOnAbort = () => void pool.close();
  if (signal?.aborted) stopOnAbort();
  signal?.addEventListener('abort', stopOnAbort);
  try {
    emit({ type: 'stage', stage: 'dnabert-s', total: prepared.frames, unit: 'frames' });
    emit({ type: 'stage', stage: 'esm2', total: prepared.frames, unit: 'frames' });
    const [dna, protein] = await Promise.all([
      pool.embedFiles(
        prepared.shards.map((s) => path.join(workDir, s.nucleotide)),
        path.join(workDir, 'dnabert-s'),
        models.dnabert.dir,
      ),
      pool.embedFiles(
        prepared.shards.map((s) => path.join(workDir, s.protein)),
        path.join(workDir, 'esm2'),
        models.esm2.dir,
      ),
    ]);
    const [failure] = unwritable;
    if (failure) throw Object.assign(new Error(failure.error), { code: failure.code });
    emit({ type: 'stage-done', stage: 'dnabert-s' });
    emit({ type: 'stage-done', stage: 'esm2' });
    if (signal?.aborted || dna.interrupted.length + protein.interrupted.length > 0)
      throw new PredictInterrupted();
    return { failed: [...dna.failed, ...protein.failed], stats: pool.stats() };
  } catch (error) {
    throw signal?.aborted ? new PredictInterrupted() : error;
  } finally {
    signal?.removeEventListener('abort', stopOnAbort);
    await pool.close();
  }
}

/** Stage 3: merge by frame id and classify, shard by shard, streaming prediction_results.txt. */
async function classifyShards(
  { models, workDir, emit, signal, options }: StageContext,
  prepared: PrepareResult,
  failedShards: Set<PrepareResult['shards'][number]>,
  results: AtomicFileWriter,
): Promise<{ scores: ChunkScores; unscoredChunks: Set<string> }> {
  const scores = new ChunkScores();
  const unscoredChunks = new Set<string>();
  await results.write(PREDICTION_HEADER);
  emit({ type: 'stage', stage: 'classify', total: prepared.frames, unit: 'frames' });
  const classifier =
    prepared.shards.length > 0
      ? await loadClassifier(models.classifier, classifierDevice(options.devices))
      : '';
  for (const shard of prepared.shards) {
    if (signal?.aborted) throw new PredictInterrupted();
    const frameIds = await frameIdsOf(path.join(workDir, shard.nucleotide));
    if (failedShards.has(shard)) {
      for (const id of frameIds) unscoredChunks.add(modifiedId(id));
      continue;
    }
    const files: Record<FeatureModel, string> = {
      'dnabert-s': outputPathFor(shard.nucleotide, path.join(workDir, 'dnabert-s')),
      esm2: outputPathFor(shard.protein, path.join(workDir, 'esm2')),
    };
    const blocks = [];
    for (const feature of models.classifier.features) {
      const file = files[feature.model];
      blocks.push({ ...feature, file, embeddings: await readEmbeddingsFile(file) });
    }
    const features = mergeFeatures(frameIds, blocks);
    const shardScores = await classifyRows(classifier, frameIds, features, models.classifier.input_dim);
    let text = '';
    for (const score of shardScores) {
      scores.add(score);
      text += predictionLine(score);
    }
    await results.write(text);
    emit({ type: 'advance', stage: 'classify', amount: frameIds.length });
  }
  emit({ type: 'stage-done', stage: 'classify' });
  return { scores, unscoredChunks };
}

/** Stage 4: one summary row per input record (from records.tsv), and the records to plot. */
async function writeSummary(
  { options, workDir, emit }: StageContext,
  chunkSize: number,
  scores: ChunkScores,
  unscoredChunks: Set<string>,
): Promise<{ calls: Record<RecordCall, number>; plotRecords: PlotRecord[] }> {
  const calls: Record<RecordCall, number> = { virus: 0, others: 0, no_frame: 0, empty: 0, not_scored: 0 };
  const plotRecords: PlotRecord[] = [];
  const summary = await AtomicFileWriter.open(path.join(options.outDir, PREDICTION_SUMMARY));
  try {
    await summary.write(SUMMARY_HEADER);
    let index = 0;
    for await (const [id, lengthText] of tsvRows(path.join(workDir, RECORDS_FILE))) {
      const length = Number(lengthText);
      const spans = chunkSpans(length, chunkSize);
      const chunkIds = spans.map((_, k) => `${id}_chunk_${k + 1}`);
      const record = summarizeRecord(id, length, chunkIds, scores);
      if (chunkIds.some((chunkId) => unscoredChunks.has(chunkId))) record.call = 'not_scored';
      calls[record.call]++;
      await summary.write(summaryLine(record));
      if (length > 0 && wantsPlot(options.plot, id, index)) {
        plotRecords.push({
          id,
          length,
          call: record.call,
          chunks: spans.map(([start, end], k) => {
            const chunk = scores.get(chunkIds[k]);
            const call = !chunk ? 'no_frame' : chunkIsVirus(chunk) ? 'virus' : 'others';
            return { start, end, maxVirus: chunk ? chunk.maxVirus : null, call };
          }),
        });
      }
      index++;
    }
    emit({ type: 'advance', stage: 'write', amount: index });
    await summary.commit();
  } catch (error) {
    await summary.abort();
    throw error;
  }
  return { calls, plotRecords };
}

/** The result a finished run recorded. */
async function summaryOfFinishedRun(
  outDir: string,
): Promise<Omit<PredictResult, 'outDir' | 'alreadyComplete'>> {
  const state = JSON.parse(await readFile(path.join(outDir, RUN_FILE), 'utf8')) as { result: PredictResult };
  return state.result;
}
