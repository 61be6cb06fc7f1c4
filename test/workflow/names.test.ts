import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { resultFiles } from '../../src/pipeline/merge';
import { shardName } from '../../src/pipeline/split';

// The Snakefile is Python and cannot import the package's TypeScript, so it keeps copies of two rules:
// the shard names `split` gives and the result files of a finished run folder. Its own lines (the
// SHARDS and FINAL assignments) are run by Python here and held equal to the package's.

const snakefile = readFileSync(path.resolve(__dirname, '..', '..', 'workflow', 'Snakefile'), 'utf8');

function assignment(name: string): string {
  const match = new RegExp(`^${name} = (\\[[^\\n]*\\]|\\[\\n[\\s\\S]*?\\n\\])$`, 'm').exec(snakefile);
  if (!match) throw new Error(`workflow/Snakefile: no \`${name} = [...]\` found`);
  return match[0];
}

/** SHARDS and FINAL as the Snakefile computes them for `shards` shards of `shardExt` ('fa' or 'fq'). */
function snakefileNames(shards: number, shardExt = 'fa'): { shards: string[]; final: string[] } {
  const script = [
    'import json',
    `SHARD_COUNT = ${shards}`,
    `SHARD_EXT = ${JSON.stringify(shardExt)}`,
    assignment('SHARDS'),
    assignment('FINAL'),
    'print(json.dumps({"shards": SHARDS, "final": FINAL}))',
  ].join('\n');
  const run = spawnSync('python3', ['-c', script], { maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(run.stderr.toString());
  return JSON.parse(run.stdout.toString());
}

describe('the Snakefile keeps the package names', () => {
  it.each([1, 3, 999, 1000, 12345])('names %i shards as split does', (count) => {
    const expected = Array.from({ length: count }, (_, i) => shardName(i, count));
    expect(snakefileNames(count).shards).toEqual(expected);
  });

  it('declares the result files a predict or merge folder holds, FASTA or FASTQ', () => {
    expect(snakefileNames(1, 'fa').final).toEqual(resultFiles('fasta'));
    expect(snakefileNames(1, 'fq').final).toEqual(resultFiles('fastq'));
  });
});
