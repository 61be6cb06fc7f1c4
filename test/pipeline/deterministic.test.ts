import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seededRandom } from '../../bench/synthetic';
import { exportTinyModels, randomSequence } from '../embed/helpers';
import { predict, type PredictOptions } from '../../src/pipeline/predict';

// --deterministic: the same reads give the same bytes whatever the shard size, the worker count or the
// grouping of input files; its scores agree with the default mode's; identical reads are embedded once.

const COMPARED = ['prediction_results.txt', 'prediction_results_highestscore.csv', 'prediction_summary.tsv'];

let dir: string;
let models: string;
let reads: { id: string; sequence: string }[];
let whole: string;
let halves: string[];

const fasta = (records: { id: string; sequence: string }[]) =>
  records.map((record) => `>${record.id}\n${record.sequence}\n`).join('');

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'virnucpro-deterministic-'));
  models = exportTinyModels().dir;
  const random = seededRandom(15);
  reads = Array.from({ length: 90 }, (_, i) => ({
    id: `read_${i}`,
    sequence: randomSequence(random, 'ACGT', 150, 700),
  }));
  whole = path.join(dir, 'reads.fa');
  writeFileSync(whole, fasta(reads));
  halves = [path.join(dir, 'first.fa'), path.join(dir, 'second.fa')];
  writeFileSync(halves[0], fasta(reads.slice(0, 45)));
  writeFileSync(halves[1], fasta(reads.slice(45)));
});

async function run(name: string, extra: Partial<PredictOptions>): Promise<Record<string, string>> {
  const outDir = path.join(dir, name);
  const result = await predict({ inputs: [whole], outDir, models, ...extra });
  expect(result.exitCode).toBe(0);
  return Object.fromEntries(COMPARED.map((file) => [file, readFileSync(path.join(outDir, file), 'utf8')]));
}

/** The summary without columns that name the input file (one file or two differ there by design). */
const withoutSource = (summary: string) => {
  const rows = summary.split('\n').map((line) => line.split('\t'));
  const source = rows[0].indexOf('Source');
  return rows.map((row) => row.filter((_, k) => k !== source).join('\t')).join('\n');
};

describe('predict --deterministic', () => {
  let reference: Record<string, string>;

  beforeAll(async () => {
    reference = await run('reference', { deterministic: true });
  });

  it.each([
    ['shard size 37', { shardSize: 37 }],
    ['shard size 5', { shardSize: 5 }],
    ['2 workers', { workers: 2, shardSize: 11 }],
  ])('gives the same bytes with %s', async (name, extra) => {
    expect(await run(name.replace(/ /g, '-'), { deterministic: true, ...extra })).toEqual(reference);
  });

  it('replaces a given --threads and --tokens-per-batch, and says so in run.json and to the caller', async () => {
    const messages: string[] = [];
    const outDir = path.join(dir, 'given-threads');
    await predict(
      {
        inputs: [whole],
        outDir,
        models,
        deterministic: true,
        threads: 2,
        tokensPerBatch: 256,
        shardSize: 29,
      },
      { onEvent: (event) => event.type === 'info' && messages.push(event.message) },
    );
    for (const file of COMPARED) expect(readFileSync(path.join(outDir, file), 'utf8')).toBe(reference[file]);
    const run = JSON.parse(readFileSync(path.join(outDir, 'run.json'), 'utf8'));
    expect(run.engine.replacedByDeterministic).toEqual({ threads: 2, tokensPerBatch: 256 });
    expect(messages.filter((message) => message.startsWith('--deterministic replaces'))).toHaveLength(1);
    const plain = JSON.parse(readFileSync(path.join(dir, 'reference', 'run.json'), 'utf8'));
    expect(plain.engine.replacedByDeterministic).toEqual({});
  });

  it('gives the same bytes with the input split into two files', async () => {
    const outDir = path.join(dir, 'halves');
    await predict({ inputs: halves, outDir, models, deterministic: true, shardSize: 23 });
    const read = (file: string) => readFileSync(path.join(outDir, file), 'utf8');
    expect(read(COMPARED[0])).toBe(reference[COMPARED[0]]);
    expect(read(COMPARED[1])).toBe(reference[COMPARED[1]]);
    expect(withoutSource(read(COMPARED[2]))).toBe(withoutSource(reference[COMPARED[2]]));
  });

  it('agrees with the default mode to 1e-5, with the same calls', async () => {
    const fast = await run('default', {});
    const rows = (text: string) =>
      text
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => line.split('\t'));
    const exact = rows(reference['prediction_results.txt']);
    const batched = rows(fast['prediction_results.txt']);
    expect(batched.map((row) => row[0])).toEqual(exact.map((row) => row[0]));
    batched.forEach((row, i) => {
      expect(Math.abs(Number(row[2]) - Number(exact[i][2]))).toBeLessThanOrEqual(1e-5);
      expect(Math.abs(Number(row[3]) - Number(exact[i][3]))).toBeLessThanOrEqual(1e-5);
    });
    // the calls: each frame's Prediction column, and each chunk's and each record's call
    const calls = (name: string, column: number) => (files: Record<string, string>) =>
      rows(files[name]).map((row) => [row[0], row[column]]);
    const frameCalls = calls('prediction_results.txt', 1);
    expect(frameCalls(fast)).toEqual(frameCalls(reference));
    expect(new Set(frameCalls(reference).map(([, call]) => call))).toEqual(new Set(['virus', 'others']));
    expect(fast['prediction_results_highestscore.csv']).toBe(
      reference['prediction_results_highestscore.csv'],
    );
    const summaryHeader = reference['prediction_summary.tsv'].split('\n')[0].split('\t');
    const recordCalls = calls('prediction_summary.tsv', summaryHeader.indexOf('Call'));
    expect(recordCalls(fast)).toEqual(recordCalls(reference));
  });
});

describe('identical reads', () => {
  it('are embedded once: each pair of ids gets identical rows, and the run says how many were distinct', async () => {
    const doubled = path.join(dir, 'doubled.fa');
    writeFileSync(doubled, fasta([...reads, ...reads.map((read) => ({ ...read, id: `copy_${read.id}` }))]));
    const outDir = path.join(dir, 'doubled');
    // one worker: each worker embeds its own distinct sequences once
    const result = await predict({ inputs: [doubled], outDir, models, shardSize: 40, workers: 1 });
    expect(result.embedded['dnabert-s'].sequences).toBe(2 * result.embedded['dnabert-s'].embedded);
    expect(result.embedded.esm2.sequences).toBe(result.frames);
    expect(result.embedded.esm2.embedded).toBeLessThanOrEqual(result.frames / 2);
    const rows = new Map(
      readFileSync(path.join(outDir, 'prediction_results.txt'), 'utf8')
        .trim()
        .split('\n')
        .slice(1)
        .map((line) => {
          const [id, ...rest] = line.split('\t');
          return [id, rest.join('\t')] as const;
        }),
    );
    for (const [id, row] of rows) if (!id.startsWith('copy_')) expect(rows.get(`copy_${id}`)).toBe(row);
  });
});
