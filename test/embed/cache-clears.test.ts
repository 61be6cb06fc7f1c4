import { CacheClearSchedule } from '../../src/embed/cache-clears';

// --cache-clear-interval counts the embeddings files a worker writes, as documented: a predict shard is
// three jobs (two embed, one classify) but two files, and a kept output is not written again.

type Finished = { kind: 'embed' | 'classify'; keep: boolean };

/** Clears a worker makes over its finished jobs. */
function clearsOver(jobs: Finished[], interval: number, hasCudaCache: boolean): number | null {
  const schedule = new CacheClearSchedule(interval, hasCudaCache);
  let cleared = 0;
  for (const job of jobs) if (schedule.finished(job)) cleared++;
  expect(schedule.clears).toBe(hasCudaCache ? cleared : null);
  return schedule.clears;
}

const shard: Finished[] = [
  { kind: 'embed', keep: false },
  { kind: 'embed', keep: false },
  { kind: 'classify', keep: false },
];

test('a GPU worker clears once per `interval` embeddings files, not per job', () => {
  const sevenShards = Array.from({ length: 7 }, () => shard).flat(); // 21 jobs, 14 files
  expect(clearsOver(sevenShards, 10, true)).toBe(1);
  expect(clearsOver(sevenShards, 7, true)).toBe(2);
  expect(clearsOver(sevenShards, 2, true)).toBe(7);
  expect(clearsOver(sevenShards, 1, true)).toBe(14);
});

test('outputs kept from an earlier run are not files written', () => {
  const kept = Array.from({ length: 12 }, (_, i) => ({ kind: 'embed' as const, keep: i < 8 }));
  expect(clearsOver(kept, 4, true)).toBe(1);
});

test('a CPU worker has no CUDA cache: it clears nothing and reports null, not 0', () => {
  expect(clearsOver(Array.from({ length: 5 }, () => shard).flat(), 1, false)).toBeNull();
});
