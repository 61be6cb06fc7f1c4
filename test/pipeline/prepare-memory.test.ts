import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { writeCodingReads } from '../../bench/synthetic';
import { scratchFolder } from '../io/scratch-folder';

// predict's parent holds little per read: its peak resident memory over the prepare stage (FASTA in,
// shard files out, a few writes per read; plain and gzip) grows by a few MB per 10k reads at most (the
// distinct-frame digests and the id set are about 3 MB of that), not by the ~20 MB
// per 10k reads that per-write buffers kept until a full GC once cost (the bench's predict-memory case
// measures whole runs at larger counts). Each count runs in a fresh process, whose VmHWM is its peak; the
// slope is taken over 140k reads, since between 10k and 40k the timing of GC moved the peak by more than it.

const scratch = scratchFolder('virnucpro-prepare-memory-');
const root = path.resolve(__dirname, '..', '..');

const CHILD = `
const { prepareShards } = require(process.argv[1]);
const fs = require('node:fs');
prepareShards({ inputs: [process.argv[2]], workDir: process.argv[3], chunkSize: 300, shardSize: 10000,
  renameDuplicates: false, intermediateDir: null }).then(() => {
  console.log(/VmHWM:\\s+(\\d+)/.exec(fs.readFileSync('/proc/self/status', 'utf8'))[1]);
});
`;

async function peakMb(reads: number, gzip: boolean): Promise<number> {
  const plain = path.join(scratch.dir, `reads-${reads}.fa`);
  if (!existsSync(plain)) await writeCodingReads(plain, 5, reads, 150);
  const input = gzip ? `${plain}.gz` : plain;
  if (gzip && !existsSync(input)) writeFileSync(input, gzipSync(readFileSync(plain)));
  const prepare = path.join(root, 'dist', 'src', 'pipeline', 'prepare.js');
  const work = path.join(scratch.dir, `work-${reads}-${gzip ? 'gz' : 'plain'}`);
  const kib = execFileSync(process.execPath, ['-e', CHILD, prepare, input, work], { encoding: 'utf8' });
  return Number(kib) / 1024;
}

test.each([
  ['plain', false],
  ['gzip', true],
])(
  'the prepare stage peaks at a resident memory flat in the number of reads (%s FASTA)',
  async (_, gzip) => {
    const small = await peakMb(20_000, gzip);
    const large = await peakMb(160_000, gzip);
    const perTenThousand = (large - small) / 14;
    expect(perTenThousand).toBeLessThan(8);
  },
  60_000,
);
