import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { PassThrough } from 'node:stream';
import { createProgressReporter } from '../../src/cli/predict-progress';
import { predict, type PredictEvent, type PredictOptions } from '../../src/pipeline/predict';
import { PredictInterrupted } from '../../src/pipeline/predict-errors';
import { readRecordCalls } from '../../src/pipeline/record-calls';
import { exportTinyModels } from '../embed/helpers';

// What a run leaves beside VirNucPro's files, on the tiny demo models and two inputs: run.json, the
// log, the summary's Source column, viral_hits.fa and readRecordCalls, each checked against python3
// reading the inputs and prediction_results.txt itself; rescore against a fresh run with the same
// --min-score; and the progress of a resumed run whose embeddings were all done.

const root = path.resolve(__dirname, '..', '..');
const PYTHON = '/usr/bin/python3';
const CLI = path.join(root, 'dist', 'src', 'cli', 'main.js');

let dir: string;
let models: string;
let inputs: string[];

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'virnucpro-outputs-'));
  models = exportTinyModels().dir;
  const demo = readFileSync(path.join(root, 'examples', 'demo.fa'), 'utf8');
  inputs = [path.join(dir, 'first.fa'), path.join(dir, 'second.fa')];
  writeFileSync(inputs[0], demo);
  // lower case, CR LF line ends, a record without frames and an empty one
  const second = demo
    .replace(/>demo_/g, '>other_')
    .toLowerCase()
    .replace(/\n/g, '\r\n');
  NO_EMBEDDING = path.join(dir, 'no-embedding.js');
  writeFileSync(NO_EMBEDDING, NO_EMBEDDING_GUARD);
  READS = path.join(dir, 'reads.log');
  writeFileSync(inputs[1], `${second}>unknown kept as is\r\n${'N'.repeat(400)}\r\n>empty_one\r\n`);
});

// Loaded with --require before the CLI: forking a worker process, or loading the addon in the parent,
// fails the command (the plot's own renderer, a spawned script, may still run); and every file opened
// as a read stream is logged to VIRNUCPRO_TEST_READS.
const NO_EMBEDDING_GUARD = `
const fs = require('node:fs');
const createReadStream = fs.createReadStream;
fs.createReadStream = function (file, ...rest) {
  fs.appendFileSync(process.env.VIRNUCPRO_TEST_READS, String(file) + '\\n');
  return createReadStream.call(this, file, ...rest);
};
require('node:child_process').fork = () => { throw new Error('no embedding here: a worker process'); };
const Module = require('node:module');
const load = Module._load;
Module._load = function (request, ...rest) {
  if (/[\\/]binding([\\/]index(\\.js)?)?$|\\.node$/.test(request)) throw new Error('no embedding here: the native addon');
  return load.call(this, request, ...rest);
};
`;
let NO_EMBEDDING: string;
let READS: string;

function options(outDir: string, extra: Partial<PredictOptions> = {}): PredictOptions {
  return { inputs, outDir: path.join(dir, outDir), models, ...extra };
}

// python3: every record of the inputs with its calls from prediction_results.txt at a --min-score
const REFERENCE = `
import sys, json, os, numpy as np
out, min_score, inputs = sys.argv[1], float(sys.argv[2]), sys.argv[3:]
records = []
for path in inputs:
    text = open(path, newline='').read().replace('\\r\\n', '\\n')
    for entry in text.split('>')[1:]:
        header, _, body = entry.partition('\\n')
        records.append({'id': header.split()[0], 'header': header.strip(), 'sequence': body.replace('\\n', ''),
                        'source': os.path.basename(path)})
chunks = {}
lines = open(os.path.join(out, 'prediction_results.txt')).read().splitlines()[1:]
for line in lines:
    frame, _, others, virus = line.split('\\t')
    best = chunks.setdefault(frame[:-2], [np.float32(-1), np.float32(-1), 0])
    best[0] = max(best[0], np.float32(others)); best[1] = max(best[1], np.float32(virus)); best[2] += 1
by_record = {}
for chunk, best in chunks.items():
    by_record.setdefault(chunk.rsplit('_chunk_', 1)[0], []).append(best)
for r in records:
    scored = by_record.get(r['id'], [])
    r['length'] = len(r['sequence'])
    r['frames'] = sum(b[2] for b in scored)
    r['virus'] = float(max(b[1] for b in scored)) if scored else None
    r['others'] = float(max(b[0] for b in scored)) if scored else None
    virus = any(b[1] >= b[0] and b[1] >= np.float32(min_score) for b in scored)
    r['call'] = 'empty' if not r['sequence'] else 'no_frame' if not scored else 'virus' if virus else 'others'
print(json.dumps(records))
`;

interface Reference {
  id: string;
  header: string;
  sequence: string;
  source: string;
  length: number;
  frames: number;
  virus: number | null;
  others: number | null;
  call: string;
}

function reference(outDir: string, minScore: number): Reference[] {
  const run = spawnSync(PYTHON, ['-c', REFERENCE, outDir, String(minScore), ...inputs], {
    maxBuffer: 1 << 26,
  });
  if (run.status !== 0) throw new Error(run.stderr.toString());
  return JSON.parse(run.stdout.toString()) as Reference[];
}

/** viral_hits.fa as [header, sequence] pairs. */
function hits(outDir: string): [string, string][] {
  const text = readFileSync(path.join(outDir, 'viral_hits.fa'), 'utf8');
  return text
    .split('>')
    .slice(1)
    .map((entry) => {
      const [header, ...lines] = entry.split('\n');
      return [header, lines.join('')];
    });
}

const sha256 = (file: string) => createHash('sha256').update(readFileSync(file)).digest('hex');

describe('run outputs', () => {
  let base: string;
  let stderr: string;
  beforeAll(() => {
    base = path.join(dir, 'base');
    const run = spawnSync(
      process.execPath,
      [CLI, 'predict', ...inputs, '-o', base, '--models', models, '--no-progress', '--threads', '1'],
      { encoding: 'utf8' },
    );
    stderr = run.stderr;
    if (run.status !== 0) throw new Error(stderr);
  });

  it('run.json records version, command line, options, model and input fingerprints, times, counts and stage timings', () => {
    const run = JSON.parse(readFileSync(path.join(base, 'run.json'), 'utf8'));
    const records = reference(base, 0);
    expect(run.format).toBe('virnucpro-run/1');
    expect(run.complete).toBe(true);
    expect(run.files).toEqual(
      expect.arrayContaining(['prediction_summary.tsv', 'viral_hits.fa', 'virnucpro.log']),
    );
    expect(run.version).toBe(JSON.parse(readFileSync(path.join(root, 'package.json'), 'utf8')).version);
    expect(run.command).toEqual([
      'virnucpro',
      'predict',
      ...inputs,
      '-o',
      base,
      '--models',
      models,
      '--no-progress',
      '--threads',
      '1',
    ]);
    expect(run.options).toMatchObject({
      inputs,
      models,
      threads: 1,
      minScore: 0,
      chunkSize: 300,
      dtype: 'fp32',
    });
    expect(run.inputs).toEqual(inputs.map((input) => ({ path: input, sha256: sha256(input) })));
    expect(run.models['classifier model'].module).toBe(sha256(path.join(models, 'classifier', 'model.pt')));
    expect(run.models['esm2 model'].module).toBe(sha256(path.join(models, 'esm2', 'model.pt')));
    expect(Date.parse(run.started)).toBeLessThanOrEqual(Date.parse(run.ended));
    expect(run.counts).toMatchObject({
      records: records.length,
      frames: records.reduce((sum, r) => sum + r.frames, 0),
      emptyRecords: 1,
      viralHits: records.filter((r) => r.call === 'virus').length,
    });
    expect(Object.keys(run.timings).sort()).toEqual(['classify', 'dnabert-s', 'esm2', 'prepare', 'write']);
    for (const seconds of Object.values(run.timings)) expect(seconds).toBeGreaterThanOrEqual(0);
  });

  it('virnucpro.log holds every line printed, after the command line', () => {
    const log = readFileSync(path.join(base, 'virnucpro.log'), 'utf8').split('\n');
    expect(log[0]).toMatch(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d \$ virnucpro predict /);
    const printed = stderr
      .trim()
      .split('\n')
      .map((line) => line.replace(/^\d\d:\d\d:\d\d /, ''));
    const kept = log.map((line) => line.replace(/^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d /, ''));
    for (const line of printed) expect(kept).toContain(line);
  });

  it("the summary names each record's input file in a Source column when there are several", () => {
    const rows = readFileSync(path.join(base, 'prediction_summary.tsv'), 'utf8').trim().split('\n');
    expect(rows[0].split('\t').at(-1)).toBe('Source');
    const expected = reference(base, 0).map((r) => [r.id, r.source]);
    expect(rows.slice(1).map((row) => [row.split('\t')[0], row.split('\t').at(-1)])).toEqual(expected);
  });

  it('viral_hits.fa holds the records called virus, header and original sequence, in input order', () => {
    const expected = reference(base, 0).filter((r) => r.call === 'virus');
    expect(expected.length).toBeGreaterThan(0);
    expect(hits(base)).toEqual(expected.map((r) => [r.header, r.sequence]));
  });

  it('readRecordCalls streams every record with its scores as the files hold them', async () => {
    const rows = [];
    for await (const row of readRecordCalls(base)) rows.push(row);
    const expected = reference(base, 0).map((r) => ({
      id: r.id,
      source: r.source,
      length: r.length,
      call: r.call,
      virusScore: r.virus,
      othersScore: r.others,
      frames: r.frames,
    }));
    const asFloat32 = (value: number | null) => (value === null ? null : Math.fround(value));
    expect(
      rows.map(({ nonAcgt, ...row }) => {
        expect(nonAcgt).toBeGreaterThanOrEqual(0);
        return { ...row, virusScore: asFloat32(row.virusScore), othersScore: asFloat32(row.othersScore) };
      }),
    ).toEqual(expected);
    expect(rows.find((row) => row.id === 'unknown')).toMatchObject({
      call: 'no_frame',
      virusScore: null,
      frames: 0,
    });
  });

  it('rescore --min-score gives the files of a fresh run with that --min-score, without embedding', async () => {
    const scores = reference(base, 0)
      .map((r) => r.virus)
      .filter((score): score is number => score !== null)
      .sort();
    const threshold = scores[Math.floor(scores.length / 2)];
    const rescored = guarded(['rescore', base, '--min-score', String(threshold)]);
    expect(rescored.stderr).not.toContain('no embedding here');
    expect(rescored.status).toBe(0);
    // a look at each input's first bytes (FASTA or FASTQ), then one pass over them (viral_hits.fa), which
    // also proves them unchanged
    expect(readsOf(inputs)).toEqual([...inputs, ...inputs]);
    // the guard bites: predict cannot run under it
    const blocked = guarded(['predict', ...inputs, '-o', path.join(dir, 'guarded'), '--models', models]);
    expect(blocked.status).not.toBe(0);
    expect(blocked.stderr).toMatch(/no embedding here/);
    // the same threads as the first run: BLAS picks kernels by thread count, so the last float32 digit may differ
    await predict(options('fresh', { minScore: threshold, threads: 1 }));
    const fresh = path.join(dir, 'fresh');
    for (const name of [
      'prediction_results_highestscore.csv',
      'prediction_summary.tsv',
      'viral_hits.fa',
      'prediction_plot.svg',
    ]) {
      expect(readFileSync(path.join(base, name), 'utf8')).toEqual(
        readFileSync(path.join(fresh, name), 'utf8'),
      );
    }
    const expected = reference(base, threshold).filter((r) => r.call === 'virus');
    expect(expected.length).toBeGreaterThan(0);
    expect(expected.length).toBeLessThan(reference(base, 0).filter((r) => r.call === 'virus').length);
    expect(hits(base)).toEqual(expected.map((r) => [r.header, r.sequence]));
    expect(JSON.parse(readFileSync(path.join(base, 'run.json'), 'utf8')).options.minScore).toBe(threshold);
  });

  it('rescore refuses inputs changed since the run (ids the same) and replaces none of its files', () => {
    const before = readFileSync(inputs[1]);
    const files = [
      'prediction_summary.tsv',
      'prediction_results_highestscore.csv',
      'viral_hits.fa',
      'run.json',
    ];
    const kept = files.map((name) => readFileSync(path.join(base, name), 'utf8'));
    // one base of the last record with bases: every id and every record count stay as they were
    const text = before.toString('latin1');
    const at = text.lastIndexOf('NNN');
    writeFileSync(inputs[1], `${text.slice(0, at)}A${text.slice(at + 1)}`, 'latin1');
    try {
      const rescored = guarded(['rescore', base, '--min-score', '0.2']);
      expect(rescored.status).not.toBe(0);
      expect(rescored.stderr).toContain(
        `${inputs[1]}: changed since the run; rescore needs the run's inputs`,
      );
      expect(files.map((name) => readFileSync(path.join(base, name), 'utf8'))).toEqual(kept);
      expect(readdirSync(base).filter((name) => name.startsWith('.'))).toEqual([]);
    } finally {
      writeFileSync(inputs[1], before);
    }
  });
});

/** Runs the CLI under the guard: any worker fork or addon load fails it. */
function guarded(args: string[]) {
  writeFileSync(READS, '');
  return spawnSync(process.execPath, ['--require', NO_EMBEDDING, CLI, ...args], {
    encoding: 'utf8',
    env: { ...process.env, VIRNUCPRO_TEST_READS: READS },
  });
}

/** The files of `among` the last guarded command opened for reading, in order, as often as it did. */
function readsOf(among: string[]): string[] {
  return readFileSync(READS, 'utf8')
    .split('\n')
    .filter((file) => among.includes(file));
}

/** What the progress bars draw on a terminal for these events, up to the reporter's stop. */
function drawOnTerminal(events: PredictEvent[]): string {
  const terminal = Object.assign(new PassThrough(), { isTTY: true, columns: 160 });
  let drawn = '';
  terminal.on('data', (chunk: Buffer) => (drawn += chunk.toString()));
  const reporter = createProgressReporter(
    true,
    () => undefined,
    () => undefined,
    terminal,
  );
  for (const event of events) reporter.onEvent(event);
  reporter.stop();
  return drawn;
}

describe('progress of a resumed run', () => {
  it('completes every bar when the embeddings were all done before, with no ETA before a stage has work', async () => {
    const abort = new AbortController();
    const first = predict(options('resumed'), {
      signal: abort.signal,
      onEvent: (event) => {
        if (event.type === 'stage' && event.stage === 'classify') abort.abort();
      },
    });
    await expect(first).rejects.toThrow(PredictInterrupted);
    const events: PredictEvent[] = [];
    await predict(options('resumed', { resume: true }), { onEvent: (event) => events.push(event) });
    for (const stage of ['dnabert-s', 'esm2', 'classify'] as const) {
      const start = events.find((e) => e.type === 'stage' && e.stage === stage) as { total: number };
      const advances = events.filter((e) => e.type === 'advance' && e.stage === stage) as {
        amount: number;
        skipped?: boolean;
      }[];
      expect(advances.reduce((sum, e) => sum + e.amount, 0)).toBe(start.total);
      if (stage !== 'classify') expect(advances.every((e) => e.skipped)).toBe(true);
    }
    // the same events on a terminal: full bars, "already done", no ETA for work that never ran
    const drawn = drawOnTerminal(events);
    const frames = (events.find((e) => e.type === 'stage' && e.stage === 'esm2') as { total: number }).total;
    expect(drawn).toMatch(
      new RegExp(`DNABERT-S .*\\| ${frames}/${frames} frames \\| ${frames} already done`),
    );
    expect(drawn).toMatch(new RegExp(`ESM-2 .*\\| ${frames}/${frames} frames \\| ${frames} already done`));
    expect(drawn).not.toMatch(/DNABERT-S[^\n]*ETA/);
    // the terminal is given back with its cursor shown
    expect(drawn.lastIndexOf('\u001b[?25h')).toBeGreaterThan(drawn.lastIndexOf('\u001b[?25l'));
  });

  it('shows no ETA for a stage whose work has not started', () => {
    const drawn = drawOnTerminal([
      { type: 'stage', stage: 'dnabert-s', total: 100, unit: 'frames' },
      { type: 'stage', stage: 'esm2', total: 100, unit: 'frames' },
      { type: 'advance', stage: 'dnabert-s', amount: 10 },
    ]);
    expect(drawn).toMatch(/ESM-2 [^\n]*\| 0\/100 frames \| waiting/);
    expect(drawn).not.toMatch(/ESM-2[^\n]*ETA/);
    expect(drawn).toMatch(/DNABERT-S [^\n]*10\/100 frames [^\n]*ETA/);
  });
});
