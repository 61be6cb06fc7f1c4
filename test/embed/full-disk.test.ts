import path from 'node:path';
import { injectShortWriteVariable } from '../../src/io/atomic-write';
import * as fullDisk from '../io/full-disk';
import {
  exportTinyModels,
  proteinAlphabet,
  randomSequence,
  runCli,
  seededRandom,
  temporaryDir,
  writeFasta,
} from './helpers';

// `virnucpro embed` onto a disk that fills: a real small tmpfs at several sizes, and the short write
// injected in the worker processes. Either way: exit 1 naming the output and the full disk, every
// output complete (equal to an uninterrupted run's) or absent, no temporary file; a rerun once there
// is room finishes with the uninterrupted run's files.

let model: string;
let inputs: string[];
let reference: Map<string, Buffer>;

// One worker throughout: the injected room is counted per process, and the outputs are compared byte
// for byte with the reference, which another worker count would batch (and round) differently.
const embed = (out: string, extra: string[] = [], env: NodeJS.ProcessEnv = {}) =>
  runCli(['embed', '--model', model, '--workers', '1', '-o', out, ...extra, ...inputs], { env });

beforeAll(async () => {
  model = exportTinyModels().esm2;
  const dir = temporaryDir('embed-full-disk');
  const random = seededRandom(17);
  inputs = [300, 120, 40].map((count, f) =>
    writeFasta(
      path.join(dir, `proteins${f}.faa`),
      Array.from({ length: count }, (_, r) => ({
        id: `p${f}_${r}`,
        sequence: randomSequence(random, proteinAlphabet, 20, 200),
      })),
    ),
  );
  const out = path.join(dir, 'reference');
  const run = await embed(out);
  if (run.code !== 0) throw new Error(run.stderr);
  reference = fullDisk.filesUnder(out);
});

function expectFullDiskFailure(run: { code: number | null; stderr: string }, out: string): void {
  expect(run.code).toBe(1);
  expect(run.stderr).toContain(`${out}${path.sep}`);
  expect(run.stderr).toMatch(/proteins\d\.safetensors: the disk is full \(ENOSPC\)/);
  fullDisk.expectNothingIncomplete(out, reference, (name) => name);
}

async function expectRerunFinishes(out: string): Promise<void> {
  const run = await embed(out, ['--resume']);
  expect(run.code).toBe(0);
  expect(fullDisk.sizesOf(fullDisk.filesUnder(out))).toEqual(fullDisk.sizesOf(reference));
  fullDisk.expectNothingIncomplete(out, reference, (name) => name);
}

fullDisk.describeOnTmpfs('embed onto a small tmpfs', () => {
  it('fails cleanly at every size too small for the outputs, and finishes after a remount with room', () =>
    fullDisk.onDisksTooSmall(
      reference,
      3,
      async (out) => expectFullDiskFailure(await embed(out), out),
      expectRerunFinishes,
    ));
});

describe('embed with a short write injected in the workers', () => {
  it.each([
    ['the first byte', () => 0],
    ['the last byte of the first output', () => largest() - 1],
    ['the second output', () => largest() + 100],
  ])('fails cleanly when the disk fills at %s, and a rerun finishes', async (_, room) => {
    const out = path.join(temporaryDir('embed-short-write'), 'out');
    expectFullDiskFailure(await embed(out, [], { [injectShortWriteVariable]: String(room()) }), out);
    await expectRerunFinishes(out);
  });
});

/** The largest output, which the single worker writes first (files are taken largest first). */
function largest(): number {
  return Math.max(...[...reference.values()].map((bytes) => bytes.length));
}
