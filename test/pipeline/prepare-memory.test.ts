import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { writeCodingReads } from '../../bench/synthetic';
import { scratchFolder } from '../io/scratch-folder';

// predict's parent holds little per read: its peak resident memory over the prepare stage (FASTA in,
// shard files out, a few writes per read) grows by a few MB per 10k reads at most, not by the ~20 MB
// per 10k reads that per-write buffers kept until a full GC once cost (the bench's predict-memory case
// measures whole runs at larger counts). Each count runs in a fresh process, whose VmHWM is its peak.

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

async function peakMb(reads: number): Promise<number> {
  const input = path.join(scratch.dir, `reads-${reads}.fa`);
  await writeCodingReads(input, 5, reads, 150);
  const prepare = path.join(root, 'dist', 'src', 'pipeline', 'prepare.js');
  const work = path.join(scratch.dir, `work-${reads}`);
  const kib = execFileSync(process.execPath, ['-e', CHILD, prepare, input, work], { encoding: 'utf8' });
  return Number(kib) / 1024;
}

test('the prepare stage peaks at a resident memory flat in the number of reads', async () => {
  const small = await peakMb(10_000);
  const large = await peakMb(40_000);
  const perTenThousand = (large - small) / 3;
  expect(perTenThousand).toBeLessThan(8);
}, 60_000);
