import { existsSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { seededRandom } from '../../bench/synthetic';
import { ExternalSorter } from '../../src/io/external-sort';
import { compareCodePoints } from '../../src/pipeline/prediction-files';
import { scratchFolder } from './scratch-folder';

// The external sort against Array.prototype.sort on the same lines: same order (stability included),
// whether everything fits in one collection or spills into many runs.

const scratch = scratchFolder('virnucpro-external-sort-');

/** Lines of bytes 0x20-0xff (latin1), often repeated, some empty. */
function randomLines(count: number, seed: number): string[] {
  const random = seededRandom(seed);
  const lines: string[] = [];
  for (let i = 0; i < count; i++) {
    if (i > 0 && random() < 0.2) {
      lines.push(lines[Math.floor(random() * i)]);
      continue;
    }
    let line = '';
    const length = Math.floor(random() * 12);
    for (let k = 0; k < length; k++) line += String.fromCharCode(0x20 + Math.floor(random() * 0xe0));
    lines.push(line);
  }
  return lines;
}

async function externallySorted(
  lines: string[],
  dir: string,
  compare: (a: string, b: string) => number,
  linesPerRun: number,
): Promise<string[]> {
  const sorter = new ExternalSorter({ dir, compare, linesPerRun });
  for (const line of lines) await sorter.add(line);
  const out: string[] = [];
  for await (const line of sorter.sorted()) out.push(line);
  return out;
}

describe('ExternalSorter', () => {
  it.each([
    ['in memory', 10_000, 100_000],
    ['spilled into 23 runs', 10_000, 450],
    ['one line per run', 300, 1],
  ])('sorts as Array.prototype.sort does (%s)', async (_, count, linesPerRun) => {
    const lines = randomLines(count, linesPerRun);
    const dir = path.join(scratch.dir, `runs-${linesPerRun}`);
    const sorted = await externallySorted(lines, dir, compareCodePoints, linesPerRun);
    expect(sorted).toEqual([...lines].sort(compareCodePoints));
    expect(existsSync(dir)).toBe(false);
  });

  it('is stable across runs: equal keys keep the order they were added in', async () => {
    const lines = randomLines(5_000, 3).map((line, i) => `${line.slice(0, 1)}\t${i}`);
    const byKey = (a: string, b: string) => compareCodePoints(a.split('\t')[0], b.split('\t')[0]);
    const dir = path.join(scratch.dir, 'stable');
    expect(await externallySorted(lines, dir, byKey, 333)).toEqual([...lines].sort(byKey));
  });

  it('writes its runs in its own folder and leaves nothing behind when nothing was added', async () => {
    const dir = path.join(scratch.dir, 'empty');
    expect(await externallySorted([], dir, compareCodePoints, 10)).toEqual([]);
    expect(existsSync(dir)).toBe(false);
    expect(readdirSync(scratch.dir).filter((name) => name.startsWith('.'))).toEqual([]);
  });
});
