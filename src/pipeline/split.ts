import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { Writable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import { createGzip, type Gzip } from 'node:zlib';
import { AtomicFileWriter } from '../io/atomic-write';
import { describeRename, type IdRename } from '../io/fasta';
import { fastqText } from '../io/fastq';
import { sha256File } from '../io/fingerprint';
import { isFastq, readSequenceFiles, sequenceFormat, type SequenceFormat } from '../io/sequence-file';
import { fastaEntry } from './prediction-files';

// `split`: the input records dealt into N gzip shards (FASTQ for FASTQ input, as read; FASTA otherwise) for separate predict runs (one per GPU job),
// and a manifest naming every record's shard and input in input order, which `merge` checks the results
// against and takes the Source column of a run of several inputs from.
// Each record goes whole to the shard with the fewest bases so far (then the fewest records, then the
// lowest number), so shards are balanced by bases, a record never spans shards, and the split is a pure
// function of the inputs. Everything is committed together once all inputs were read without error.
// The manifest opens with the run's inputs (absolute path and sha256, one `#input` line each, in order)
// and the duplicate-id policy, so that merge can write the whole run's record and viral_hits.fa.

export const SPLIT_MANIFEST = 'manifest.tsv';
export const MANIFEST_HEADER = 'Shard\tSequence_ID\tLength\tInput\n';
/** `#input<TAB>absolute path<TAB>sha256`, one line per input before the header */
export const MANIFEST_INPUT = '#input';
/** `#rename_duplicates<TAB>true|false` before the header */
export const MANIFEST_RENAME = '#rename_duplicates';

/** shard-001 ... : numbered from 1, at least three digits, so names sort in shard order. */
export function shardName(index: number, shards: number): string {
  return `shard-${String(index + 1).padStart(Math.max(3, String(shards).length), '0')}`;
}

export function shardFile(name: string, format: SequenceFormat = 'fasta'): string {
  return `${name}.${format === 'fastq' ? 'fq' : 'fa'}.gz`;
}

/** The one format of all inputs; inputs that mix FASTA and FASTQ are refused (a shard holds one format). */
async function inputFormat(inputs: string[]): Promise<SequenceFormat> {
  const formats = await Promise.all(inputs.map((input) => sequenceFormat(input)));
  const fastq = inputs.filter((_, i) => formats[i] === 'fastq');
  const fasta = inputs.filter((_, i) => formats[i] === 'fasta');
  if (fastq.length > 0 && fasta.length > 0) {
    const names = (files: string[]) => files.map((file) => path.basename(file)).join(', ');
    throw new Error(
      `the inputs mix FASTQ (${names(fastq)}) and FASTA (${names(fasta)}); split each format on its own`,
    );
  }
  return fastq.length > 0 ? 'fastq' : 'fasta';
}

export interface SplitOptions {
  inputs: string[];
  shards: number;
  outDir: string;
  /** suffix repeated ids with _2, _3 (as predict's --rename-duplicates) instead of failing */
  renameDuplicates?: boolean;
  onWarning?: (message: string) => void;
}

export interface ShardInfo {
  name: string;
  file: string;
  records: number;
  bases: number;
}

export interface SplitResult {
  shards: ShardInfo[];
  records: number;
  renames: IdRename[];
}

/** One gzip shard: FASTA or FASTQ text in, compressed bytes into an atomic file, one write at a time. */
class GzipShard {
  private readonly gzip: Gzip = createGzip();
  private readonly done: Promise<void>;

  constructor(private readonly writer: AtomicFileWriter) {
    const sink = new Writable({
      write: (chunk: Buffer, _encoding, callback) =>
        void writer.write(chunk).then(() => callback(), callback),
    });
    this.done = pipeline(this.gzip, sink);
    // awaited in finish(); a failure before then must not surface as an unhandled rejection
    this.done.catch(() => undefined);
  }

  async write(text: string): Promise<void> {
    if (!this.gzip.write(text)) {
      await new Promise<void>((resolve, reject) => {
        const settle = (error?: Error) => {
          this.gzip.off('drain', settle).off('error', settle);
          if (error) reject(error);
          else resolve();
        };
        this.gzip.on('drain', settle).on('error', settle);
      });
    }
  }

  /** Ends the gzip stream, waits until every byte reached the writer, and commits the file. */
  async commit(): Promise<void> {
    this.gzip.end();
    await this.done;
    await this.writer.commit();
  }

  async abort(): Promise<void> {
    this.gzip.destroy();
    await this.writer.abort();
  }
}

/** The shard with the fewest bases, then the fewest records, then the lowest number. */
function lightest(shards: ShardInfo[]): number {
  let best = 0;
  for (let i = 1; i < shards.length; i++) {
    const a = shards[i];
    const b = shards[best];
    if (a.bases < b.bases || (a.bases === b.bases && a.records < b.records)) best = i;
  }
  return best;
}

export async function splitInputs(options: SplitOptions): Promise<SplitResult> {
  const { inputs, shards: count, outDir } = options;
  if (!Number.isInteger(count) || count < 1) throw new Error(`--shards must be a positive integer`);
  const format = await inputFormat(inputs);
  await mkdir(outDir, { recursive: true });
  const shards: ShardInfo[] = Array.from({ length: count }, (_, i) => {
    const name = shardName(i, count);
    return { name, file: shardFile(name, format), records: 0, bases: 0 };
  });
  const result: SplitResult = { shards, records: 0, renames: [] };
  const manifest = await AtomicFileWriter.open(path.join(outDir, SPLIT_MANIFEST));
  const writers: GzipShard[] = [];
  try {
    for (const shard of shards) {
      writers.push(new GzipShard(await AtomicFileWriter.open(path.join(outDir, shard.file))));
    }
    for (const input of inputs) {
      // an unreadable input fails below, where the reader names the file and the reason
      const hash = await sha256File(input).catch(() => 'unreadable');
      await manifest.write(`${MANIFEST_INPUT}\t${path.resolve(input)}\t${hash}\n`);
    }
    await manifest.write(`${MANIFEST_RENAME}\t${Boolean(options.renameDuplicates)}\n`);
    await manifest.write(MANIFEST_HEADER);
    const records = readSequenceFiles(inputs, {
      renameDuplicates: Boolean(options.renameDuplicates),
      onRename: (rename) => {
        result.renames.push(rename);
        options.onWarning?.(describeRename(rename));
      },
    });
    for await (const { input, record } of records) {
      const index = lightest(shards);
      const shard = shards[index];
      shard.records++;
      shard.bases += record.sequence.length;
      result.records++;
      const header = record.description ? `${record.id} ${record.description}` : record.id;
      await writers[index].write(isFastq(record) ? fastqText(record) : fastaEntry(header, record.sequence));
      await manifest.write(`${shard.name}\t${record.id}\t${record.sequence.length}\t${input + 1}\n`);
    }
    if (result.records < count) {
      throw new Error(
        `${result.records} records cannot fill ${count} shards (predict needs at least one record per shard); use --shards ${Math.max(result.records, 1)} or fewer`,
      );
    }
    // the shards first: a manifest on disk means its shards are complete
    for (const writer of writers) await writer.commit();
    await manifest.commit();
  } catch (error) {
    await Promise.all(writers.map((writer) => writer.abort()));
    await manifest.abort();
    throw error;
  }
  return result;
}
