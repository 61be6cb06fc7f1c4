import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mergePredictions, RUN_FILE } from '../../src/pipeline/merge';

// A worked example: two shards' predict folders written by hand, the merged files written by hand.
// Records b, a, e, B in input order; b and e in shard-001, a and B in shard-002. The summary carries a
// column predict does not write (GC), which merge must pass through. Code-point order puts 'B' before
// 'a' and 'b'. The real predict runs behind a merge are compared in test/workflow.

let dir: string;
const MANIFEST = [
  'Shard\tSequence_ID\tLength',
  'shard-001\tb\t300',
  'shard-002\ta\t400',
  'shard-001\te\t0',
  'shard-002\tB\t100',
];
const HEADER = 'Sequence_ID\tLength\tChunks\tFrames_Scored\tMax_Virus_Score\tCall\tGC';
const SUMMARY = {
  b: 'b\t300\t1\t2\t0.6\tvirus\t0.51',
  a: 'a\t400\t2\t2\t0.55\tvirus\t0.40',
  e: 'e\t0\t0\t0\tNA\tempty\tNA',
  B: 'B\t100\t1\t1\t0.2\tothers\t0.62',
};
const RESULTS = {
  b: ['b_chunk_1F1\tvirus\t0.4\t0.6', 'b_chunk_1R2\tothers\t0.7\t0.3'],
  a: ['a_chunk_1F1\tvirus\t0.45\t0.55', 'a_chunk_2F3\tothers\t0.9\t0.1'],
  B: ['B_chunk_1F2\tothers\t0.8\t0.2'],
};
const HIGHEST = {
  b: ['b_chunk_1\tTrue'],
  a: ['a_chunk_1\tTrue', 'a_chunk_2\tFalse'],
  B: ['B_chunk_1\tFalse'],
};

interface ShardContent {
  records: (keyof typeof SUMMARY)[];
  header?: string;
  summaryRows?: string[];
  complete?: boolean;
  chunkSize?: number;
}

function writeShard(folder: string, shard: string, content: ShardContent): string {
  mkdirSync(folder, { recursive: true });
  const lines = (rows: string[]) => rows.map((row) => `${row}\n`).join('');
  const withFrames = content.records.filter((id): id is keyof typeof RESULTS => id in RESULTS);
  writeFileSync(
    path.join(folder, 'prediction_summary.tsv'),
    lines([content.header ?? HEADER, ...(content.summaryRows ?? content.records.map((id) => SUMMARY[id]))]),
  );
  writeFileSync(
    path.join(folder, 'prediction_results.txt'),
    lines(['Sequence_ID\tPrediction\tscore1\tscore2', ...withFrames.flatMap((id) => RESULTS[id])]),
  );
  writeFileSync(
    path.join(folder, 'prediction_results_highestscore.csv'),
    lines(['Modified_ID\tIs_Virus', ...withFrames.flatMap((id) => HIGHEST[id]).sort()]),
  );
  writeFileSync(path.join(folder, 'prediction_plot.svg'), '<svg/>');
  const fingerprint = {
    inputs: [{ path: `/elsewhere/shards/${shard}.fa.gz`, sha256: 'def' }],
    chunkSize: content.chunkSize ?? 300,
    'esm2 model': { module: 'abc' },
  };
  writeFileSync(
    path.join(folder, RUN_FILE),
    JSON.stringify({ format: 'virnucpro-run/1', fingerprint, files: [], complete: content.complete ?? true }),
  );
  return folder;
}

let manifest: string;
let first: string;
let second: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'virnucpro-merge-'));
  manifest = path.join(dir, 'manifest.tsv');
  writeFileSync(manifest, `${MANIFEST.join('\n')}\n`);
  first = writeShard(path.join(dir, 'p1'), 'shard-001', { records: ['b', 'e'] });
  second = writeShard(path.join(dir, 'p2'), 'shard-002', { records: ['a', 'B'] });
});

const read = (folder: string, name: string) => readFileSync(path.join(folder, name), 'utf8');

describe('merge', () => {
  it('puts rows back in input order, re-sorts the chunks by code point and keeps extra summary columns', async () => {
    const out = path.join(dir, 'merged');
    const result = await mergePredictions({ folders: [second, first], manifest, outDir: out });
    expect(result).toMatchObject({ shards: 2, records: 4, frames: 5, chunks: 4 });
    expect(read(out, 'prediction_summary.tsv')).toBe(
      [HEADER, SUMMARY.b, SUMMARY.a, SUMMARY.e, SUMMARY.B, ''].join('\n'),
    );
    expect(read(out, 'prediction_results.txt')).toBe(
      ['Sequence_ID\tPrediction\tscore1\tscore2', ...RESULTS.b, ...RESULTS.a, ...RESULTS.B, ''].join('\n'),
    );
    expect(read(out, 'prediction_results_highestscore.csv')).toBe(
      [
        'Modified_ID\tIs_Virus',
        'B_chunk_1\tFalse',
        'a_chunk_1\tTrue',
        'a_chunk_2\tFalse',
        'b_chunk_1\tTrue',
        '',
      ].join('\n'),
    );
    // the plot draws the records with bases, labelled with length, call and best score
    const svg = read(out, 'prediction_plot.svg');
    expect(svg).toContain('b  (300 nt, virus, best ');
    expect(svg).toContain('a  (400 nt, virus, best ');
    expect(svg).toContain('B  (100 nt, others, best ');
  });

  it('draws only the records named by plot ids', async () => {
    const out = path.join(dir, 'plot-ids');
    await mergePredictions({ folders: [first, second], manifest, outDir: out, plot: { ids: ['a'] } });
    const svg = read(out, 'prediction_plot.svg');
    expect(svg).toContain('a  (400 nt, virus, best ');
    expect(svg).not.toContain('b  (300 nt');
  });

  const failures: [string, () => string[], RegExp][] = [
    ['a missing shard', () => [first], /no predict output for shard-002 \(2 records\)/],
    [
      'a shard given twice',
      () => {
        const copy = path.join(dir, 'p2-copy');
        cpSync(second, copy, { recursive: true });
        return [first, second, copy];
      },
      /shard-002 appears twice, in .*p2 and .*p2-copy/,
    ],
    [
      'a record twice in a summary',
      () => [
        first,
        writeShard(path.join(dir, 'dup'), 'shard-002', {
          records: ['a', 'B'],
          summaryRows: [SUMMARY.a, SUMMARY.a, SUMMARY.B],
        }),
      ],
      /dup\/prediction_summary\.tsv:3: record "a" appears twice/,
    ],
    [
      'a record missing from a summary',
      () => [
        first,
        writeShard(path.join(dir, 'gap'), 'shard-002', { records: ['a', 'B'], summaryRows: [SUMMARY.B] }),
      ],
      /record "a" \(.*manifest\.tsv:3\) is missing: .*gap\/prediction_summary\.tsv:2 has "B" in its place/,
    ],
    [
      'summaries with different columns',
      () => [
        first,
        writeShard(path.join(dir, 'other-columns'), 'shard-002', {
          records: ['a', 'B'],
          header: HEADER.replace('\tGC', ''),
          summaryRows: [SUMMARY.a, SUMMARY.B].map((row) => row.replace(/\t[^\t]*$/, '')),
        }),
      ],
      /other-columns\/prediction_summary\.tsv:1: its columns differ/,
    ],
    [
      'shards predicted with another chunk size',
      () => [first, writeShard(path.join(dir, 'c500'), 'shard-002', { records: ['a', 'B'], chunkSize: 500 })],
      /c500: predicted with other models or chunk size than .*p1/,
    ],
    [
      'an unfinished predict run',
      () => [
        first,
        writeShard(path.join(dir, 'unfinished'), 'shard-002', { records: ['a', 'B'], complete: false }),
      ],
      /unfinished: its predict run has not finished; rerun predict there with --resume/,
    ],
  ];
  it.each(failures)('refuses %s with an error naming it, and writes nothing', async (_, folders, message) => {
    const out = path.join(dir, 'refused');
    rmSync(out, { recursive: true, force: true });
    await expect(mergePredictions({ folders: folders(), manifest, outDir: out })).rejects.toThrow(message);
    expect(existsSync(path.join(out, 'prediction_summary.tsv'))).toBe(false);
    expect(existsSync(path.join(out, 'prediction_results.txt'))).toBe(false);
  });
});
