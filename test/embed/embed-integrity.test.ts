import { existsSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { isTemporaryName } from '../../src/io/atomic-write';
import { filesUnder } from '../io/full-disk';
import * as helpers from './helpers';
import { exportTinyModels, readEmbeddings, runCli, runCliWithin, writeFasta, type Record } from './helpers';

// `virnucpro embed` rerun into a folder it wrote before: an output is reused only when made from the
// same input bytes, model and options (its fingerprint), else it is computed again, checked against
// python3-torch. And the cheap checks (devices, output and report paths) refuse before the output
// folder is created.

let dir: string;
let model: string;
let otherModel: string;

function dnaRecords(seed: number, count: number): Record[] {
  const random = helpers.seededRandom(seed);
  return Array.from({ length: count }, (_, i) => ({
    id: `r${seed}_${i}`,
    sequence: helpers.randomSequence(random, helpers.dnaAlphabet, 20, 300),
  }));
}

beforeAll(() => {
  dir = helpers.temporaryDir('embed-integrity');
  model = exportTinyModels().dnabert;
  otherModel = exportTinyModels(1).dnabert;
}, 120_000);

const embed = (modelDir: string, out: string, files: string[], extra: string[] = []) =>
  runCli(['embed', '--model', modelDir, '-o', out, ...extra, ...files]);

function expectReference(output: string, modelDir: string, records: Record[]): void {
  const written = readEmbeddings(output);
  expect(written.ids).toEqual(records.map((record) => record.id));
  const reference = helpers.referenceEmbeddings(
    modelDir,
    records.map((record) => record.sequence),
  );
  expect(helpers.maxAbsDiff(written.rows, reference)).toBeLessThanOrEqual(1e-4);
}

describe('embed reuses an output only when made from the same input, model and options', () => {
  it('recomputes with another model, and after the input changed; reuses an unchanged one', async () => {
    const out = path.join(dir, 'out');
    const input = path.join(dir, 'reads.fa');
    const output = path.join(out, 'reads.safetensors');
    const first = dnaRecords(1, 30);
    writeFasta(input, first);
    expect((await embed(model, out, [input])).code).toBe(0);
    expectReference(output, model, first);

    const again = await embed(model, out, [input]);
    expect(again.code).toBe(0);
    expect(again.stderr).toMatch(/0 embedded, 1 skipped/);

    const otherRun = await embed(otherModel, out, [input]);
    expect(otherRun.code).toBe(0);
    expect(otherRun.stderr).toMatch(/1 embedded, 0 skipped/);
    expectReference(output, otherModel, first);

    const changed = dnaRecords(2, 25);
    writeFasta(input, changed);
    const changedRun = await embed(otherModel, out, [input]);
    expect(changedRun.code).toBe(0);
    expect(changedRun.stderr).toMatch(/1 embedded, 0 skipped/);
    expectReference(output, otherModel, changed);
  }, 180_000);
});

describe('embed checks devices and paths before creating its output folder', () => {
  const cases: [string, () => string[], RegExp][] = [
    ['--devices 7 on a CPU build', () => ['--devices', '7'], /GPU 7 requested, .*use --devices cpu/],
    [
      'a report in a folder that does not exist',
      () => ['--report', path.join(dir, 'no-such-folder', 'report.json')],
      /report\.json: the folder .*no-such-folder does not exist/,
    ],
    ['a report under /proc', () => ['--report', '/proc/report.json'], /the report cannot be under \/proc/],
  ];
  it.each(cases)('%s: exit 2, nothing created', async (_, extra, message) => {
    const input = writeFasta(path.join(dir, 'few.fa'), dnaRecords(3, 3));
    const out = path.join(dir, 'never-made');
    const refused = await embed(model, out, [input], extra());
    expect(refused.stderr).toMatch(message);
    expect(refused.code).toBe(2);
    expect(existsSync(out)).toBe(false);
    expect(existsSync(path.join(dir, 'no-such-folder'))).toBe(false);
    expect([...filesUnder(dir).keys()].filter((name) => isTemporaryName(path.basename(name)))).toEqual([]);
  });

  it('-o under /proc exits 2 at once (creating a folder there never returns)', async () => {
    const input = writeFasta(path.join(dir, 'few.fa'), dnaRecords(3, 3));
    const refused = await runCliWithin(['embed', '--model', model, '-o', '/proc/x', input], 60);
    expect(refused.signal).toBeNull();
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/\/proc\/x: the output folder cannot be under \/proc/);
  }, 90_000);

  it('-o below a file exits 2', async () => {
    const input = path.join(dir, 'few.fa');
    writeFileSync(input, '>a\nACGTACGT\n');
    const refused = await embed(model, path.join(input, 'out'), [input]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toMatch(/few\.fa is a file, not a folder/);
  });
});
