import { existsSync } from 'node:fs';
import { mkdir, readFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { AtomicFileWriter, writeFileAtomic } from '../io/atomic-write';
import { sha256File } from '../io/fingerprint';
import { LineReader } from '../io/line-reader';
import type { SequenceFormat } from '../io/sequence-file';
import { packageVersion } from '../native';
import { PREDICTION_PLOT, plotChunks, RunOverview, type PlotSelection } from './plot';
import {
  ChunkScores,
  compareCodePoints,
  HIGHEST_SCORE,
  HIGHEST_SCORE_HEADER,
  PREDICTION_HEADER,
  PREDICTION_RESULTS,
  PREDICTION_SUMMARY,
  SOURCE_COLUMN,
  sourceName,
  type RecordCall,
} from './prediction-files';
import { RUN_LOG, RUN_RECORD, type RunRecord } from './run-folder';
import { RUN_REPORT_FILES, writeRunReport } from './run-report';
import { MANIFEST_HEADER, MANIFEST_INPUT, MANIFEST_RENAME, shardFile } from './split';
import { viralHitsFile, writeViralHits, type ViralHits } from './viral-hits';

// Longer than most files: merge's checks (every shard and record exactly once) and its streaming join
// are one concept.
//
// `merge`: the predict folders of the shards of one `split` into the files one predict run over the
// whole input writes. Rows are put back in input order by walking split's manifest, which also proves
// that every record appears exactly once: each shard's summary must list that shard's records of the
// manifest, in order, and nothing else. A record never spans shards, so each chunk's Is_Virus comes
// whole from one shard and the highest-score table only needs re-sorting. Summary columns after the id
// are copied as they are (the shards must share one header); Length and Call are read for the plot.
// The merged folder is a whole run: the run's outputs (viral_hits.fa or .fq from the inputs split
// recorded, report.html and the MultiQC files) and a run.json that rescore and readRecordCalls read as
// they read a predict folder's.

export { RUN_RECORD as RUN_FILE } from './run-folder';

export class MergeError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MergeError';
  }
}

export interface MergeOptions {
  /** predict output folders, one per shard, in any order */
  folders: string[];
  /** split's manifest.tsv */
  manifest: string;
  outDir: string;
  plot?: PlotSelection;
  /** the command line, recorded in run.json (null for a library call) */
  command?: string[] | null;
}

export interface MergeResult {
  shards: number;
  records: number;
  frames: number;
  chunks: number;
  calls: Record<RecordCall, number>;
  viralHits: number;
  files: string[];
}

/** The files merge joins from the shards' folders. */
const PREDICTION_FILES = [PREDICTION_RESULTS, HIGHEST_SCORE, PREDICTION_SUMMARY, PREDICTION_PLOT];

/**
 * What a finished run folder holds beside run.json and its log, for inputs of one format (split refuses
 * mixed ones); the workflow declares these.
 */
export function resultFiles(format: SequenceFormat): string[] {
  return [...PREDICTION_FILES, viralHitsFile(format)];
}

// The part of predict's run record that merge reads: which shard a folder predicted, with what (the rest
// of the fingerprint: models, chunk size, dtype, ...), and whether that run finished.
const runFileSchema = z.object({
  format: z.literal('virnucpro-run/1'),
  complete: z.boolean(),
  version: z.string().optional(),
  fingerprint: z.looseObject({
    inputs: z.array(z.looseObject({ path: z.string() })),
    chunkSize: z.number().int().positive(),
  }),
  options: z.looseObject({ minScore: z.number().optional() }).optional(),
});
type ShardRun = z.output<typeof runFileSchema>;

/** The part of the manifest above its header: the run's inputs and duplicate policy, as split read them. */
interface ManifestHead {
  inputs: { path: string; sha256: string }[];
  renameDuplicates: boolean;
}

async function readManifestHead(file: string): Promise<ManifestHead> {
  if (!existsSync(file)) throw new MergeError(`${file}: no such manifest`);
  const head: ManifestHead = { inputs: [], renameDuplicates: false };
  const reader = new LineReader(file);
  try {
    for (let text = await reader.take(); text !== null && text.startsWith('#'); text = await reader.take()) {
      const [key, ...values] = text.split('\t');
      if (key === MANIFEST_INPUT && values.length === 2)
        head.inputs.push({ path: values[0], sha256: values[1] });
      else if (key === MANIFEST_RENAME) head.renameDuplicates = values[0] === 'true';
    }
  } finally {
    await reader.close();
  }
  if (head.inputs.length === 0) {
    throw new MergeError(
      `${file}: names no inputs (${MANIFEST_INPUT} lines); it is from an older split: run split again`,
    );
  }
  return head;
}

interface ManifestRow {
  shard: string;
  id: string;
  length: number;
  /** which of the manifest's inputs holds the record (0-based) */
  input: number;
  line: number;
}

async function* manifestRows(file: string): AsyncGenerator<ManifestRow> {
  if (!existsSync(file)) throw new MergeError(`${file}: no such manifest`);
  const reader = new LineReader(file);
  let header = await reader.take();
  while (header?.startsWith('#')) header = await reader.take();
  if (header !== MANIFEST_HEADER.trimEnd()) {
    throw new MergeError(
      `${file}:1: not a split manifest (expected the header ${MANIFEST_HEADER.trimEnd()})`,
    );
  }
  for (let text = await reader.take(); text !== null; text = await reader.take()) {
    const [shard, id, length, input, extra] = text.split('\t');
    if (extra !== undefined || !id || !/^\d+$/.test(length ?? '') || !/^[1-9]\d*$/.test(input ?? '')) {
      throw new MergeError(`${file}:${reader.line}: expected Shard, Sequence_ID, Length and Input`);
    }
    yield { shard, id, length: Number(length), input: Number(input) - 1, line: reader.line };
  }
}

/** One shard's predict folder, open for reading. */
interface ShardOutput {
  shard: string;
  folder: string;
  summary: LineReader;
  results: LineReader;
  /** the id of the summary row taken last, to tell a repeated record from a missing one */
  lastId: string | null;
}

async function readRunFile(folder: string): Promise<ShardRun> {
  const file = path.join(folder, RUN_RECORD);
  if (!existsSync(file)) throw new MergeError(`${folder}: not a predict output folder (no ${RUN_RECORD})`);
  const parsed = runFileSchema.safeParse(JSON.parse(await readFile(file, 'utf8')));
  if (!parsed.success) throw new MergeError(`${file}: not a predict run file`);
  if (!parsed.data.complete) {
    throw new MergeError(`${folder}: its predict run has not finished; rerun predict there with --resume`);
  }
  return parsed.data;
}

/** What the calls depend on besides the input: every fingerprint key but the inputs, and --min-score. */
function settingsOf(run: ShardRun): Record<string, string> {
  const settings = { ...run.fingerprint, inputs: undefined, minScore: run.options?.minScore ?? 0 };
  return Object.fromEntries(
    Object.entries(settings)
      .filter(([, value]) => value !== undefined)
      .map(([key, value]) => [key, JSON.stringify(value)]),
  );
}

/** A predict folder matched to its shard of the manifest. */
interface ShardFolder {
  shard: string;
  folder: string;
  run: ShardRun;
}

/** Which folder holds which shard; every shard of the manifest exactly once, with the same settings. */
async function matchFolders(folders: string[], shardRecords: Map<string, number>) {
  const byFile = new Map(
    [...shardRecords.keys()].flatMap((shard) => [
      [shardFile(shard, 'fasta'), shard],
      [shardFile(shard, 'fastq'), shard],
    ]),
  );
  const matched = new Map<string, ShardFolder>();
  let reference: (ShardFolder & { settings: Record<string, string> }) | null = null;
  for (const folder of folders) {
    const run = await readRunFile(folder);
    const { fingerprint } = run;
    const input = fingerprint.inputs.length === 1 ? path.basename(fingerprint.inputs[0].path) : null;
    const shard = input === null ? undefined : byFile.get(input);
    if (shard === undefined) {
      const inputs = fingerprint.inputs.map((i) => path.basename(i.path)).join(', ');
      throw new MergeError(`${folder}: predicted from ${inputs}, which is not one shard of the manifest`);
    }
    const earlier = matched.get(shard);
    if (earlier !== undefined) {
      throw new MergeError(
        `${shard} appears twice, in ${earlier.folder} and ${folder}: each record must be merged exactly once`,
      );
    }
    matched.set(shard, { shard, folder, run });
    const settings = settingsOf(run);
    reference ??= { shard, folder, run, settings };
    const keys = new Set([...Object.keys(settings), ...Object.keys(reference.settings)]);
    const differs = [...keys].sort().filter((key) => settings[key] !== reference?.settings[key]);
    if (differs.length > 0) {
      throw new MergeError(
        `${folder} (${shard}): predicted with another ${differs.join(', ')} than ${reference.folder} (${reference.shard}); ` +
          'merge shards predicted with the same models and options',
      );
    }
  }
  const missing = [...shardRecords].filter(([shard]) => !matched.has(shard));
  if (missing.length > 0) {
    const list = missing.map(([shard, records]) => `${shard} (${records} records)`).join(', ');
    throw new MergeError(`no predict output for ${list} among the folders given`);
  }
  return { matched, reference: reference as ShardFolder };
}

async function firstLine(file: string): Promise<string> {
  if (!existsSync(file)) throw new MergeError(`${file}: missing`);
  const reader = new LineReader(file);
  const line = await reader.take();
  await reader.close();
  return line ?? '';
}

/** The summary header all shards share; Length and Call are needed for the plot. */
async function sharedSummaryHeader(outputs: ShardOutput[]): Promise<string> {
  const first = path.join(outputs[0].folder, PREDICTION_SUMMARY);
  const header = await firstLine(first);
  for (const output of outputs.slice(1)) {
    const file = path.join(output.folder, PREDICTION_SUMMARY);
    if ((await firstLine(file)) !== header) {
      throw new MergeError(
        `${file}:1: its columns differ from ${first}'s; merge shards of one predict version`,
      );
    }
  }
  const columns = header.split('\t');
  if (columns[0] !== 'Sequence_ID' || !columns.includes('Length') || !columns.includes('Call')) {
    throw new MergeError(`${first}:1: expected a summary header with Sequence_ID first, Length and Call`);
  }
  return header;
}

async function openShard(shard: string, folder: string): Promise<ShardOutput> {
  const resultsFile = path.join(folder, PREDICTION_RESULTS);
  if ((await firstLine(resultsFile)) !== PREDICTION_HEADER.trimEnd()) {
    throw new MergeError(`${resultsFile}:1: not a prediction_results.txt header`);
  }
  const output: ShardOutput = {
    shard,
    folder,
    summary: new LineReader(path.join(folder, PREDICTION_SUMMARY)),
    results: new LineReader(resultsFile),
    lastId: null,
  };
  await output.summary.take();
  await output.results.take();
  return output;
}

/** The record a prediction_results.txt row belongs to: its frame id less `_chunk_<k>` and F1..R3. */
function recordOfFrameRow(row: string): string | null {
  const match = /^(.*)_chunk_\d+[FR][123]\t/.exec(row);
  return match ? match[1] : null;
}

/** The next summary row of a shard, which must be the manifest's next record of that shard. */
async function takeSummaryRow(output: ShardOutput, row: ManifestRow, manifest: string): Promise<string[]> {
  const { summary } = output;
  const text = await summary.take();
  const where = `${manifest}:${row.line}`;
  if (text === null) {
    throw new MergeError(
      `record "${row.id}" (${where}) is missing: ${summary.file} ends at line ${summary.line}`,
    );
  }
  const fields = text.split('\t');
  const id = fields[0];
  if (id === output.lastId) {
    throw new MergeError(`${summary.file}:${summary.line}: record "${id}" appears twice`);
  }
  if (id !== row.id) {
    throw new MergeError(
      `record "${row.id}" (${where}) is missing: ${summary.file}:${summary.line} has "${id}" in its place`,
    );
  }
  output.lastId = id;
  return fields;
}

/** Nothing may be left in a shard's files once its records of the manifest are done. */
async function expectEnd(output: ShardOutput): Promise<void> {
  const extraRecord = await output.summary.peek();
  if (extraRecord !== null) {
    const id = extraRecord.split('\t')[0];
    const problem = id === output.lastId ? 'appears twice' : `is not in the manifest for ${output.shard}`;
    throw new MergeError(`${output.summary.file}:${output.summary.line + 1}: record "${id}" ${problem}`);
  }
  const extraFrame = await output.results.peek();
  if (extraFrame !== null) {
    throw new MergeError(
      `${output.results.file}:${output.results.line + 1}: frame "${extraFrame.split('\t')[0]}" is not of a record of ${output.shard} in manifest order`,
    );
  }
}

/** The shards' highest-score rows, each chunk once, in code-point order of Modified_ID. */
async function mergedHighestScores(outputs: ShardOutput[]): Promise<{ table: string; chunks: number }> {
  const rows = new Map<string, { row: string; folder: string }>();
  for (const { folder } of outputs) {
    const file = path.join(folder, HIGHEST_SCORE);
    if (!existsSync(file)) throw new MergeError(`${file}: missing`);
    const lines = (await readFile(file, 'utf8')).split('\n');
    if (lines[0] !== HIGHEST_SCORE_HEADER.trimEnd()) {
      throw new MergeError(`${file}:1: not a prediction_results_highestscore.csv header`);
    }
    lines.slice(1).forEach((row, i) => {
      if (row === '') return;
      const id = row.split('\t')[0];
      const earlier = rows.get(id);
      if (earlier) {
        throw new MergeError(
          `${file}:${i + 2}: chunk "${id}" is also in ${earlier.folder}'s ${HIGHEST_SCORE}`,
        );
      }
      rows.set(id, { row, folder });
    });
  }
  const ids = [...rows.keys()].sort(compareCodePoints);
  return {
    table: HIGHEST_SCORE_HEADER + ids.map((id) => `${(rows.get(id) as { row: string }).row}\n`).join(''),
    chunks: ids.length,
  };
}

/** The inputs split read must be unchanged: viral_hits.fa copies their records. */
async function checkInputs(head: ManifestHead, manifest: string): Promise<void> {
  for (const input of head.inputs) {
    const hash = await sha256File(input.path).catch(() => null);
    if (hash !== input.sha256) {
      throw new MergeError(
        `${input.path}: ${hash === null ? 'missing' : 'changed'} since split read it (${manifest}); merge needs the run's inputs`,
      );
    }
  }
}

export async function mergePredictions(options: MergeOptions): Promise<MergeResult> {
  const started = new Date();
  const head = await readManifestHead(options.manifest);
  const shardRecords = new Map<string, number>();
  for await (const row of manifestRows(options.manifest)) {
    shardRecords.set(row.shard, (shardRecords.get(row.shard) ?? 0) + 1);
  }
  if (shardRecords.size === 0) throw new MergeError(`${options.manifest}: no records`);
  const { matched, reference } = await matchFolders(options.folders, shardRecords);
  await checkInputs(head, options.manifest);
  const chunkSize = reference.run.fingerprint.chunkSize;
  const outputs = new Map<string, ShardOutput>();
  let merged: MergedFiles;
  try {
    for (const shard of shardRecords.keys()) {
      outputs.set(shard, await openShard(shard, (matched.get(shard) as ShardFolder).folder));
    }
    merged = await writeMerged(
      options,
      outputs,
      chunkSize,
      head.inputs.map((input) => input.path),
    );
  } finally {
    for (const output of outputs.values()) {
      await output.summary.close();
      await output.results.close();
    }
  }
  const hits = await writeRunOutputs(options.outDir, head);
  await writeMergedRecord(options, {
    head,
    shards: [...shardRecords.keys()].map((shard) => matched.get(shard) as ShardFolder),
    reference: reference.run,
    started,
    counts: { ...merged.counts, viralHits: hits.count },
    files: [...merged.files, ...hits.files],
  });
  const { counts } = merged;
  return {
    ...counts,
    viralHits: hits.count,
    files: [...merged.files, ...hits.files, ...RUN_REPORT_FILES, RUN_RECORD],
  };
}

/**
 * The run's outputs made from the merged files and the inputs: viral_hits.fa or .fq. (Predict writes
 * the same outputs after its prediction files.)
 */
async function writeRunOutputs(outDir: string, head: ManifestHead): Promise<ViralHits> {
  return writeViralHits(outDir, {
    inputs: head.inputs.map((input) => input.path),
    renameDuplicates: head.renameDuplicates,
  });
}

interface MergedRun {
  head: ManifestHead;
  shards: ShardFolder[];
  reference: ShardRun;
  started: Date;
  counts: Record<string, unknown>;
  /** the result files written, without run.json and the log */
  files: string[];
}

/**
 * run.json of the merged folder, last: what rescore and readRecordCalls read from a predict folder (the
 * options with the run's own inputs, the fingerprint, complete), plus where it came from: the manifest
 * with its hash and each shard's folder, version and fingerprint.
 */
async function writeMergedRecord(options: MergeOptions, run: MergedRun): Promise<void> {
  const { fingerprint } = run.reference;
  const record: RunRecord = {
    format: 'virnucpro-run/1',
    kind: 'merge',
    fingerprint: { ...fingerprint, inputs: run.head.inputs },
    files: [...run.files, ...RUN_REPORT_FILES, RUN_LOG],
    complete: true,
    version: packageVersion(),
    command: options.command ?? null,
    options: {
      ...run.reference.options,
      inputs: run.head.inputs.map((input) => input.path),
      outDir: options.outDir,
      renameDuplicates: run.head.renameDuplicates,
      chunkSize: fingerprint.chunkSize,
      minScore: run.reference.options?.minScore ?? 0,
      plot: options.plot ?? { count: 20 },
      resume: false,
      force: false,
      report: null,
      // the shards' runs leave the MultiQC files to the merged folder, the one MultiQC should count
      multiqc: true,
    },
    models: Object.fromEntries(Object.entries(fingerprint).filter(([key]) => key.endsWith(' model'))),
    inputs: run.head.inputs,
    manifest: { path: path.resolve(options.manifest), sha256: await sha256File(options.manifest) },
    shards: run.shards.map(({ shard, folder, run: shardRun }) => ({
      shard,
      folder: path.resolve(folder),
      version: shardRun.version ?? null,
      fingerprint: shardRun.fingerprint,
    })),
    started: run.started.toISOString(),
    ended: new Date().toISOString(),
    resumed: false,
    counts: run.counts,
  };
  // the report before run.json: a merged folder with run.json is whole
  await writeRunReport(options.outDir, record);
  await writeFileAtomic(path.join(options.outDir, RUN_RECORD), `${JSON.stringify(record, null, 2)}\n`);
}

interface MergedFiles {
  counts: {
    shards: number;
    records: number;
    frames: number;
    chunks: number;
    calls: Record<RecordCall, number>;
  };
  files: string[];
}

/** Walks the manifest, taking each record's rows from its shard; all four files or none. */
async function writeMerged(
  options: MergeOptions,
  outputs: Map<string, ShardOutput>,
  chunkSize: number,
  inputs: string[],
): Promise<MergedFiles> {
  const selection = options.plot ?? { count: 20 };
  const shardHeader = await sharedSummaryHeader([...outputs.values()]);
  // each shard is one input; a run of several gets predict's Source column back from the manifest
  const sources = inputs.length > 1 ? inputs.map(sourceName) : null;
  if (sources && shardHeader.split('\t').includes(SOURCE_COLUMN)) {
    throw new MergeError(
      `the shards' summaries already have a ${SOURCE_COLUMN} column; merge shards made by split`,
    );
  }
  const header = sources ? `${shardHeader}\t${SOURCE_COLUMN}` : shardHeader;
  const columns = header.split('\t');
  const lengthColumn = columns.indexOf('Length');
  const callColumn = columns.indexOf('Call');
  const scoreColumn = columns.indexOf('Max_Virus_Score');
  const { table, chunks } = await mergedHighestScores([...outputs.values()]);

  await mkdir(options.outDir, { recursive: true });
  const files = [...PREDICTION_FILES];
  const writers = await Promise.all(
    files.map((name) => AtomicFileWriter.open(path.join(options.outDir, name))),
  );
  const [results, highest, summary, plot] = writers;
  let records = 0;
  let frames = 0;
  const calls: Record<RecordCall, number> = { virus: 0, others: 0, no_frame: 0, empty: 0, not_scored: 0 };
  const overview = new RunOverview(selection, chunkSize);
  try {
    await results.write(PREDICTION_HEADER);
    await summary.write(`${header}\n`);
    for await (const row of manifestRows(options.manifest)) {
      const output = outputs.get(row.shard) as ShardOutput;
      const fields = await takeSummaryRow(output, row, options.manifest);
      if (fields[lengthColumn] !== String(row.length)) {
        throw new MergeError(
          `${output.summary.file}:${output.summary.line}: "${row.id}" has length ${fields[lengthColumn]}, the manifest ${row.length}`,
        );
      }
      if (sources) {
        const source = sources[row.input];
        if (source === undefined) {
          throw new MergeError(
            `${options.manifest}:${row.line}: input ${row.input + 1} is not among its #input lines`,
          );
        }
        fields.push(source);
      }
      await summary.write(`${fields.join('\t')}\n`);
      const scores = new ChunkScores();
      for (let frame = await output.results.peek(); frame !== null; frame = await output.results.peek()) {
        if (recordOfFrameRow(frame) !== row.id) break;
        await output.results.take();
        await results.write(`${frame}\n`);
        frames++;
        const [id, , others, virus] = frame.split('\t');
        scores.add({ id, others: Number(others), virus: Number(virus) });
      }
      const score = fields[scoreColumn];
      const call = fields[callColumn] as RecordCall;
      calls[call] = (calls[call] ?? 0) + 1;
      overview.add(
        {
          id: row.id,
          length: row.length,
          call,
          maxVirus: score === 'NA' ? null : Number(score),
        },
        () => plotChunks(row.id, row.length, chunkSize, scores),
      );
      records++;
    }
    for (const output of outputs.values()) await expectEnd(output);
    await highest.write(table);
    await plot.write(await overview.svg());
    for (const writer of writers) await writer.commit();
  } catch (error) {
    await Promise.all(writers.map((writer) => writer.abort()));
    throw error;
  }
  return { counts: { shards: outputs.size, records, frames, chunks, calls }, files };
}
