import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readReportData } from '../../src/pipeline/report-data';
import type { RunRecord } from '../../src/pipeline/run-folder';
import { writeRunReport } from '../../src/pipeline/run-report';

// What report.html holds, on run folders written here by hand: which records make the table and in
// what order, and that a record too long to draw leaves its track out instead of growing the file.

const run: RunRecord = {
  format: 'virnucpro-run/1',
  fingerprint: {},
  files: [],
  complete: true,
  options: { inputs: ['/data/reads.fa'], chunkSize: 300, minScore: 0 },
};

/** A run folder from summary rows `[id, length, call, frames as [chunk+frame, others, virus]]`. */
function runFolder(records: [string, number, string, [string, number, number][]][]): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'virnucpro-report-data-'));
  const summary = ['Sequence_ID\tLength\tChunks\tFrames_Scored\tMax_Virus_Score\tCall\tNon_ACGT'];
  const results = ['Sequence_ID\tPrediction\tscore1\tscore2'];
  for (const [id, length, call, frames] of records) {
    const best = frames.length === 0 ? 'NA' : String(Math.max(...frames.map(([, , virus]) => virus)));
    summary.push(`${id}\t${length}\t${Math.ceil(length / 300)}\t${frames.length}\t${best}\t${call}\t0`);
    for (const [frame, others, virus] of frames)
      results.push(`${id}_chunk_${frame}\tvirus\t${others}\t${virus}`);
  }
  writeFileSync(path.join(dir, 'prediction_summary.tsv'), `${summary.join('\n')}\n`);
  writeFileSync(path.join(dir, 'prediction_results.txt'), `${results.join('\n')}\n`);
  writeFileSync(path.join(dir, 'run.json'), JSON.stringify(run));
  return dir;
}

test('the table: virus calls first, each by score, ties in input order, cut at the row limit', async () => {
  const dir = runFolder([
    ['o_high', 300, 'others', [['1F1', 0.1, 0.9]]],
    ['v_low', 300, 'virus', [['1F1', 0.4, 0.6]]],
    ['v_tie_first', 300, 'virus', [['1F1', 0.3, 0.7]]],
    ['none', 0, 'empty', []],
    ['v_tie_second', 300, 'virus', [['1F2', 0.3, 0.7]]],
    ['v_best', 300, 'virus', [['1R3', 0.05, 0.95]]],
    ['o_low', 300, 'others', [['1F1', 0.8, 0.2]]],
  ]);
  const all = await readReportData(dir, run, 100);
  expect(all.rows.map((row) => row.id)).toEqual([
    'v_best',
    'v_tie_first',
    'v_tie_second',
    'v_low',
    'o_high',
    'o_low',
    'none',
  ]);
  expect(all.medianScore).toBeCloseTo(0.7, 6);
  expect(all.calls).toEqual({ virus: 4, others: 2, no_frame: 0, empty: 1, not_scored: 0 });
  const top = await readReportData(dir, run, 3);
  expect(top.rows.map((row) => row.id)).toEqual(['v_best', 'v_tie_first', 'v_tie_second']);
  expect(top.records).toBe(7);
  expect(top.rows[0].track).toEqual([[0, 300, [null, null, null, null, null, 0.95]]]);
  expect(top.rows[0].source).toBe('reads.fa');
});

test('a record too long to draw keeps its row without a track, and the file stays small', async () => {
  const dir = runFolder([
    [
      'genome',
      100_000_000,
      'virus',
      [
        ['1F1', 0.1, 0.9],
        ['300000F2', 0.2, 0.8],
      ],
    ],
    ['read', 600, 'virus', [['2F1', 0.3, 0.7]]],
  ]);
  const data = await readReportData(dir, run, 10);
  expect(data.rows.map((row) => [row.id, row.track === null])).toEqual([
    ['genome', true],
    ['read', false],
  ]);
  expect(data.rows[1].track?.[1]).toEqual([300, 600, [0.7, null, null, null, null, null]]);
  await writeRunReport(dir);
  expect(statSync(path.join(dir, 'report.html')).size).toBeLessThan(100_000);
});

test("a partial run's report says so and names its failed shards; ids are escaped", async () => {
  const dir = runFolder([
    ['<b>x</b>', 300, 'virus', [['1F1', 0.1, 0.9]]],
    ['lost', 300, 'not_scored', []],
  ]);
  const failed = { shard: 'shard_00002', code: 'E_OOM', message: 'out of memory' };
  writeFileSync(
    path.join(dir, 'run.json'),
    JSON.stringify({ ...run, complete: false, result: { exitCode: 2, failed: [failed] } }),
  );
  await writeRunReport(dir);
  const html = readFileSync(path.join(dir, 'report.html'), 'utf8');
  expect(html).toContain('id="status">partial (exit 2): 1 shard(s) failed<');
  expect(html).toContain('shard shard_00002 failed (E_OOM): out of memory');
  expect(html).not.toContain('<b>x</b>');
  expect(html).toContain('"\\u003cb>x\\u003c/b>"');
});
