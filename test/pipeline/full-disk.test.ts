import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { injectShortWriteVariable } from '../../src/io/atomic-write';
import { RUN_LOG, RUN_RECORD } from '../../src/pipeline/run-folder';
import { RUN_REPORT, RUN_REPORT_FILES } from '../../src/pipeline/run-report';
import { exportTinyModels, runCli } from '../embed/helpers';
import * as fullDisk from '../io/full-disk';

// `virnucpro predict` onto a disk that fills, at every stage: a real small tmpfs at several sizes (the
// parent and the embedding workers meet it), a full disk for the report only (after the kept
// embeddings moved out of the work folder), and the short write injected. Each run exits 1 naming the
// path and the full disk, leaves every file under a final name complete (equal to an uninterrupted
// run's) or absent and no temporary file; `--resume` once there is room gives the uninterrupted files.

const root = path.resolve(__dirname, '..', '..');
const RUN_FILE = RUN_RECORD;

let dir: string;
let models: string;
let input: string;
let reference: Map<string, Buffer>;

const predict = (out: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) =>
  runCli(
    [
      'predict',
      input,
      '-o',
      out,
      '--models',
      models,
      '--keep-intermediate',
      '--shard-size',
      '4',
      '--no-progress',
      ...extra,
    ],
    { env },
  );

beforeAll(async () => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'virnucpro-predict-full-disk-'));
  models = exportTinyModels().dir;
  input = path.join(root, 'examples', 'demo.fa');
  const out = path.join(dir, 'reference');
  const run = await predict(out);
  if (run.code !== 0) throw new Error(run.stderr);
  reference = fullDisk.filesUnder(out);
  reference.delete(RUN_FILE); // holds the output path
  reference.delete(RUN_LOG); // a resumed run appends to it
}, 300_000);

afterAll(() => rmSync(dir, { recursive: true, force: true }));

/**
 * The reference file a file of an interrupted run must equal: its own name, or for the embeddings
 * still in the work folder their kept name; the run record, shards and lists are internal state.
 */
function referenceName(name: string): string | null {
  const work = /^\.virnucpro-work\/((dnabert-s|esm2)\/[^/]+\.safetensors)$/.exec(name);
  if (work) return path.join('embeddings', work[1]);
  if (RUN_REPORT_FILES.includes(name)) return null;
  return name === RUN_FILE || name === RUN_LOG || name.startsWith('.virnucpro-work/') ? null : name;
}

/**
 * report.html shows times and the MultiQC files the folder's name, so they are not the reference's
 * bytes: each present one must be whole (the page closed, the table's last row ended).
 */
function expectReportsWhole(out: string): void {
  for (const name of RUN_REPORT_FILES) {
    const file = path.join(out, name);
    if (!existsSync(file)) continue;
    const text = readFileSync(file, 'utf8');
    const whole = name === RUN_REPORT ? text.endsWith('</html>\n') : /\n[^#\n][^\n]*\t[^\n]*\n$/.test(text);
    expect({ name, whole }).toEqual({ name, whole: true });
  }
}

const withoutReports = (files: Map<string, Buffer>) =>
  fullDisk.sizesOf(new Map([...files].filter(([name]) => !RUN_REPORT_FILES.includes(name))));

function expectFullDiskFailure(
  run: { code: number | null; stderr: string },
  out: string,
  full: string,
): void {
  expect(run.code).toBe(1);
  expect(run.stderr).toMatch(new RegExp(`${escape(full)}/\\S+: the disk is full \\(ENOSPC\\)`));
  fullDisk.expectNothingIncomplete(out, reference, referenceName);
  expectReportsWhole(out);
}

async function expectResumeFinishes(out: string, extra: string[] = []): Promise<void> {
  const run = await predict(out, ['--resume', ...extra]);
  expect(run.code).toBe(0);
  const files = fullDisk.filesUnder(out);
  files.delete(RUN_FILE);
  files.delete(RUN_LOG);
  expect([...files.keys()].sort()).toEqual([...reference.keys()].sort());
  expect(withoutReports(files)).toEqual(withoutReports(reference));
  fullDisk.expectNothingIncomplete(out, reference, referenceName);
  expectReportsWhole(out);
}

function escape(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
}

fullDisk.describeOnTmpfs('predict onto a small tmpfs', () => {
  it(
    'fails cleanly at every size too small for the run, and --resume finishes after a remount with room',
    () =>
      fullDisk.onDisksTooSmall(
        reference,
        6,
        async (out) => expectFullDiskFailure(await predict(out), out, out),
        expectResumeFinishes,
      ),
    600_000,
  );

  it('resumes after the report found a full disk, once the kept embeddings had moved out of the work folder', async () => {
    const out = path.join(dir, 'report-full');
    const disk = fullDisk.smallDisk(4);
    try {
      const filler = path.join(disk.dir, 'filler');
      writeFileSync(filler, Buffer.alloc(4096));
      const report = path.join(disk.dir, 'report.json');
      expectFullDiskFailure(await predict(out, ['--report', report]), out, disk.dir);
      expect(existsSync(path.join(out, 'embeddings'))).toBe(true);
      expect(fullDisk.filesUnder(disk.dir).size).toBe(1);
      rmSync(filler);
      await expectResumeFinishes(out, ['--report', report]);
      expect(existsSync(report)).toBe(true);
    } finally {
      disk.unmount();
    }
  });
});

describe('predict with a short write injected in every process', () => {
  // room for a part of what the parent writes (the finished folder less the workers' embeddings)
  it.each([0, 0.3, 0.6, 0.95])(
    'fails cleanly with room for %d of the files, and --resume finishes',
    async (share) => {
      const parentBytes = [...reference]
        .filter(([name]) => !name.startsWith('embeddings'))
        .reduce((sum, [, bytes]) => sum + bytes.length, 0);
      const out = path.join(dir, `short-write-${share}`);
      const room = String(Math.floor(parentBytes * share));
      expectFullDiskFailure(await predict(out, [], { [injectShortWriteVariable]: room }), out, out);
      await expectResumeFinishes(out);
    },
  );
});
