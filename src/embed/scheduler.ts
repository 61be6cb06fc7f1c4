// Which job goes to which worker slot, and what happens to jobs when a worker dies. Pure bookkeeping,
// no processes: the pool drives it and tests drive it directly.
//
// Jobs are dispatched largest first (a big file started last would leave the other workers idle at the
// end), and the jobs of one group together, to one worker. A persistent worker is handed more than one
// job at a time: at least two, and more until `prefetchBytes` are in flight, so it reads and tokenizes
// what comes next while a group runs; it batches one group at a time, whatever else it holds. A
// load-per-file worker gets exactly one job per process.

export interface SchedulerConfig {
  slots: number;
  persistent: boolean;
  maxRetries: number;
  /** input bytes a persistent worker may hold beyond its first two jobs */
  prefetchBytes: number;
}

export interface SchedulableJob {
  /** input size: the dispatch order and the prefetch measure */
  bytes: number;
  /** jobs of one batch group are batched together, so they always go to one worker at once */
  group: string;
}

interface Entry<J> {
  job: J;
  attempts: number;
}

interface SlotState<J> {
  inflight: Entry<J>[];
  /** a process is running for this slot */
  alive: boolean;
  ready: boolean;
  startupFailures: number;
  /** why the slot will not be used again */
  disabled: string | null;
}

export interface Assignment<J> {
  slot: number;
  job: J;
}

export interface LostJobs<J> {
  retried: J[];
  /**
   * Jobs of the retried jobs' groups that had left the slot with a result before it died: they run again
   * with them (their outputs kept), so the retried jobs are batched as in a run without the death.
   */
  companions: J[];
  failed: { job: J; reason: string; code: 'E_WORKER_DIED' | 'E_WORKER_START' }[];
}

export class Scheduler<J extends SchedulableJob> {
  private readonly queue: Entry<J>[] = [];
  private readonly slots: SlotState<J>[];
  /** per group with members still in flight, the members that already left with a result */
  private readonly settledOf = new Map<string, J[]>();

  constructor(private readonly config: SchedulerConfig) {
    this.slots = Array.from({ length: config.slots }, () => ({
      inflight: [],
      alive: false,
      ready: false,
      startupFailures: 0,
      disabled: null,
    }));
  }

  get queued(): number {
    return this.queue.length;
  }

  inflight(slot: number): J[] {
    return this.slots[slot].inflight.map((entry) => entry.job);
  }

  /** Adds jobs, keeping the queue largest first (stable among equals). */
  enqueue(jobs: J[]): void {
    this.queue.push(...jobs.map((job) => ({ job, attempts: 0 })));
    this.queue.sort((a, b) => b.job.bytes - a.job.bytes);
  }

  private accepts(slot: SlotState<J>): boolean {
    if (slot.disabled) return false;
    if (!this.config.persistent) return !slot.alive && slot.inflight.length === 0;
    if (slot.inflight.length < 2) return true;
    const bytes = slot.inflight.reduce((sum, entry) => sum + entry.job.bytes, 0);
    return bytes < this.config.prefetchBytes;
  }

  private load(slot: SlotState<J>): number {
    return slot.inflight.reduce((sum, entry) => sum + entry.job.bytes, 0);
  }

  /** Jobs to send now, each to the least loaded slot that takes more. */
  assign(): Assignment<J>[] {
    const assignments: Assignment<J>[] = [];
    while (this.queue.length > 0) {
      let best = -1;
      this.slots.forEach((slot, index) => {
        if (!this.accepts(slot)) return;
        if (best === -1 || this.load(slot) < this.load(this.slots[best])) best = index;
      });
      if (best === -1) break;
      const entry = this.queue.shift() as Entry<J>;
      const slot = this.slots[best];
      const members = [entry, ...this.queue.filter((other) => other.job.group === entry.job.group)];
      for (const member of members.slice(1)) this.queue.splice(this.queue.indexOf(member), 1);
      for (const member of members) {
        slot.inflight.push(member);
        assignments.push({ slot: best, job: member.job });
      }
      slot.alive = true;
    }
    return assignments;
  }

  ready(slot: number): void {
    this.slots[slot].ready = true;
    this.slots[slot].startupFailures = 0;
  }

  /** The job left the slot with a result (done or failed by the worker itself). */
  settle(slot: number, job: J): void {
    const inflight = this.slots[slot].inflight;
    const at = inflight.findIndex((entry) => entry.job === job);
    if (at !== -1) inflight.splice(at, 1);
    if (inflight.some((entry) => entry.job.group === job.group))
      this.settledOf.set(job.group, [...(this.settledOf.get(job.group) ?? []), job]);
    else this.settledOf.delete(job.group);
  }

  /**
   * The slot's process exited. Its jobs are retried elsewhere (or on a fresh process), unless a job has
   * now been lost more than `maxRetries` times, or no slot can run anything any more. A process that
   * exits before it was ready counts as a start failure; a fatal start error, or more start failures
   * than retries, disables the slot. A process the pool stopped on purpose (to cancel a run) counts as
   * no failure.
   */
  exited(slot: number, fatal: string | null, stoppedOnPurpose = false): LostJobs<J> {
    const state = this.slots[slot];
    state.alive = false;
    const wasReady = state.ready;
    state.ready = false;
    if (!wasReady && !stoppedOnPurpose) {
      state.startupFailures++;
      if (fatal !== null || state.startupFailures > this.config.maxRetries) {
        state.disabled = fatal ?? `exited ${state.startupFailures} times before loading its models`;
      }
    }
    const lost = state.inflight.splice(0);
    const result: LostJobs<J> = { retried: [], companions: [], failed: [] };
    const noneLeft = this.slots.every((candidate) => candidate.disabled);
    for (const entry of lost) {
      entry.attempts++;
      if (noneLeft) {
        result.failed.push({
          job: entry.job,
          reason: state.disabled ?? 'no worker left',
          code: 'E_WORKER_START',
        });
      } else if (entry.attempts > this.config.maxRetries) {
        result.failed.push({
          job: entry.job,
          reason: `the worker died ${entry.attempts} times on it`,
          code: 'E_WORKER_DIED',
        });
      } else {
        result.retried.push(entry.job);
      }
    }
    this.queue.unshift(...lost.filter((entry) => result.retried.includes(entry.job)));
    for (const group of new Set(lost.map((entry) => entry.job.group))) {
      if (result.retried.some((job) => job.group === group))
        result.companions.push(...(this.settledOf.get(group) ?? []));
      this.settledOf.delete(group);
    }
    if (noneLeft) {
      const reason = state.disabled ?? 'no worker left';
      for (const entry of this.queue.splice(0))
        result.failed.push({ job: entry.job, reason, code: 'E_WORKER_START' });
    }
    return result;
  }

  /** Why each disabled slot is disabled. */
  disabledReason(slot: number): string | null {
    return this.slots[slot].disabled;
  }

  /** Removes the jobs `which` selects from the queue and from every slot (a run was cancelled). */
  withdraw(which: (job: J) => boolean): J[] {
    const withdrawn: J[] = [];
    for (const entries of [this.queue, ...this.slots.map((slot) => slot.inflight)]) {
      for (let i = entries.length - 1; i >= 0; i--) {
        if (which(entries[i].job)) withdrawn.push(...entries.splice(i, 1).map((entry) => entry.job));
      }
    }
    return withdrawn;
  }

  /** Removes every queued job (the pool is closing). */
  drain(): J[] {
    return this.queue.splice(0).map((entry) => entry.job);
  }
}
