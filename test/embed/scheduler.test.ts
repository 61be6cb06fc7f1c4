import { Scheduler } from '../../src/embed/scheduler';

// The pool's dispatch rules, driven without processes.

const job = (name: string, bytes: number, group = name) => ({ name, bytes, group });
type TestJob = ReturnType<typeof job>;
const names = (jobs: { job: TestJob }[] | TestJob[]) =>
  jobs.map((entry) => ('job' in entry ? entry.job.name : entry.name));

describe('Scheduler', () => {
  it('dispatches the largest jobs first, to the least loaded worker', () => {
    const scheduler = new Scheduler<TestJob>({ slots: 2, persistent: true, maxRetries: 1, prefetchBytes: 0 });
    scheduler.enqueue([job('small', 10), job('big', 1000), job('mid', 100), job('tiny', 1)]);
    const assigned = scheduler.assign();
    expect(assigned.map((a) => [a.slot, a.job.name])).toEqual([
      [0, 'big'],
      [1, 'mid'],
      [1, 'small'],
      [0, 'tiny'], // slot 1 holds two jobs, slot 0 one
    ]);
  });

  it('hands a persistent worker two jobs, and small files up to the prefetch budget, to fill batches across files', () => {
    const scheduler = new Scheduler<TestJob>({
      slots: 1,
      persistent: true,
      maxRetries: 1,
      prefetchBytes: 100,
    });
    scheduler.enqueue(Array.from({ length: 20 }, (_, i) => job(`f${i}`, 10)));
    expect(scheduler.assign()).toHaveLength(10); // 10 x 10 bytes reach the budget
    const big = new Scheduler<TestJob>({ slots: 1, persistent: true, maxRetries: 1, prefetchBytes: 100 });
    big.enqueue([job('a', 500), job('b', 500), job('c', 500)]);
    expect(names(big.assign())).toEqual(['a', 'b']); // one running, one being read
  });

  it('gives a load-per-file worker one job per process', () => {
    const scheduler = new Scheduler<TestJob>({
      slots: 1,
      persistent: false,
      maxRetries: 1,
      prefetchBytes: 1e9,
    });
    scheduler.enqueue([job('a', 1), job('b', 1)]);
    const [first] = scheduler.assign();
    expect(first.job.name).toBe('a');
    expect(scheduler.assign()).toEqual([]);
    scheduler.ready(0);
    scheduler.settle(0, first.job);
    expect(scheduler.assign()).toEqual([]); // the process has not exited yet
    scheduler.exited(0, null);
    expect(names(scheduler.assign())).toEqual(['b']);
  });

  it('retries the jobs of a dead worker first, and fails a job lost more often than retries allow', () => {
    const scheduler = new Scheduler<TestJob>({ slots: 1, persistent: true, maxRetries: 1, prefetchBytes: 0 });
    scheduler.enqueue([job('a', 3), job('b', 2), job('c', 1)]);
    expect(names(scheduler.assign())).toEqual(['a', 'b']);
    scheduler.ready(0);
    let lost = scheduler.exited(0, null);
    expect(names(lost.retried)).toEqual(['a', 'b']);
    expect(names(scheduler.assign())).toEqual(['a', 'b']); // before c
    scheduler.ready(0);
    lost = scheduler.exited(0, null);
    expect(names(lost.failed.map((f) => f.job))).toEqual(['a', 'b']);
    expect(lost.failed[0]).toMatchObject({ code: 'E_WORKER_DIED', reason: 'the worker died 2 times on it' });
  });

  it('disables a worker that cannot start, and fails everything once no worker is left', () => {
    const scheduler = new Scheduler<TestJob>({ slots: 2, persistent: true, maxRetries: 2, prefetchBytes: 0 });
    scheduler.enqueue([job('a', 2), job('b', 1), job('c', 1)]);
    scheduler.assign();
    const first = scheduler.exited(0, 'model.pt: not a TorchScript archive');
    expect(scheduler.disabledReason(0)).toMatch(/TorchScript/);
    expect(first.failed).toEqual([]); // worker 1 can still run them
    const second = scheduler.exited(1, 'model.pt: not a TorchScript archive');
    expect(second.failed.map((f) => f.code)).toEqual(['E_WORKER_START', 'E_WORKER_START', 'E_WORKER_START']);
    expect(scheduler.queued).toBe(0);
  });

  it('sends the jobs of one group together, to one worker', () => {
    const scheduler = new Scheduler<TestJob>({ slots: 2, persistent: true, maxRetries: 1, prefetchBytes: 0 });
    scheduler.enqueue([job('a1', 50, 'a'), job('b', 40), job('a2', 30, 'a'), job('a3', 1, 'a')]);
    expect(scheduler.assign().map((a) => [a.slot, a.job.name])).toEqual([
      [0, 'a1'],
      [0, 'a2'],
      [0, 'a3'],
      [1, 'b'],
    ]);
  });

  it('runs a group whole again when its worker died part way: members already done come back as companions', () => {
    const scheduler = new Scheduler<TestJob>({ slots: 1, persistent: true, maxRetries: 1, prefetchBytes: 0 });
    const [a1, a2, a3, b] = [job('a1', 50, 'a'), job('a2', 30, 'a'), job('a3', 20, 'a'), job('b', 10)];
    scheduler.enqueue([a1, a2, a3, b]);
    expect(names(scheduler.assign())).toEqual(['a1', 'a2', 'a3']);
    scheduler.ready(0);
    scheduler.settle(0, a1); // written before the death
    const lost = scheduler.exited(0, null);
    expect(names(lost.retried)).toEqual(['a2', 'a3']);
    expect(names(lost.companions)).toEqual(['a1']);
    // a group that had finished leaves nothing behind
    scheduler.enqueue([a1]);
    expect(names(scheduler.assign())).toEqual(['a1', 'a2', 'a3']);
    scheduler.ready(0);
    for (const done of [a2, a3, a1]) scheduler.settle(0, done);
    expect(names(scheduler.assign())).toEqual(['b']);
    expect(names(scheduler.exited(0, null).companions)).toEqual([]);
  });

  it('drains the queue on close', () => {
    const scheduler = new Scheduler<TestJob>({ slots: 1, persistent: true, maxRetries: 0, prefetchBytes: 0 });
    scheduler.enqueue([job('a', 1), job('b', 1), job('c', 1)]);
    scheduler.assign();
    expect(names(scheduler.drain())).toEqual(['c']);
  });
});
