import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { predict } from '../../src/pipeline/predict';
import { PredictInterrupted } from '../../src/pipeline/predict-errors';
import { createPredictor, type Predictor } from '../../src/pipeline/predictor';
import { readRecordCalls } from '../../src/pipeline/record-calls';
import type { SequenceRecord } from '../../src/pipeline/classify-records';
import { readFinalFiles } from './final-files';
import { exportTinyModels, randomSequence, temporaryDir } from '../embed/helpers';

// A predictor keeps its workers (and their models) across runs: its runs must write what one-shot
// predict() writes, an aborted run must leave the workers for the next, and classify() must give the
// calls a predict run of the same records gives, in order, with bounded read-ahead.

const root = path.resolve(__dirname, '..', '..');
let dir: string;
let models: string;
let input: string;
let predictor: Predictor;

function demoRecords(): SequenceRecord[] {
  const text = readFileSync(path.join(root, 'examples', 'demo.fa'), 'utf8');
  return text
    .split('>')
    .slice(1)
    .map((entry) => {
      const [header, ...lines] = entry.split('\n');
      return { id: header.split(' ')[0], sequence: lines.join('') };
    });
}

const workerPids = (report: string) =>
  (JSON.parse(readFileSync(report, 'utf8')) as { pool: { workers: { pid: number; processes: number }[] } })
    .pool.workers;

beforeAll(async () => {
  dir = temporaryDir('predictor');
  models = exportTinyModels().dir;
  input = path.join(dir, 'reads.fa');
  const records = [
    ...demoRecords(),
    { id: 'empty_one', sequence: '' },
    { id: 'unknown', sequence: 'N'.repeat(360) },
  ];
  writeFileSync(input, records.map((r) => `>${r.id}\n${r.sequence}\n`).join(''));
  predictor = await createPredictor({ models, deterministic: true, threads: 1 });
});

afterAll(() => predictor?.close());

const run = (name: string, extra = {}) => ({ inputs: [input], outDir: path.join(dir, name), ...extra });

describe('createPredictor', () => {
  it('runs predict after predict on the same workers, writing what one-shot predict writes', async () => {
    const oneShot = await predict({ ...run('one-shot'), models, deterministic: true, threads: 1 });
    const first = await predictor.predict(run('first', { report: path.join(dir, 'first.json') }));
    const second = await predictor.predict(run('second', { report: path.join(dir, 'second.json') }));
    expect(first.exitCode).toBe(0);
    expect(first.calls).toEqual(oneShot.calls);
    expect(readFinalFiles(first.outDir)).toEqual(readFinalFiles(oneShot.outDir));
    expect(readFinalFiles(second.outDir)).toEqual(readFinalFiles(oneShot.outDir));
    // one process per worker, the same one for both runs: the models were loaded once
    const [before] = workerPids(path.join(dir, 'first.json'));
    const [after] = workerPids(path.join(dir, 'second.json'));
    expect(after.pid).toBe(before.pid);
    expect(after.processes).toBe(1);
  }, 120_000);

  it('overlaps runs called together only where it may, and gives the same errors as one-shot predict', async () => {
    const [a, b] = await Promise.all([
      predictor.predict(run('queued-a')),
      predictor.predict(run('queued-b')),
    ]);
    expect(readFinalFiles(a.outDir)).toEqual(readFinalFiles(b.outDir));
    // into one folder, a run waits for the one before to finish (not only its jobs): no E_LOCKED
    const [fresh, resumed] = await Promise.all([
      predictor.predict(run('same-folder')),
      predictor.predict(run('same-folder', { resume: true })),
    ]);
    expect([fresh.alreadyComplete, resumed.alreadyComplete]).toEqual([false, true]);
    await expect(predictor.predict(run('queued-a'))).rejects.toMatchObject({ code: 'E_FOLDER' });
    await expect(predictor.predict(run('bad', { chunkSize: 7 }))).rejects.toMatchObject({ code: 'E_USAGE' });
    await expect(predict({ ...run('bad'), models, chunkSize: 7 })).rejects.toMatchObject({ code: 'E_USAGE' });
  }, 120_000);

  it('stops an aborted run only: the next run works, and the aborted one resumes to the same files', async () => {
    const abort = new AbortController();
    const stopped = predictor.predict(run('aborted', { shardSize: 8 }), {
      signal: abort.signal,
      onEvent: (event) => {
        if (event.type === 'advance' && event.stage === 'dnabert-s') abort.abort();
      },
    });
    await expect(stopped).rejects.toBeInstanceOf(PredictInterrupted);
    const next = await predictor.predict(run('after-abort'));
    expect(readFinalFiles(next.outDir)).toEqual(readFinalFiles(path.join(dir, 'one-shot')));
    await predictor.predict(run('aborted', { shardSize: 8, resume: true }));
    expect(readFinalFiles(path.join(dir, 'aborted'))).toEqual(readFinalFiles(path.join(dir, 'one-shot')));
  }, 120_000);
});

describe('predictor.classify', () => {
  it('gives the calls readRecordCalls reads from a predict run, in input order, and no file', async () => {
    const expected = [];
    for await (const row of readRecordCalls(path.join(dir, 'one-shot')))
      expected.push({ ...row, source: null });
    const records = [
      ...demoRecords(),
      { id: 'empty_one', sequence: '' },
      { id: 'unknown', sequence: 'N'.repeat(360) },
    ];
    const scratchBefore = readdirSync(os.tmpdir()).filter((name) => name.startsWith('virnucpro-classify-'));
    const rows = [];
    for await (const row of predictor.classify(records, { maxPendingFrames: 8 })) rows.push(row);
    expect(rows).toEqual(expected);
    const scratchAfter = readdirSync(os.tmpdir()).filter((name) => name.startsWith('virnucpro-classify-'));
    expect(scratchAfter).toEqual(scratchBefore);
  }, 120_000);

  it('sends a partial group after flushMs: one record streamed gets its call while the source waits', async () => {
    let waited = false;
    async function* oneThenWait(): AsyncGenerator<SequenceRecord> {
      yield { id: 'first', sequence: demoRecords()[0].sequence };
      await sleep(2000);
      waited = true;
      yield { id: 'second', sequence: demoRecords()[1].sequence };
    }
    const seen: { id: string; afterWait: boolean }[] = [];
    for await (const row of predictor.classify(oneThenWait())) seen.push({ id: row.id, afterWait: waited });
    expect(seen).toEqual([
      { id: 'first', afterWait: false },
      { id: 'second', afterWait: true },
    ]);
  }, 60_000);

  it('reads at most maxPendingFrames ahead of the caller', async () => {
    let random = 7;
    const next = () => (random = (random * 16807) % 2147483647) / 2147483647;
    let pulled = 0;
    let taken = 0;
    let mostAhead = 0;
    function* stream(): Generator<SequenceRecord> {
      for (let i = 0; i < 600; i++) {
        pulled++;
        mostAhead = Math.max(mostAhead, pulled - taken);
        yield { id: `read_${i}`, sequence: randomSequence(next, 'ACGT', 100, 250) };
      }
    }
    let frames = 0;
    for await (const row of predictor.classify(stream(), { maxPendingFrames: 64 })) {
      taken++;
      frames += row.frames;
    }
    expect(taken).toBe(600);
    expect(frames).toBeGreaterThan(0);
    // each record weighs at least one frame, and one record may cross the bound
    expect(mostAhead).toBeLessThanOrEqual(64 + 1);
  }, 120_000);

  it('closes when an await using block ends', async () => {
    let kept: Predictor;
    {
      await using scoped = await createPredictor({ models, threads: 1 });
      kept = scoped;
      const rows = [];
      for await (const row of scoped.classify([demoRecords()[0]])) rows.push(row);
      expect(rows).toHaveLength(1);
    }
    await expect(kept.predict(run('after-dispose'))).rejects.toBeInstanceOf(PredictInterrupted);
  }, 60_000);

  it('close() while work runs rejects it with PredictInterrupted', async () => {
    const closing = await createPredictor({ models, threads: 1 });
    const working = closing.predict(run('closed-run'));
    const records = closing.classify(demoRecords());
    const streamed = (async () => {
      for await (const row of records) void row;
    })();
    const outcomes = Promise.allSettled([working, streamed]);
    await sleep(300);
    await closing.close();
    for (const outcome of await outcomes) {
      expect(outcome.status).toBe('rejected');
      expect((outcome as PromiseRejectedResult).reason).toBeInstanceOf(PredictInterrupted);
    }
  }, 60_000);
});
