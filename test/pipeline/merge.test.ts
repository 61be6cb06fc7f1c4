import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { mergePredictions, RUN_FILE } from '../../src/pipeline/merge';

// A worked example: two shards' predict folders written by hand, the merged files written by hand.
// Records b, a, e, B in input order, from two inputs (b and a in one.fa, e and B in two.fa); b and e in
// shard-001, a and B in shard-002. A shard is one input, so its summary has no Source column; merge adds
// it back from the manifest, as predict of the two inputs writes it. Code-point order puts 'B' before
// 'a' and 'b'. The real predict runs behind a merge are compared in test/workflow.

let dir: string;
let inputs: string[];
const INPUT_FASTA = [
  `>b first read\n${'ACGT'.repeat(75)}\n>a\n${'TTGCA'.repeat(80)}\n`,
  `>e empty\n>B\n${'G'.repeat(100)}\n`,
];
const MANIFEST = [
  'Shard\tSequence_ID\tLength\tInput',
  'shard-001\tb\t300\t1',
  'shard-002\ta\t400\t1',
  'shard-001\te\t0\t2',
  'shard-002\tB\t100\t2',
];
const HEADER = 'Sequence_ID\tLength\tChunks\tFrames_Scored\tMax_Virus_Score\tCall\tNon_ACGT';
const SUMMARY = {
  b: 'b\t300\t1\t2\t0.6\tvirus\t0',
  a: 'a\t400\t2\t2\t0.55\tvirus\t0',
  e: 'e\t0\t0\t0\tNA\tempty\t0',
  B: 'B\t100\t1\t1\t0.2\tothers\t0',
};
const SOURCE = { b: 'one.fa', a: 'one.fa', e: 'two.fa', B: 'two.fa' };
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

function writeShard(
  folder: string,
  shard: string,
  content: ShardContent,
  settings: { dtype?: string; minScore?: number } = {},
): string {
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
    dtype: settings.dtype ?? 'fp32',
  };
  writeFileSync(
    path.join(folder, RUN_FILE),
    JSON.stringify({
      format: 'virnucpro-run/1',
      fingerprint,
      files: [],
      complete: content.complete ?? true,
      version: '9.8.7',
      options: { minScore: settings.minScore ?? 0, dtype: settings.dtype ?? 'fp32' },
    }),
  );
  return folder;
}

let manifest: string;
let first: string;
let second: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'virnucpro-merge-'));
  inputs = ['one.fa', 'two.fa'].map((name) => path.join(dir, name));
  inputs.forEach((input, k) => writeFileSync(input, INPUT_FASTA[k]));
  manifest = path.join(dir, 'manifest.tsv');
  const head = [
    ...inputs.map((input) => `#input\t${input}\t${sha256sum(input)}`),
    '#rename_duplicates\tfalse',
  ];
  writeFileSync(manifest, `${[...head, ...MANIFEST].join('\n')}\n`);
  first = writeShard(path.join(dir, 'p1'), 'shard-001', { records: ['b', 'e'] });
  second = writeShard(path.join(dir, 'p2'), 'shard-002', { records: ['a', 'B'] });
});

const read = (folder: string, name: string) => readFileSync(path.join(folder, name), 'utf8');
function sha256sum(file: string): string {
  return spawnSync('sha256sum', [file]).stdout.toString().split(' ')[0];
}

describe('merge', () => {
  it('puts rows back in input order with their Source, and re-sorts the chunks by code point', async () => {
    const out = path.join(dir, 'merged');
    const result = await mergePredictions({ folders: [second, first], manifest, outDir: out });
    expect(result).toMatchObject({ shards: 2, records: 4, frames: 5, chunks: 4 });
    const rows = (['b', 'a', 'e', 'B'] as const).map((id) => `${SUMMARY[id]}\t${SOURCE[id]}`);
    expect(read(out, 'prediction_summary.tsv')).toBe([`${HEADER}\tSource`, ...rows, ''].join('\n'));
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

  it('writes a whole run folder: viral_hits.fa from the inputs split read, the report, and run.json', async () => {
    const out = path.join(dir, 'whole');
    await mergePredictions({ folders: [first, second], manifest, outDir: out });
    // the records called virus, as the input holds them, wrapped at 60
    const wrap = (sequence: string) => sequence.replace(/(.{60})/g, '$1\n').replace(/\n$/, '');
    expect(read(out, 'viral_hits.fa')).toBe(
      `>b first read\n${wrap('ACGT'.repeat(75))}\n>a\n${wrap('TTGCA'.repeat(80))}\n`,
    );
    const run = JSON.parse(read(out, RUN_FILE));
    expect(run).toMatchObject({
      format: 'virnucpro-run/1',
      kind: 'merge',
      complete: true,
      inputs: inputs.map((input) => ({ path: input, sha256: sha256sum(input) })),
      fingerprint: {
        inputs: inputs.map((input) => ({ path: input, sha256: sha256sum(input) })),
        chunkSize: 300,
        dtype: 'fp32',
      },
      options: { inputs, renameDuplicates: false, chunkSize: 300, minScore: 0 },
      manifest: { path: manifest, sha256: sha256sum(manifest) },
      counts: { records: 4, frames: 5, chunks: 4, shards: 2, viralHits: 2 },
    });
    expect(run.counts.calls).toMatchObject({ virus: 2, others: 1, empty: 1 });
    expect(
      run.shards.map((s: { shard: string; folder: string; version: string }) => [
        s.shard,
        s.folder,
        s.version,
      ]),
    ).toEqual([
      ['shard-001', first, '9.8.7'],
      ['shard-002', second, '9.8.7'],
    ]);
    expect(run.shards[1].fingerprint.inputs).toEqual([
      { path: '/elsewhere/shards/shard-002.fa.gz', sha256: 'def' },
    ]);
    expect(Date.parse(run.ended)).toBeGreaterThanOrEqual(Date.parse(run.started));
    // the report and the MultiQC files (which the shards' runs leave out) count the whole run
    expect(run.files).toEqual(
      expect.arrayContaining(['report.html', 'virnucpro_mqc.tsv', 'virnucpro_calls_mqc.tsv']),
    );
    expect(read(out, 'report.html')).toContain('"rows":[["b","one.fa",300,"virus",0.6,');
    const calls = read(out, 'virnucpro_calls_mqc.tsv').trim().split('\n').slice(-2);
    expect(calls).toEqual(['Sample\tvirus\tothers\tno_frame\tempty\tnot_scored', 'whole\t2\t1\t0\t1\t0']);
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
      /record "a" \(.*manifest\.tsv:6\) is missing: .*gap\/prediction_summary\.tsv:2 has "B" in its place/,
    ],
    [
      'summaries with different columns',
      () => [
        first,
        writeShard(path.join(dir, 'other-columns'), 'shard-002', {
          records: ['a', 'B'],
          header: HEADER.replace('\tNon_ACGT', ''),
          summaryRows: [SUMMARY.a, SUMMARY.B].map((row) => row.replace(/\t[^\t]*$/, '')),
        }),
      ],
      /other-columns\/prediction_summary\.tsv:1: its columns differ/,
    ],
    [
      'shards predicted with another chunk size',
      () => [first, writeShard(path.join(dir, 'c500'), 'shard-002', { records: ['a', 'B'], chunkSize: 500 })],
      /c500 \(shard-002\): predicted with another chunkSize than .*p1 \(shard-001\)/,
    ],
    [
      'shards predicted in another dtype',
      () => [
        first,
        writeShard(path.join(dir, 'bf16'), 'shard-002', { records: ['a', 'B'] }, { dtype: 'bf16' }),
      ],
      /bf16 \(shard-002\): predicted with another dtype than .*p1 \(shard-001\)/,
    ],
    [
      'shards called under another --min-score',
      () => [
        first,
        writeShard(path.join(dir, 'min'), 'shard-002', { records: ['a', 'B'] }, { minScore: 0.5 }),
      ],
      /min \(shard-002\): predicted with another minScore than .*p1 \(shard-001\)/,
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
    expect(existsSync(path.join(out, 'run.json'))).toBe(false);
  });

  it('refuses inputs changed since split read them, and writes nothing', async () => {
    const out = path.join(dir, 'changed-input');
    const changed = path.join(dir, 'changed.tsv');
    writeFileSync(changed, read(dir, 'manifest.tsv').replace(/\t[0-9a-f]{64}\n/, `\t${'0'.repeat(64)}\n`));
    await expect(
      mergePredictions({ folders: [first, second], manifest: changed, outDir: out }),
    ).rejects.toThrow(/one\.fa: changed since split read it/);
    expect(existsSync(out)).toBe(false);
  });
});
