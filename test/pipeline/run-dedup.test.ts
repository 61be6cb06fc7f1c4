import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { randomCodingReads, seededRandom, type FastaRecord } from '../../bench/synthetic';
import { exportTinyModels } from '../embed/helpers';
import { describeResult } from '../../src/cli/commands/predict';
import { predict, type PredictOptions, type PredictResult } from '../../src/pipeline/predict';
import { PredictInterrupted } from '../../src/pipeline/predict-errors';

// Each distinct frame sequence is embedded once per predict run, wherever its copies are: here a file
// followed by a shuffled copy of itself under other ids, in shards smaller than the file, on two
// workers (so the copies are in other shards and other batch groups than the originals).

const COMPARED = ['prediction_results.txt', 'prediction_results_highestscore.csv', 'prediction_summary.tsv'];

let dir: string;
let models: string;
let reads: FastaRecord[];
let alone: string;
let doubled: string;

const fasta = (records: FastaRecord[]) =>
  records.map((record) => `>${record.id}\n${record.sequence}\n`).join('');

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'virnucpro-run-dedup-'));
  models = exportTinyModels().dir;
  const random = seededRandom(21);
  reads = randomCodingReads(random, 40, [300, 650], 'read_');
  const copies = reads.map((read) => ({ id: `copy_${read.id}`, sequence: read.sequence }));
  for (let i = copies.length - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [copies[i], copies[j]] = [copies[j], copies[i]];
  }
  alone = path.join(dir, 'alone.fa');
  doubled = path.join(dir, 'doubled.fa');
  writeFileSync(alone, fasta(reads));
  writeFileSync(doubled, fasta([...reads, ...copies]));
});

const options = (name: string, input: string, extra: Partial<PredictOptions> = {}): PredictOptions => ({
  inputs: [input],
  outDir: path.join(dir, name),
  models,
  devices: 'cpu',
  workers: 2,
  shardSize: 25,
  ...extra,
});

const read = (name: string, file: string) => readFileSync(path.join(dir, name, file), 'utf8');

/** The table's rows by their first column, the header left out. */
function rowsById(text: string): Map<string, string> {
  const rows = text.trim().split('\n').slice(1);
  return new Map(rows.map((row) => [row.slice(0, row.indexOf('\t')), row.slice(row.indexOf('\t'))]));
}

/** The copy's id of an original row id (a frame, chunk or record id). */
const copyOf = (id: string) => `copy_${id}`;

describe('dedup across the run', () => {
  let once: PredictResult;
  let twice: PredictResult;

  beforeAll(async () => {
    once = await predict(options('alone', alone, { deterministic: true }));
    twice = await predict(options('doubled', doubled, { deterministic: true }));
  }, 240_000);

  it('embeds each distinct frame once, in shards smaller than the file', () => {
    // the reads share no frame, so the distinct frames are the frames of the file alone
    expect(once.embedded['dnabert-s']).toEqual({
      sequences: once.frames,
      distinct: once.frames,
      embedded: once.frames,
    });
    expect(twice.frames).toBe(2 * once.frames);
    expect(Math.ceil(twice.frames / 25)).toBeGreaterThan(4);
    for (const model of ['dnabert-s', 'esm2'] as const) {
      expect(twice.embedded[model]).toEqual({
        sequences: twice.frames,
        distinct: once.frames,
        embedded: once.frames,
      });
    }
    const runRecord = JSON.parse(read('doubled', 'run.json'));
    expect(runRecord.result.embedded).toEqual(twice.embedded);
    const counts = `${once.frames} distinct of ${twice.frames}`;
    expect(describeResult(twice)).toContain(`embedded: dnabert-s ${counts}, esm2 ${counts}\n`);
  });

  it('gives every copy the scores and call of its original, byte for byte those of the file alone', () => {
    for (const file of COMPARED) {
      const single = rowsById(read('alone', file));
      const both = rowsById(read('doubled', file));
      expect(both.size).toBe(2 * single.size);
      for (const [id, row] of single) {
        expect([id, both.get(id)]).toEqual([id, row]);
        expect([id, both.get(copyOf(id))]).toEqual([id, row]);
      }
    }
  });

  it('writes the same bytes when resumed after a kill mid-embedding', async () => {
    const uninterrupted = await predict(options('default', doubled));
    expect(uninterrupted.exitCode).toBe(0);
    const abort = new AbortController();
    const workDir = path.join(dir, 'resumed', '.virnucpro-work');
    const written = () =>
      ['dnabert-s', 'esm2'].some(
        (model) =>
          existsSync(path.join(workDir, model)) &&
          readdirSync(path.join(workDir, model)).some((name) => name.endsWith('.safetensors')),
      );
    const first = predict(options('resumed', doubled), {
      signal: abort.signal,
      onEvent: (event) => {
        if (event.type === 'advance' && written()) abort.abort();
      },
    });
    await expect(first).rejects.toThrow(PredictInterrupted);
    const resumed = await predict(options('resumed', doubled, { resume: true }));
    expect(resumed.exitCode).toBe(0);
    // part of the embeddings came from the killed run, and the rest were embedded now
    const embeddedNow = resumed.embedded['dnabert-s'].embedded + resumed.embedded.esm2.embedded;
    expect(embeddedNow).toBeLessThan(2 * once.frames);
    for (const file of COMPARED) expect([file, read('resumed', file)]).toEqual([file, read('default', file)]);
  }, 240_000);
});
