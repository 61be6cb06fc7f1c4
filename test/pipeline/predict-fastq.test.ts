import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { exportTinyModels } from '../embed/helpers';
import { predict } from '../../src/pipeline/predict';
import { HIGHEST_SCORE, PREDICTION_RESULTS, PREDICTION_SUMMARY } from '../../src/pipeline/prediction-files';
import { readRecordCalls } from '../../src/pipeline/record-calls';
import { rescore } from '../../src/pipeline/rescore';
import { splitInputs } from '../../src/pipeline/split';

// FASTQ straight from the sequencer, end to end on the tiny models: the demo reads as FASTQ.gz score
// byte for byte as the same reads as FASTA (quality is not scored), the hits keep their FASTQ records
// as read, mixed inputs write both hits files, bad FASTQ is refused before anything is created, and
// split deals FASTQ into FASTQ shards.

const root = path.resolve(__dirname, '..', '..');
const SCORED = [PREDICTION_RESULTS, HIGHEST_SCORE, PREDICTION_SUMMARY];

let dir: string;
let models: string;
let reads: { id: string; header: string; sequence: string; fastq: string }[];

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'virnucpro-predict-fastq-'));
  models = exportTinyModels().dir;
  reads = readFileSync(path.join(root, 'examples', 'demo.fa'), 'utf8')
    .split('>')
    .slice(1)
    .map((entry, i) => {
      const [header, ...lines] = entry.split('\n');
      const sequence = lines.join('');
      const quality = Array.from(sequence, (_, k) => String.fromCharCode(33 + ((i + k) % 94))).join('');
      const plus = i % 2 === 0 ? '' : header;
      return {
        id: header.split(' ')[0],
        header,
        sequence,
        fastq: `@${header}\n${sequence}\n+${plus}\n${quality}\n`,
      };
    });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

const fasta = (records: typeof reads) => records.map((r) => `>${r.header}\n${r.sequence}\n`).join('');
const fastq = (records: typeof reads) => records.map((r) => r.fastq).join('');
const read = (folder: string, name: string) => readFileSync(path.join(dir, folder, name), 'utf8');

/** The ids the summary calls virus, in its order. */
function virusIds(folder: string): string[] {
  const [header, ...rows] = read(folder, PREDICTION_SUMMARY).trim().split('\n');
  const call = header.split('\t').indexOf('Call');
  return rows
    .map((row) => row.split('\t'))
    .filter((row) => row[call] === 'virus')
    .map((row) => row[0]);
}

describe('predict on FASTQ', () => {
  it('scores FASTQ.gz byte for byte as the same reads in FASTA, and keeps the hits as FASTQ records', async () => {
    const asFasta = write('demo.fa', fasta(reads));
    const asFastq = write('demo.fq.gz', gzipSync(fastq(reads)));
    await predict({ inputs: [asFasta], outDir: path.join(dir, 'fa'), models, minScore: 0.5 });
    const result = await predict({ inputs: [asFastq], outDir: path.join(dir, 'fq'), models, minScore: 0.5 });
    for (const name of SCORED) expect(read('fq', name)).toBe(read('fa', name));

    const hits = virusIds('fq');
    expect(hits.length).toBeGreaterThan(0);
    expect(hits.length).toBeLessThan(reads.length);
    expect(read('fq', 'viral_hits.fq')).toBe(fastq(reads.filter((r) => hits.includes(r.id))));
    expect(existsSync(path.join(dir, 'fq', 'viral_hits.fa'))).toBe(false);
    expect(result.files.viralHitsFastq).toBe(path.join(dir, 'fq', 'viral_hits.fq'));
    expect(result.files.viralHits).toBeUndefined();

    const calls = [];
    for await (const row of readRecordCalls(path.join(dir, 'fq'))) calls.push([row.id, row.source]);
    expect(calls).toEqual(reads.map((r) => [r.id, 'demo.fq.gz']));

    // rescore rewrites the FASTQ hits under a threshold only the best-scoring hit passes
    const [header, ...rows] = read('fq', PREDICTION_SUMMARY).trim().split('\n');
    const scoreColumn = header.split('\t').indexOf('Max_Virus_Score');
    const best = Math.max(...rows.map((row) => Number(row.split('\t')[scoreColumn])).filter(Number.isFinite));
    const rescored = await rescore({ outDir: path.join(dir, 'fq'), minScore: best - 1e-6 });
    expect(rescored.viralHitsFiles).toEqual(['viral_hits.fq']);
    const rehits = virusIds('fq');
    expect(rehits.length).toBe(1);
    expect(read('fq', 'viral_hits.fq')).toBe(fastq(reads.filter((r) => rehits.includes(r.id))));
  });

  it('writes both hits files for mixed inputs, the FASTQ duplicate renamed in its record', async () => {
    const half = Math.floor(reads.length / 2);
    const first = write('first.fa', fasta(reads.slice(0, half)));
    const twice = { ...reads[0], fastq: reads[0].fastq };
    const second = write('second.fq', fastq([...reads.slice(half), twice]));
    const out = path.join(dir, 'mixed');
    await predict({ inputs: [first, second], outDir: out, models, minScore: 0.5, renameDuplicates: true });
    const hits = virusIds('mixed');
    const fromFasta = reads.slice(0, half).filter((r) => hits.includes(r.id));
    const renamed = { ...twice, fastq: twice.fastq.replace(`@${twice.id}`, `@${twice.id}_2`) };
    const fromFastq = [...reads.slice(half), renamed].filter((r) =>
      hits.includes(r === renamed ? `${twice.id}_2` : r.id),
    );
    expect(fromFasta.length + fromFastq.length).toBe(hits.length);
    expect(read('mixed', 'viral_hits.fq')).toBe(fastq(fromFastq));
    const faHeaders = read('mixed', 'viral_hits.fa')
      .split('\n')
      .filter((line) => line.startsWith('>'));
    expect(faHeaders).toEqual(fromFasta.map((r) => `>${r.header}`));
    const summary = read('mixed', PREDICTION_SUMMARY).trim().split('\n');
    expect(summary.at(-1)?.split('\t')[0]).toBe(`${twice.id}_2`);
    expect(summary.at(-1)?.split('\t').at(-1)).toBe('second.fq');
  });

  it('refuses bad FASTQ with exit code 2 before creating anything, naming file and line', () => {
    const main = path.join(root, 'dist', 'src', 'cli', 'main.js');
    const bad = write('bad.fq', `${reads[0].fastq}@r2\nACGT\n+\nIII\n`);
    const out = path.join(dir, 'refused');
    const run = spawnSync(
      process.execPath,
      [main, 'predict', bad, '-o', out, '--models', models, '--no-progress'],
      {
        encoding: 'utf8',
      },
    );
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(
      /bad\.fq:8: quality line shorter than the sequence \(3 quality characters for 4 bases\)/,
    );
    expect(existsSync(out)).toBe(false);
  });
});

describe('split on FASTQ', () => {
  it('deals FASTQ records whole into FASTQ shards, and refuses inputs that mix FASTQ and FASTA', async () => {
    const out = path.join(dir, 'shards');
    const result = await splitInputs({
      inputs: [write('split.fq.gz', gzipSync(fastq(reads)))],
      shards: 2,
      outDir: out,
    });
    expect(result.shards.map((shard) => shard.file)).toEqual(['shard-001.fq.gz', 'shard-002.fq.gz']);
    const records = readdirSync(out)
      .filter((name) => name.endsWith('.fq.gz'))
      .flatMap((name) =>
        gunzipSync(readFileSync(path.join(out, name)))
          .toString('utf8')
          .split(/(?=^@demo)/m),
      );
    expect(records.sort()).toEqual(reads.map((r) => r.fastq).sort());

    const mixedOut = path.join(dir, 'mixed-shards');
    await expect(
      splitInputs({
        inputs: [write('a.fa', fasta(reads)), write('b.fq', fastq(reads))],
        shards: 2,
        outDir: mixedOut,
      }),
    ).rejects.toThrow('the inputs mix FASTQ (b.fq) and FASTA (a.fa); split each format on its own');
    expect(existsSync(mixedOut)).toBe(false);
  });
});
