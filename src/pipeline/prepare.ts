import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { AtomicFileWriter } from '../io/atomic-write';
import { idBytes, quotedId, type IdRename } from '../io/fasta';
import { FirstCopies, type Place } from '../io/first-copies';
import { readSequences } from '../io/sequence-file';
import { IdSet } from '../io/id-set';
import { frameTableLine } from '../embed/frame-table';
import { chunkRecord } from './chunk';
import { fastaEntry, inputStem, intermediateNames, wrappedFastaEntry } from './prediction-files';
import { PredictInterrupted } from './predict-errors';
import { countNonAcgt, identifyFrames, type Frame } from './translate';

// Stage 1 of predict: every input record is chunked and its six frames identified, in input order, into
// shard pairs (nucleotide .fa for DNABERT-S, protein .faa for ESM-2, the same frame ids in the same
// order), plus records.tsv listing every input record (id, length, non-ACGT bases, index of its input)
// so none can vanish. Each distinct frame sequence is embedded once per run: a shard's model input holds
// only the sequences no earlier frame of the run had, and the shard's frame table per model points every
// frame at the shard and row of its sequence's first copy. Ids are written back as the input's bytes. Each shard pair is renamed into place
// when it is full (so memory and open files do not grow with the number of shards), everything else
// only when all inputs were read without error; an error removes the shards already in place, so a bad
// input leaves nothing behind. The output is a pure function of the inputs, so redoing it after a kill
// is identical.

export const RECORDS_FILE = 'records.tsv';

export interface PrepareOptions {
  inputs: string[];
  workDir: string;
  chunkSize: number;
  shardSize: number;
  renameDuplicates: boolean;
  /** read U as T */
  rna?: boolean;
  /** also write each input's <stem>_chunked<C>.fa and identified nucleotide/protein files here */
  intermediateDir: string | null;
  onRecords?: (records: number) => void;
  onWarning?: (message: string) => void;
  /** checked every 1000 records; an abort stops with PredictInterrupted, writing nothing */
  signal?: AbortSignal;
}

export type ModelInput = 'nucleotide' | 'protein';
const MODEL_INPUTS: ModelInput[] = ['nucleotide', 'protein'];

export interface Shard {
  name: string;
  /** the model inputs: the frames whose sequence is new to the run (DNABERT-S .fa, ESM-2 .faa) */
  nucleotide: string;
  protein: string;
  /** the frame tables (src/embed/frame-table.ts): every frame, in order, with the place of its vector */
  nucleotideTable: string;
  proteinTable: string;
  /** the shards the tables' source numbers name, this one first */
  sources: string[];
  frames: number;
  /** rows of each model input */
  rows: Record<ModelInput, number>;
}

export interface PrepareResult {
  shards: Shard[];
  records: number;
  emptyRecords: number;
  /** records holding bases other than A, C, G, T (their codons were dropped) */
  nonAcgtRecords: number;
  chunks: number;
  frames: number;
  /** distinct frame sequences per model input (each embedded once) */
  distinct: Record<ModelInput, number>;
  renames: IdRename[];
  intermediates: string[];
}

/** A shard being written: its model inputs and frame tables, all committed together. */
class OpenShard {
  private readonly sourceOf = new Map<number, number>();

  private constructor(
    private readonly index: number,
    readonly info: Shard,
    private readonly inputs: Record<ModelInput, AtomicFileWriter>,
    private readonly tables: Record<ModelInput, AtomicFileWriter>,
  ) {
    this.source(index);
  }

  static async open(workDir: string, index: number): Promise<OpenShard> {
    const name = shardName(index);
    const info: Shard = {
      name,
      nucleotide: `nucleotide/${name}.fa`,
      protein: `protein/${name}.faa`,
      nucleotideTable: `nucleotide/${name}.tsv`,
      proteinTable: `protein/${name}.tsv`,
      sources: [],
      frames: 0,
      rows: { nucleotide: 0, protein: 0 },
    };
    const writers: AtomicFileWriter[] = [];
    try {
      for (const file of [info.nucleotide, info.protein, info.nucleotideTable, info.proteinTable])
        writers.push(await AtomicFileWriter.open(path.join(workDir, file)));
    } catch (error) {
      await Promise.all(writers.map((writer) => writer.abort()));
      throw error;
    }
    const [nucleotide, protein, nucleotideTable, proteinTable] = writers;
    return new OpenShard(
      index,
      info,
      { nucleotide, protein },
      { nucleotide: nucleotideTable, protein: proteinTable },
    );
  }

  async add(frame: Frame, firstCopies: Record<ModelInput, FirstCopies>): Promise<void> {
    for (const input of MODEL_INPUTS) {
      const sequence = frame[input];
      const own: Place = { file: this.index, row: this.info.rows[input] };
      const first = firstCopies[input].firstPlace(sequence, own);
      if (first === own) {
        await this.inputs[input].write(idBytes(fastaEntry(frame.id, sequence)));
        this.info.rows[input]++;
      }
      await this.tables[input].write(idBytes(frameTableLine(frame.id, this.source(first.file), first.row)));
    }
    this.info.frames++;
  }

  private source(shard: number): number {
    let source = this.sourceOf.get(shard);
    if (source === undefined) {
      source = this.info.sources.push(shardName(shard)) - 1;
      this.sourceOf.set(shard, source);
    }
    return source;
  }

  private get writers(): AtomicFileWriter[] {
    return [...Object.values(this.inputs), ...Object.values(this.tables)];
  }

  async commit(): Promise<void> {
    for (const writer of this.writers) await writer.commit();
  }

  async abort(): Promise<void> {
    await Promise.all(this.writers.map((writer) => writer.abort()));
  }
}

/** Writers that all commit together or all abort. */
class WriterSet {
  private readonly writers: AtomicFileWriter[] = [];

  async open(file: string): Promise<AtomicFileWriter> {
    const writer = await AtomicFileWriter.open(file);
    this.writers.push(writer);
    return writer;
  }

  async commitAll(): Promise<void> {
    try {
      for (const writer of this.writers) await writer.commit();
    } catch (error) {
      await this.abortAll(); // the ones not yet committed, which still hold temporary files
      throw error;
    }
  }

  async abortAll(): Promise<void> {
    await Promise.all(this.writers.map((writer) => writer.abort()));
  }
}

function shardName(index: number): string {
  return `shard_${String(index).padStart(5, '0')}`;
}

export async function prepareShards(options: PrepareOptions): Promise<PrepareResult> {
  const { workDir, chunkSize, shardSize } = options;
  const nucleotideDir = path.join(workDir, 'nucleotide');
  const proteinDir = path.join(workDir, 'protein');
  await mkdir(nucleotideDir, { recursive: true });
  await mkdir(proteinDir, { recursive: true });
  if (options.intermediateDir) await mkdir(options.intermediateDir, { recursive: true });
  const stems = options.inputs.map(inputStem);
  const clash = stems.find((stem, i) => stems.indexOf(stem) !== i);
  if (options.intermediateDir && clash !== undefined) {
    throw new Error(`two inputs share the name "${clash}"; their intermediate files would collide`);
  }

  const writers = new WriterSet();
  const result: PrepareResult = {
    shards: [],
    records: 0,
    emptyRecords: 0,
    nonAcgtRecords: 0,
    chunks: 0,
    frames: 0,
    distinct: { nucleotide: 0, protein: 0 },
    renames: [],
    intermediates: [],
  };
  let shard: OpenShard | null = null;
  try {
    const records = await writers.open(path.join(workDir, RECORDS_FILE));
    // every id of every input, about 50 bytes per id (src/io/id-set.ts)
    const seen = new IdSet();
    const firstCopies = { nucleotide: new FirstCopies(), protein: new FirstCopies() };
    for (const [i, input] of options.inputs.entries()) {
      let intermediate: Record<'chunked' | 'nucleotide' | 'protein', AtomicFileWriter> | null = null;
      if (options.intermediateDir) {
        const names = intermediateNames(stems[i], chunkSize);
        const dir = options.intermediateDir;
        intermediate = {
          chunked: await writers.open(path.join(dir, names.chunked)),
          nucleotide: await writers.open(path.join(dir, names.nucleotide)),
          protein: await writers.open(path.join(dir, names.protein)),
        };
        result.intermediates.push(names.chunked, names.nucleotide, names.protein);
      }
      const fasta = readSequences(input, {
        duplicateIds: options.renameDuplicates ? 'rename' : 'error',
        seen,
        rna: options.rna,
        onRename: (rename) => {
          result.renames.push(rename);
          options.onWarning?.(
            `${path.basename(rename.file)}:${rename.line}: duplicate id ${quotedId(rename.from)} renamed to ${quotedId(rename.to)}`,
          );
        },
      });
      for await (const record of fasta) {
        result.records++;
        const nonAcgt = countNonAcgt(record.sequence);
        if (nonAcgt > 0) result.nonAcgtRecords++;
        await records.write(idBytes(`${record.id}\t${record.sequence.length}\t${nonAcgt}\t${i}\n`));
        if (result.records % 1000 === 0 && options.signal?.aborted) throw new PredictInterrupted();
        if (result.records % 10000 === 0) options.onRecords?.(result.records);
        if (record.sequence.length === 0) {
          result.emptyRecords++;
          options.onWarning?.(
            `${path.basename(input)}:${record.line}: ${quotedId(record.id)} has no sequence; skipped`,
          );
          continue;
        }
        for (const chunk of chunkRecord(record.id, record.sequence, chunkSize)) {
          result.chunks++;
          await intermediate?.chunked.write(idBytes(wrappedFastaEntry(chunk.id, chunk.sequence)));
          for (const frame of identifyFrames(chunk.id, chunk.sequence)) {
            if (!shard) {
              shard = await OpenShard.open(workDir, result.shards.length);
              result.shards.push(shard.info);
            }
            await shard.add(frame, firstCopies);
            await intermediate?.nucleotide.write(idBytes(fastaEntry(frame.id, frame.nucleotide)));
            await intermediate?.protein.write(idBytes(fastaEntry(frame.id, frame.protein)));
            result.frames++;
            if (shard.info.frames === shardSize) {
              await shard.commit();
              shard = null;
            }
          }
        }
      }
    }
    options.onRecords?.(result.records);
    if (shard) await shard.commit();
    result.distinct = { nucleotide: firstCopies.nucleotide.size, protein: firstCopies.protein.size };
  } catch (error) {
    await writers.abortAll();
    await shard?.abort();
    await Promise.all(
      result.shards.flatMap((info) =>
        [info.nucleotide, info.protein, info.nucleotideTable, info.proteinTable].map((file) =>
          rm(path.join(workDir, file), { force: true }),
        ),
      ),
    );
    throw error;
  }
  await writers.commitAll();
  return result;
}
