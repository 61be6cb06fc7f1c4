import { readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { exportTinyModels, runCli, temporaryDir } from '../embed/helpers';
import { generatedReads } from '../workflow/generated-reads';

// split, one predict per shard and merge, as the workflow runs them but without Snakemake, on two
// inputs: the merged folder must be what one `predict --deterministic` of both inputs writes, byte for
// byte, Source column included (each shard is one file, so the shards' summaries have none).

jest.setTimeout(300000);

const RESULT_FILES = [
  'prediction_results.txt',
  'prediction_results_highestscore.csv',
  'prediction_summary.tsv',
  'viral_hits.fa',
];

async function cli(args: string[]): Promise<void> {
  const run = await runCli(args);
  if (run.code !== 0) throw new Error(`${args.join(' ')}: ${run.stderr}`);
}

it('merges the shards of two inputs into what one predict of both writes, Source column included', async () => {
  const dir = temporaryDir('split-merge');
  const models = path.dirname(exportTinyModels().esm2);
  const records = generatedReads(60).split('>').slice(1);
  const inputs = [path.join(dir, 'first.fa.gz'), path.join(dir, 'second.fa')];
  writeFileSync(
    inputs[0],
    gzipSync(
      records
        .slice(0, 35)
        .map((r) => `>${r}`)
        .join(''),
    ),
  );
  writeFileSync(
    inputs[1],
    records
      .slice(35)
      .map((r) => `>${r}`)
      .join(''),
  );
  const predictArgs = ['--models', models, '--deterministic', '--no-progress'];

  const whole = path.join(dir, 'whole');
  await cli(['predict', ...inputs, '-o', whole, ...predictArgs]);
  const shards = path.join(dir, 'shards');
  await cli(['split', ...inputs, '--shards', '3', '-o', shards]);
  const folders = ['shard-001', 'shard-002', 'shard-003'].map((shard) => path.join(dir, 'predict', shard));
  for (const [k, folder] of folders.entries()) {
    await cli(['predict', path.join(shards, `shard-00${k + 1}.fa.gz`), '-o', folder, ...predictArgs]);
  }
  const merged = path.join(dir, 'merged');
  await cli(['merge', ...folders, '--manifest', path.join(shards, 'manifest.tsv'), '-o', merged]);

  const summary = readFileSync(path.join(merged, 'prediction_summary.tsv'), 'utf8').split('\n');
  expect(summary[0].split('\t').pop()).toBe('Source');
  expect(new Set(summary.slice(1, -1).map((line) => line.split('\t').pop()))).toEqual(
    new Set(['first.fa.gz', 'second.fa']),
  );
  for (const name of RESULT_FILES) {
    expect(readFileSync(path.join(merged, name)).equals(readFileSync(path.join(whole, name)))).toBe(true);
  }
});
