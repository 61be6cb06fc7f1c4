import { spawn } from 'node:child_process';
import { existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { PREDICTION_PLOT } from '../../src/pipeline/plot';
import { HIGHEST_SCORE, PREDICTION_RESULTS, PREDICTION_SUMMARY } from '../../src/pipeline/prediction-files';
import { exportTinyModels, runCli, temporaryDir } from '../embed/helpers';
import { generatedReads } from './generated-reads';

// The shipped Snakemake workflow, run for real (`snakemake --cores 2`) on generated reads in three
// shards with the tiny random models, against one `virnucpro predict` over the same file. Scores may
// differ in the last bits (each shard batches its own frames), so they are compared to 1e-5; ids,
// calls, the per-chunk consensus and every other summary column must be equal.

const root = path.resolve(__dirname, '..', '..');
const CLI = path.join(root, 'dist', 'src', 'cli', 'main.js');
const FINAL = [PREDICTION_RESULTS, HIGHEST_SCORE, PREDICTION_SUMMARY, PREDICTION_PLOT];

// a few minutes on two cores: one predict run for reference, three shard jobs, two reruns
jest.setTimeout(600000);

let dir: string;
let workflow: string;
let models: string;
let input: string;
let reference: string;
let out: string;
let firstMerge: Record<string, string>;

function snakemake(args: string[], config: string[] = []): Promise<{ code: number | null; output: string }> {
  const settings = [
    `input=${input}`,
    `outdir=${out}`,
    `models=${models}`,
    'shards=3',
    'devices_per_job=0',
    'threads_per_job=1',
    `virnucpro=${process.execPath} ${CLI}`,
    ...config,
  ];
  const argv = ['-s', path.join(workflow, 'Snakefile'), ...args, '--config', ...settings];
  return new Promise((resolve, reject) => {
    const child = spawn('snakemake', argv, { cwd: dir });
    let output = '';
    child.stdout.on('data', (b) => (output += b));
    child.stderr.on('data', (b) => (output += b));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

/** The shards whose predict job ran, from Snakemake's log of one invocation. */
function predictedShards(output: string): string[] {
  return [...output.matchAll(/rule predict:[\s\S]*?wildcards: shard=(shard-\d+)/g)].map((m) => m[1]).sort();
}

const rows = (folder: string, name: string) =>
  readFileSync(path.join(folder, name), 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => line.split('\t'));

const readAll = (folder: string) =>
  Object.fromEntries(FINAL.map((name) => [name, readFileSync(path.join(folder, name), 'utf8')]));

beforeAll(async () => {
  dir = temporaryDir('workflow');
  models = path.dirname(exportTinyModels().esm2);
  input = path.join(dir, 'reads.fa.gz');
  writeFileSync(input, gzipSync(generatedReads(240)));
  workflow = path.join(dir, 'workflow');
  out = path.join(dir, 'out');
  reference = path.join(dir, 'one-run');
  const init = await runCli(['workflow', 'init', workflow]);
  expect(init.code).toBe(0);
  const predicted = await runCli(['predict', input, '-o', reference, '--models', models, '--no-progress']);
  if (predicted.code !== 0) throw new Error(predicted.stderr);
});

describe('the Snakemake workflow', () => {
  it('workflow init copies the Snakefile, config and Slurm profile, and keeps an earlier copy', async () => {
    for (const file of ['Snakefile', 'config.yaml', 'profiles/slurm/config.yaml']) {
      expect(readFileSync(path.join(workflow, file), 'utf8')).toBe(
        readFileSync(path.join(root, 'workflow', file), 'utf8'),
      );
    }
    // the profile's status script stays a command
    expect(statSync(path.join(workflow, 'profiles', 'slurm', 'slurm-status.py')).mode & 0o111).toBe(0o111);
    const again = await runCli(['workflow', 'init', workflow]);
    expect(again.code).toBe(1);
    expect(again.stderr).toMatch(/already has .*Snakefile.*--force/);
  });

  it('splits into 3 shards, predicts each and merges into what one predict run writes', async () => {
    const run = await snakemake(['--cores', '2']);
    if (run.code !== 0) throw new Error(run.output);
    expect(predictedShards(run.output)).toEqual(['shard-001', 'shard-002', 'shard-003']);
    // MultiQC is to count the run once: the shard folders write no custom content
    for (const shard of ['shard-001', 'shard-002', 'shard-003']) {
      expect(existsSync(path.join(out, 'predict', shard, 'virnucpro_mqc.tsv'))).toBe(false);
      expect(existsSync(path.join(out, 'predict', shard, 'report.html'))).toBe(true);
    }

    const [got, want] = [rows(out, 'prediction_results.txt'), rows(reference, 'prediction_results.txt')];
    expect(got.map(([id, call]) => [id, call])).toEqual(want.map(([id, call]) => [id, call]));
    got.slice(1).forEach((row, i) => {
      expect(Math.abs(Number(row[2]) - Number(want[i + 1][2]))).toBeLessThanOrEqual(1e-5);
      expect(Math.abs(Number(row[3]) - Number(want[i + 1][3]))).toBeLessThanOrEqual(1e-5);
    });
    expect(readFileSync(path.join(out, 'prediction_results_highestscore.csv'), 'utf8')).toBe(
      readFileSync(path.join(reference, 'prediction_results_highestscore.csv'), 'utf8'),
    );

    const summary = rows(out, 'prediction_summary.tsv');
    const wantSummary = rows(reference, 'prediction_summary.tsv');
    expect(summary.length).toBe(242);
    const scoreColumn = wantSummary[0].indexOf('Max_Virus_Score');
    const without = (row: string[]) => row.filter((_, k) => k !== scoreColumn);
    expect(summary.map(without)).toEqual(wantSummary.map(without));
    summary.slice(1).forEach((row, i) => {
      const expected = wantSummary[i + 1][scoreColumn];
      if (expected === 'NA') expect(row[scoreColumn]).toBe('NA');
      else expect(Math.abs(Number(row[scoreColumn]) - Number(expected))).toBeLessThanOrEqual(1e-5);
    });
    // the reads cover every kind of call a run can make
    const callColumn = summary[0].indexOf('Call');
    const calls = new Set(summary.slice(1).map((row) => row[callColumn]));
    expect([...calls].sort()).toEqual(['empty', 'no_frame', 'others', 'virus']);
    expect(readFileSync(path.join(out, 'prediction_plot.svg'), 'utf8')).toMatch(/read_\d+  \(/);
    firstMerge = readAll(out);
  });

  it('has nothing to do when run again', async () => {
    const dry = await snakemake(['--cores', '2', '-n']);
    expect(dry.code).toBe(0);
    expect(dry.output).toMatch(/Nothing to be done/);
  });

  it('reruns only the shard whose predict output was deleted, then merge', async () => {
    const kept = path.join(out, 'predict', 'shard-001', 'prediction_summary.tsv');
    const keptTime = statSync(kept).mtimeMs;
    rmSync(path.join(out, 'predict', 'shard-002'), { recursive: true });
    // Snakemake rebuilds a missing intermediate file only for a job that runs: here, merge
    const run = await snakemake(['--cores', '2', '--forcerun', 'merge']);
    if (run.code !== 0) throw new Error(run.output);
    expect(predictedShards(run.output)).toEqual(['shard-002']);
    expect(run.output).not.toMatch(/rule split:/);
    expect(run.output).toMatch(/rule merge:/);
    expect(statSync(kept).mtimeMs).toBe(keptTime);
    expect(readAll(out)).toEqual(firstMerge);
  });

  it('continues an interrupted shard with predict --resume', async () => {
    const folder = path.join(out, 'predict', 'shard-003');
    rmSync(folder, { recursive: true });
    // an attempt killed after its first stage leaves the work folder behind, as a lost Slurm job would
    const args = ['predict', path.join(out, 'shards', 'shard-003.fa.gz'), '-o', folder, '--models', models];
    const killed = await new Promise<boolean>((resolve, reject) => {
      const child = spawn(process.execPath, [CLI, ...args, '--no-progress'], { detached: true });
      child.stderr.on('data', (b: Buffer) => {
        if (/chunk \+ frames: done/.test(String(b))) process.kill(-(child.pid as number), 'SIGKILL');
      });
      child.on('error', reject);
      child.on('close', (_, signal) => resolve(signal === 'SIGKILL'));
    });
    expect(killed).toBe(true);
    expect(existsSync(path.join(folder, '.virnucpro-work'))).toBe(true);
    // as after a failed run: the shard's job died, so merge never ran
    for (const name of FINAL) rmSync(path.join(out, name));
    const run = await snakemake(['--cores', '2']);
    if (run.code !== 0) throw new Error(run.output);
    expect(predictedShards(run.output)).toEqual(['shard-003']);
    expect(readFileSync(path.join(out, 'logs', 'predict', 'shard-003.log'), 'utf8')).toMatch(
      /^predict --resume\n/,
    );
    expect(readAll(out)).toEqual(firstMerge);
  });

  it('runs FASTQ.gz input end to end: FASTQ shards, merged into what the same reads as FASTA gave', async () => {
    const fastq = generatedReads(240)
      .split('>')
      .slice(1)
      .map((entry) => {
        const [header, sequence] = entry.split('\n');
        return `@${header}\n${sequence}\n+\n${'I'.repeat(sequence.length)}\n`;
      })
      .join('');
    const fastqInput = path.join(dir, 'reads.fq.gz');
    writeFileSync(fastqInput, gzipSync(fastq));
    const fastqOut = path.join(dir, 'fastq-out');
    const run = await snakemake(['--cores', '2'], [`input=${fastqInput}`, `outdir=${fastqOut}`]);
    if (run.code !== 0) throw new Error(run.output);
    expect(predictedShards(run.output)).toEqual(['shard-001', 'shard-002', 'shard-003']);
    const shard = gunzipSync(readFileSync(path.join(fastqOut, 'shards', 'shard-001.fq.gz'))).toString('utf8');
    expect(shard).toMatch(/^@\S+.*\n[ACGTN]*\n\+\nI*\n/);
    expect(readAll(fastqOut)).toEqual(firstMerge);
  });

  it('dry-runs with the Slurm profile: one GPU job per shard, without a Slurm installation', async () => {
    const fresh = path.join(dir, 'slurm-out');
    const dry = await snakemake(
      ['-n', '--profile', path.join(workflow, 'profiles', 'slurm')],
      [`outdir=${fresh}`, 'devices_per_job=1'],
    );
    if (dry.code !== 0) throw new Error(dry.output);
    expect(predictedShards(dry.output)).toEqual(['shard-001', 'shard-002', 'shard-003']);
    expect(dry.output.match(/slurm_extra=--gres=gpu:1/g)).toHaveLength(3);
    expect(dry.output).toMatch(/predict \S+shard-001\.fa\.gz -o \S+shard-001 --models \S+ --devices all/);
    expect(existsSync(fresh)).toBe(false);
  });
});
