import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { AtomicFileWriter } from '../io/atomic-write';
import { idBytes, quotedId, type IdRename } from '../io/fasta';
import { readSequences } from '../io/sequence-file';
import { IdSet } from '../io/id-set';
import { chunkRecord } from './chunk';
import { fastaEntry, inputStem, intermediateNames, wrappedFastaEntry } from './prediction-files';
import { PredictInterrupted } from './predict-errors';
import { countNonAcgt, identifyFrames } from './translate';

// Stage 1 of predict: every input record is chunked and its six frames identified, in input order, into
// shard pairs (nucleotide .fa for DNABERT-S, protein .faa for ESM-2, the same frame ids in the same
// order), plus records.tsv listing every input record (id, length, non-ACGT bases, index of its input)
// so none can vanish. Ids are written back as the input's bytes. Each shard pair is renamed into place
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

export interface Shard {
  name: string;
  nucleotide: string;
  protein: string;
  frames: number;
}

export interface PrepareResult {
  shards: Shard[];
  records: number;
  emptyRecords: number;
  /** records holding bases other than A, C, G, T (their codons were dropped) */
  nonAcgtRecords: number;
  chunks: number;
  frames: number;
  renames: IdRename[];
  intermediates: string[];
}

interface OpenShard {
  nucleotide: AtomicFileWriter;
  protein: AtomicFileWriter;
  info: Shard;
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
    renames: [],
    intermediates: [],
  };
  let shard: OpenShard | null = null;
  try {
    const records = await writers.open(path.join(workDir, RECORDS_FILE));
    // every id of every input, about 50 bytes per id (src/io/id-set.ts)
    const seen = new IdSet();
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
              const name = shardName(result.shards.length);
              const info: Shard = {
                name,
                nucleotide: `nucleotide/${name}.fa`,
                protein: `protein/${name}.faa`,
                frames: 0,
              };
              result.shards.push(info);
              shard = {
                nucleotide: await AtomicFileWriter.open(path.join(workDir, info.nucleotide)),
                protein: await AtomicFileWriter.open(path.join(workDir, info.protein)),
                info,
              };
            }
            const nucleotide = idBytes(fastaEntry(frame.id, frame.nucleotide));
            const protein = idBytes(fastaEntry(frame.id, frame.protein));
            await shard.nucleotide.write(nucleotide);
            await shard.protein.write(protein);
            await intermediate?.nucleotide.write(nucleotide);
            await intermediate?.protein.write(protein);
            result.frames++;
            if (++shard.info.frames === shardSize) {
              await commitShard(shard);
              shard = null;
            }
          }
        }
      }
    }
    options.onRecords?.(result.records);
    if (shard) await commitShard(shard);
  } catch (error) {
    await writers.abortAll();
    await shard?.nucleotide.abort();
    await shard?.protein.abort();
    await Promise.all(
      result.shards.flatMap((info) =>
        [info.nucleotide, info.protein].map((file) => rm(path.join(workDir, file), { force: true })),
      ),
    );
    throw error;
  }
  await writers.commitAll();
  return result;
}

async function commitShard(shard: OpenShard): Promise<void> {
  await shard.nucleotide.commit();
  await shard.protein.commit();
}
