import { spawnSync } from 'node:child_process';
import { createWriteStream, existsSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { once } from 'node:events';
import { createGzip } from 'node:zlib';
import { Command } from 'commander';
import { lintFastaFiles } from '../src/io/fasta-lint';
import { sha256File } from '../src/io/fingerprint';
import { inputPieces } from '../src/io/input-bytes';
import { packageRoot } from '../src/native';
import { prepareShards } from '../src/pipeline/prepare';
import { spread } from './repeats';
import { seededRandom } from './synthetic';

// Reading FASTQ.gz, the first stage of every run: `virnucpro validate` against Debian's
// `seqkit stats -j 1` on the same file (both whole processes, side by side in each repeat, so a loaded
// machine slows both), then where the time goes inside one process: decompression alone, predict's
// check pass with and without the input hash folded in, and predict's prepare stage on the same file.
//
//   npm run build:ts && node dist/bench/fastq-read.js [--reads 1000000] [--repeats 3] [--work DIR]

interface Options {
  reads: number;
  repeats: number;
  work: string;
}

const READ_LENGTH = 150;

/** `reads` random 150-nt reads with random qualities, as a sequencer's FASTQ.gz (seeded). */
async function writeReads(file: string, reads: number): Promise<void> {
  if (existsSync(file)) return;
  const random = seededRandom(20);
  const gzip = createGzip();
  const out = createWriteStream(`${file}.part`);
  gzip.pipe(out);
  const bases = Buffer.from('ACGT');
  for (let start = 0; start < reads; start += 10000) {
    const parts: Buffer[] = [];
    for (let n = start; n < Math.min(reads, start + 10000); n++) {
      const body = Buffer.alloc(2 * READ_LENGTH + 4);
      for (let k = 0; k < READ_LENGTH; k++) {
        body[k] = bases[Math.floor(random() * 4)];
        body[READ_LENGTH + 3 + k] = 35 + Math.floor(random() * 40);
      }
      body.write('\n+\n', READ_LENGTH);
      body[body.length - 1] = 0x0a;
      parts.push(Buffer.from(`@read_${n + 1} 1:N:0:1\n`), body);
    }
    if (!gzip.write(Buffer.concat(parts))) await once(gzip, 'drain');
  }
  gzip.end();
  await once(out, 'close');
  await rename(`${file}.part`, file);
}

const minutesSeconds = (text: string) => {
  const [, minutes, secs] = /(\d+)m([\d.]+)s/.exec(text) ?? [];
  return Number(minutes) * 60 + Number(secs);
};

/** Wall and CPU seconds (user + system, from bash's `times`) of one command run as its own process. */
function processSeconds(command: string, args: string[]): { wall: number; cpu: number } {
  const quoted = [command, ...args].map((word) => `'${word.replace(/'/g, `'\\''`)}'`).join(' ');
  const started = performance.now();
  const run = spawnSync('bash', ['-c', `${quoted} >/dev/null && times`], { encoding: 'utf8' });
  const wall = (performance.now() - started) / 1000;
  if (run.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${run.stderr}`);
  const [user, system] = run.stdout.trim().split('\n')[1].split(' ').map(minutesSeconds);
  return { wall, cpu: user + system };
}

async function seconds(work: () => Promise<unknown>): Promise<number> {
  const started = performance.now();
  await work();
  return (performance.now() - started) / 1000;
}

async function main(options: Options): Promise<void> {
  await mkdir(options.work, { recursive: true });
  const file = path.join(options.work, `reads-${options.reads}x${READ_LENGTH}.fq.gz`);
  await writeReads(file, options.reads);
  const cli = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
  const rows: Record<string, number[]> = {
    'virnucpro validate (process, wall)': [],
    'seqkit stats -j 1 (process, wall)': [],
    'speed ratio, wall (seqkit s / validate s)': [],
    'virnucpro validate (process, CPU)': [],
    'seqkit stats -j 1 (process, CPU)': [],
    'speed ratio, CPU (seqkit s / validate s)': [],
    'gunzip only (in process)': [],
    'checks + sha256, one pass (predict now)': [],
    'checks, then sha256 (predict before)': [],
    'prepare stage (chunk, frames, shards)': [],
  };
  for (let repeat = 0; repeat < options.repeats; repeat++) {
    // alternate which side runs first, so neither always meets a warmer cache
    const sides = [
      () => processSeconds(process.execPath, [cli, 'validate', file]),
      () => processSeconds('seqkit', ['stats', '-j', '1', file]),
    ];
    const [ours, theirs] = repeat % 2 === 0 ? [sides[0](), sides[1]()] : [sides[1](), sides[0]()].reverse();
    rows['virnucpro validate (process, wall)'].push(ours.wall);
    rows['seqkit stats -j 1 (process, wall)'].push(theirs.wall);
    rows['speed ratio, wall (seqkit s / validate s)'].push(theirs.wall / ours.wall);
    rows['virnucpro validate (process, CPU)'].push(ours.cpu);
    rows['seqkit stats -j 1 (process, CPU)'].push(theirs.cpu);
    rows['speed ratio, CPU (seqkit s / validate s)'].push(theirs.cpu / ours.cpu);
    rows['gunzip only (in process)'].push(
      await seconds(async () => {
        for await (const piece of inputPieces(file, () => 0)) void piece;
      }),
    );
    rows['checks + sha256, one pass (predict now)'].push(
      await seconds(() => lintFastaFiles([file], { hash: true })),
    );
    rows['checks, then sha256 (predict before)'].push(
      await seconds(async () => {
        await lintFastaFiles([file]);
        await sha256File(file);
      }),
    );
    const workDir = path.join(options.work, 'prepare');
    rows['prepare stage (chunk, frames, shards)'].push(
      await seconds(() =>
        prepareShards({
          inputs: [file],
          workDir,
          chunkSize: 300,
          shardSize: 100000,
          renameDuplicates: false,
          intermediateDir: null,
        }),
      ),
    );
    await rm(workDir, { recursive: true, force: true });
  }
  console.log(
    `${options.reads} reads of ${READ_LENGTH} nt as FASTQ.gz, ${options.repeats} repeats, ${os.cpus().length} cores`,
  );
  for (const [name, runs] of Object.entries(rows)) {
    const { min, median } = spread(runs);
    const unit = name.startsWith('speed') ? 'x' : ' s';
    console.log(`${name.padEnd(44)} min ${min.toFixed(2)}${unit}  median ${median.toFixed(2)}${unit}`);
  }
}

const program = new Command()
  .option('--reads <n>', 'reads in the file', (v) => Number.parseInt(v, 10), 1000000)
  .option('--repeats <n>', 'side-by-side repeats', (v) => Number.parseInt(v, 10), 3)
  .option(
    '--work <dir>',
    'where the file is written and kept',
    path.join(os.tmpdir(), 'virnucpro-bench', 'fastq'),
  )
  .parse();
void main(program.opts<Options>()).catch((error: unknown) => {
  console.error(error);
  process.exitCode = 1;
});
