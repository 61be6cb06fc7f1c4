import { execFileSync, spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { chmodSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { isTemporaryName } from '../../src/io/atomic-write';
import { resultFiles } from '../../src/pipeline/merge';
import { readRecordCalls } from '../../src/pipeline/record-calls';
import { exportTinyModels, runCli, temporaryDir } from '../embed/helpers';
import { generatedReads } from './generated-reads';

// The shipped workflow and Slurm profile on a real one-node Slurm cluster (scripts/slurm-cluster.sh:
// slurmctld, slurmd, slurmdbd with MariaDB, munge), with only the partition and memory overridden.
// One deterministic run, during which one shard's predict job is cancelled with scancel once it has
// finished an embeddings file: Snakemake must submit it again, and the new job must resume. The merged
// folder is compared byte for byte with one `predict --deterministic` of the whole input, and read back
// with rescore and readRecordCalls. Then the GPU request, checked at submission only (jobs held, read back
// with scontrol, cancelled), and a default-mode run whose ids and calls must equal.
// The cluster is started once and left running for later suites (the script reuses it).

const root = path.resolve(__dirname, '..', '..');
const CLI = path.join(root, 'dist', 'src', 'cli', 'main.js');
const available =
  process.getuid?.() === 0 &&
  ['slurmctld', 'slurmd', 'slurmdbd', 'munged'].every((d) => existsSync(`/usr/sbin/${d}`));
const PREDICT_ARGS = '--deterministic';

jest.setTimeout(600000);

let dir: string;
let workflow: string;
let models: string;
let input: string;
let reference: string;

/** Snakemake with the shipped Slurm profile; the test reads its output as it comes. */
class SnakemakeRun {
  readonly child: ChildProcess;
  output = '';
  readonly done: Promise<number | null>;

  constructor(outDir: string, config: string[], env: NodeJS.ProcessEnv = {}) {
    const argv = [
      '-s',
      path.join(workflow, 'Snakefile'),
      '--profile',
      path.join(workflow, 'profiles', 'slurm'),
      // this one node's memory instead of the profile's GPU-node sizes
      '--default-resources',
      'slurm_partition=gpu',
      'mem_mb=1000',
      'runtime=60',
      "slurm_extra=''",
      '--set-resources',
      'predict:mem_mb=2000',
      '--latency-wait',
      '5',
      '--config',
      `input=${input}`,
      `outdir=${outDir}`,
      `models=${models}`,
      'shards=3',
      'threads_per_job=1',
      `virnucpro=${process.execPath} ${CLI}`,
      ...config,
    ];
    // Snakemake's Slurm support reads $USER (a KeyError where it is unset, as under some CI runners)
    this.child = spawn('snakemake', argv, { cwd: dir, env: { ...process.env, USER: 'root', ...env } });
    this.child.stdout?.on('data', (b) => (this.output += b));
    this.child.stderr?.on('data', (b) => (this.output += b));
    this.done = new Promise((resolve, reject) => {
      this.child.on('error', reject);
      this.child.on('close', resolve);
    });
  }

  /** Slurm job ids of one rule's jobs, by wildcard (or the rule name), in submission order. */
  slurmJobs(rule: string): Map<string, string[]> {
    const ruleOf = new Map<string, string>();
    for (const block of this.output.split(/\n(?=(?:local)?rule )/)) {
      const head = /^rule (\w+):[\s\S]*?jobid: (\d+)/.exec(block);
      if (!head || head[1] !== rule) continue;
      ruleOf.set(head[2], /wildcards: shard=(shard-\d+)/.exec(block)?.[1] ?? rule);
    }
    const jobs = new Map<string, string[]>();
    for (const [, job, slurmId] of this.output.matchAll(/Submitted job (\d+) with external jobid '(\d+)'/g)) {
      const name = ruleOf.get(job);
      if (name !== undefined) jobs.set(name, [...(jobs.get(name) ?? []), slurmId]);
    }
    return jobs;
  }
}

async function until<T>(what: string, check: () => T | null | undefined, seconds = 240): Promise<T> {
  const deadline = Date.now() + seconds * 1000;
  for (;;) {
    const value = check();
    if (value !== null && value !== undefined && value !== false) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}

const slurm = (command: string, args: string[]) => execFileSync(command, args, { encoding: 'utf8' });
const sacctState = (id: string) => slurm('sacct', ['-j', id, '-X', '-n', '-P', '-o', 'State']).trim();
const jobField = (id: string, field: string) =>
  new RegExp(`\\b${field}=(\\S*)`).exec(slurm('scontrol', ['show', 'job', id]))?.[1] ?? null;

/** Finished (not temporary) files under a folder, relative to it. */
function finishedFiles(folder: string): string[] {
  if (!existsSync(folder)) return [];
  return readdirSync(folder, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && !isTemporaryName(entry.name))
    .map((entry) => path.relative(folder, path.join(entry.parentPath, entry.name)));
}

const read = (folder: string, name: string) => readFileSync(path.join(folder, name));
const rowsOf = (folder: string, name: string) =>
  readFileSync(path.join(folder, name), 'utf8')
    .trimEnd()
    .split('\n')
    .map((line) => line.split('\t'));

async function recordCalls(folder: string) {
  const rows = [];
  for await (const row of readRecordCalls(folder)) rows.push(row);
  return rows;
}

const describeOnSlurm = available ? describe : describe.skip;
if (!available) {
  it.skip('needs root and Debian slurm-wlm, slurmdbd, munge, mariadb-server (scripts/setup.sh installs them)', () => {});
}

describeOnSlurm('the workflow on a real Slurm cluster', () => {
  let out: string;

  beforeAll(async () => {
    execFileSync('bash', [path.join(root, 'scripts', 'slurm-cluster.sh'), 'start'], { stdio: 'pipe' });
    dir = temporaryDir('slurm');
    models = exportTinyModels().dir;
    input = path.join(dir, 'reads.fa.gz');
    writeFileSync(input, gzipSync(generatedReads(240)));
    workflow = path.join(dir, 'workflow');
    expect((await runCli(['workflow', 'init', workflow])).code).toBe(0);
    reference = path.join(dir, 'one-run');
    const args = ['predict', input, '-o', reference, '--models', models, '--no-progress', PREDICT_ARGS];
    const predicted = await runCli(args);
    if (predicted.code !== 0) throw new Error(predicted.stderr);
    out = path.join(dir, 'out');
  });

  it('the cluster script refuses a Slurm configuration it did not write, and changes nothing', () => {
    const conf = path.join(dir, 'etc-slurm');
    mkdirSync(conf);
    writeFileSync(path.join(conf, 'slurm.conf'), 'ClusterName=theirs\n');
    const state = path.join(dir, 'state');
    const run = spawnSync('bash', [path.join(root, 'scripts', 'slurm-cluster.sh'), 'start'], {
      env: { ...process.env, VIRNUCPRO_SLURM_CONF_DIR: conf, VIRNUCPRO_SLURM_STATE: state },
      encoding: 'utf8',
    });
    expect(run.status).toBe(1);
    expect(run.stderr).toContain(`refusing: ${conf}/slurm.conf exists and was not written by this script`);
    expect(readdirSync(conf)).toEqual(['slurm.conf']);
    expect(readFileSync(path.join(conf, 'slurm.conf'), 'utf8')).toBe('ClusterName=theirs\n');
    expect(existsSync(state)).toBe(false);
  });

  it('completes with a predict job cancelled mid-run: resubmitted, resumed, and the merge equals one predict run byte for byte', async () => {
    const run = new SnakemakeRun(out, ['devices_per_job=0', `predict_args=${PREDICT_ARGS}`]);
    const work = path.join(out, 'predict', 'shard-002', '.virnucpro-work');
    const embeddings = () => finishedFiles(work).filter((file) => /^(dnabert-s|esm2)\//.test(file));
    const finishedBefore = await until('a finished embeddings file of shard-002', () => {
      const files = embeddings();
      return files.length > 0 ? files : null;
    });
    const [cancelled] = run.slurmJobs('predict').get('shard-002') ?? [];
    expect(cancelled).toBeDefined();
    // a CPU job asks for no GPU
    expect(jobField(cancelled, 'TresPerNode')).toBeNull();
    slurm('scancel', [cancelled]);

    const code = await run.done;
    if (code !== 0) throw new Error(run.output);
    expect(sacctState(cancelled)).toMatch(/^CANCELLED/);
    const predictJobs = run.slurmJobs('predict');
    const resubmitted = predictJobs.get('shard-002') ?? [];
    expect(resubmitted).toHaveLength(2);
    const completed = [
      ...run.slurmJobs('split').values(),
      ...run.slurmJobs('merge').values(),
      ...predictJobs.values(),
    ]
      .flat()
      .filter((id) => id !== cancelled);
    expect(completed).toHaveLength(5);
    for (const id of completed) expect(sacctState(id)).toBe('COMPLETED');

    // the new job resumed: the files finished before the cancel were not embedded again
    const shard = path.join(out, 'predict', 'shard-002');
    expect(readFileSync(path.join(out, 'logs', 'predict', 'shard-002.log'), 'utf8')).toMatch(
      /^predict --resume\n/,
    );
    const shardRun = JSON.parse(readFileSync(path.join(shard, 'run.json'), 'utf8'));
    expect(shardRun).toMatchObject({ resumed: true, complete: true });
    for (const model of new Set(finishedBefore.map((file) => file.split('/')[0]))) {
      expect(shardRun.result.embedded[model].embedded).toBe(0);
    }

    for (const name of resultFiles('fasta').filter((file) => file !== 'prediction_plot.svg')) {
      expect(read(out, name).equals(read(reference, name))).toBe(true);
    }
    expect(readFileSync(path.join(out, 'prediction_plot.svg'), 'utf8')).toMatch(/read_\d+ {2}\(/);
    expect(existsSync(path.join(out, 'virnucpro.log'))).toBe(true);
  });

  it('leaves a folder that readRecordCalls and rescore read as a predict folder', async () => {
    expect(await recordCalls(out)).toEqual(await recordCalls(reference));
    const [merged, single] = [path.join(dir, 'rescored-merge'), path.join(dir, 'rescored-one')];
    cpSync(out, merged, { recursive: true });
    cpSync(reference, single, { recursive: true });
    for (const folder of [merged, single]) {
      const rescored = await runCli(['rescore', folder, '--min-score', '0.6']);
      if (rescored.code !== 0) throw new Error(rescored.stderr);
    }
    for (const name of ['prediction_summary.tsv', 'prediction_results_highestscore.csv', 'viral_hits.fa']) {
      expect(read(merged, name).equals(read(single, name))).toBe(true);
    }
    // the rescore changed something, so the comparison above says something
    expect(read(merged, 'prediction_summary.tsv').equals(read(out, 'prediction_summary.tsv'))).toBe(false);
  });

  it('asks Slurm for gpu:2 per predict job with devices_per_job: 2 (checked at submission, jobs held)', async () => {
    const gpuOut = path.join(dir, 'gpu-out');
    // the shards as split wrote them, so the first jobs submitted are predict's
    cpSync(path.join(out, 'shards'), path.join(gpuOut, 'shards'), {
      recursive: true,
      preserveTimestamps: true,
    });
    // Slurm 22.05's sbatch has no hold variable: an sbatch first on PATH adds --hold, so nothing runs
    // on the pretend GPUs
    const bin = path.join(dir, 'held-bin');
    mkdirSync(bin);
    writeFileSync(
      path.join(bin, 'sbatch'),
      `#!/bin/sh\nexec ${slurm('sh', ['-c', 'command -v sbatch']).trim()} --hold "$@"\n`,
    );
    chmodSync(path.join(bin, 'sbatch'), 0o755);
    const run = new SnakemakeRun(gpuOut, ['devices_per_job=2'], { PATH: `${bin}:${process.env.PATH}` });
    try {
      const jobs = await until('three held predict jobs', () => {
        const ids = [...run.slurmJobs('predict').values()].flat();
        return ids.length === 3 ? ids : null;
      });
      for (const id of jobs) {
        expect(jobField(id, 'JobState')).toBe('PENDING');
        expect(jobField(id, 'Reason')).toBe('JobHeldUser');
        expect(jobField(id, 'TresPerNode')).toBe('gres:gpu:2');
      }
    } finally {
      // on SIGINT Snakemake cancels its jobs (cluster-cancel: scancel); scancel again in case it did not
      run.child.kill('SIGINT');
      await run.done;
      for (const ids of run.slurmJobs('predict').values()) spawnSync('scancel', ids);
    }
    // cancelled without ever starting
    for (const id of [...run.slurmJobs('predict').values()].flat()) {
      await until(`job ${id} cancelled`, () => /^CANCELLED/.test(sacctState(id)), 30);
      expect(slurm('sacct', ['-j', id, '-X', '-n', '-P', '-o', 'NodeList']).trim()).toBe('None assigned');
    }
  });

  it('merges ids and calls equal to one predict run in the default (not deterministic) mode', async () => {
    const defaultOut = path.join(dir, 'default-out');
    const run = new SnakemakeRun(defaultOut, ['devices_per_job=0']);
    if ((await run.done) !== 0) throw new Error(run.output);
    const idsAndCalls = (folder: string) =>
      rowsOf(folder, 'prediction_results.txt').map(([id, call]) => [id, call]);
    expect(idsAndCalls(defaultOut)).toEqual(idsAndCalls(reference));
    const summaryCalls = (folder: string) => {
      const rows = rowsOf(folder, 'prediction_summary.tsv');
      const call = rows[0].indexOf('Call');
      return rows.map((row) => [row[0], row[call]]);
    };
    expect(summaryCalls(defaultOut)).toEqual(summaryCalls(reference));
    expect(read(defaultOut, 'viral_hits.fa').equals(read(reference, 'viral_hits.fa'))).toBe(true);
  });
});
