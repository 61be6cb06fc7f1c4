import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { createEmbeddingPool, type EmbedJob, type PoolEvent } from '../../src';
import {
  exportTinyModels,
  proteinAlphabet,
  randomSequence,
  seededRandom,
  temporaryDir,
  writeFasta,
  type TinyModels,
} from './helpers';

// A batch group is the unit of batching: every forward call holds sequences of one group only, whatever
// other groups the worker holds at the time, so a resumed run makes the same calls as an uninterrupted
// one. Six files of sizes 3,1,3,1,3,1 on two workers make three groups of two files (each group may
// hold half the input); the scheduler hands the first and the third to the same worker at once.

let models: TinyModels;
beforeAll(() => {
  models = exportTinyModels();
});

const digest = (sequence: string) => createHash('sha256').update(sequence).digest('base64');

function writeFiles(dir: string): { files: string[]; groups: Set<string>[] } {
  const random = seededRandom(18);
  const groups: Set<string>[] = [new Set(), new Set(), new Set()];
  const files = [3, 1, 3, 1, 3, 1].map((units, f) => {
    const records = Array.from({ length: units * 12 }, (_, r) => ({
      id: `f${f}_${r}`,
      // fixed length, so a file's byte size is exactly proportional to its record count
      sequence: randomSequence(random, proteinAlphabet, 60, 60),
    }));
    // a duplicate within the group: embedded once, in the group's calls
    records.push({ id: `f${f}_again`, sequence: records[0].sequence });
    for (const record of records) groups[Math.floor(f / 2)].add(digest(record.sequence));
    return writeFasta(path.join(dir, `part${f}.faa`), records);
  });
  return { files, groups };
}

const jobsOf = (files: string[], out: string, model: string): EmbedJob[] =>
  files.map((input, f) => ({
    id: `part${f}`,
    kind: 'embed',
    input,
    output: path.join(out, `part${f}.safetensors`),
    model,
    fingerprint: 'batch-groups',
  }));

/** Runs the jobs on a fresh two-worker pool, recording every forward call's members; `stopAfter` closes
 * the pool (the run is killed) once that job's output is written. */
async function runRecorded(jobs: EmbedJob[], stopAfter?: string): Promise<string[][]> {
  const calls: string[][] = [];
  const pool = createEmbeddingPool({ models: [models.esm2], workers: 2, tokensPerBatch: 620 });
  pool.on('progress', (event: PoolEvent) => {
    if (event.type === 'batch') calls.push(event.members);
    if (event.type === 'job-done' && event.job.id === stopAfter) void pool.close();
  });
  try {
    await pool.run(jobs);
  } finally {
    await pool.close();
  }
  return calls;
}

const groupOf = (groups: Set<string>[], call: string[]) =>
  groups.findIndex((group) => call.every((member) => group.has(member)));

/** The calls of one group, each as its sorted members, sorted: the order among workers is not fixed. */
const callsOfGroup = (groups: Set<string>[], calls: string[][], g: number) =>
  calls
    .filter((call) => groupOf(groups, call) === g)
    .map((call) => [...call].sort().join(','))
    .sort();

describe('batch groups', () => {
  it('put one group only in each forward call, on two workers and after a kill between groups', async () => {
    const dir = temporaryDir('batch-groups');
    const { files, groups } = writeFiles(dir);
    const uninterrupted = await runRecorded(jobsOf(files, path.join(dir, 'whole'), models.esm2));
    const interrupted = await runRecorded(jobsOf(files, path.join(dir, 'resumed'), models.esm2), 'part0');
    const resumed = await runRecorded(jobsOf(files, path.join(dir, 'resumed'), models.esm2));

    for (const calls of [uninterrupted, interrupted, resumed]) {
      for (const call of calls) expect(groupOf(groups, call)).not.toBe(-1);
    }
    // every distinct sequence of a group once, in the group's own calls
    groups.forEach((group, g) => {
      const members = uninterrupted.filter((call) => groupOf(groups, call) === g).flat();
      expect(members.sort()).toEqual([...group].sort());
      expect(callsOfGroup(groups, uninterrupted, g).length).toBeGreaterThan(1);
    });
    // the resumed run reran whole the groups it ran, with the calls of the uninterrupted run
    const rerun = groups.map((_, g) => callsOfGroup(groups, resumed, g)).filter((c) => c.length > 0);
    expect(rerun.length).toBeGreaterThan(0);
    groups.forEach((_, g) => {
      const calls = callsOfGroup(groups, resumed, g);
      if (calls.length > 0) expect(calls).toEqual(callsOfGroup(groups, uninterrupted, g));
    });
    files.forEach((_, f) => {
      const name = `part${f}.safetensors`;
      const same = readFileSync(path.join(dir, 'resumed', name)).equals(
        readFileSync(path.join(dir, 'whole', name)),
      );
      expect([name, same]).toEqual([name, true]);
    });
  }, 120_000);
});
