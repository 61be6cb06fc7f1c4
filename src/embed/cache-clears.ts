// --cache-clear-interval: a worker empties the CUDA cache after every `interval` embeddings files it
// writes. Classify jobs and outputs kept from an earlier run write no embeddings file, so they do not
// count. A CPU worker has no CUDA cache: it clears nothing and its count is null, not 0.

export class CacheClearSchedule {
  private written = 0;
  private cleared = 0;

  constructor(
    private readonly interval: number,
    private readonly hasCudaCache: boolean,
  ) {}

  /** Counts a finished job (`keep`: its output was kept, not written); true when the cache is to be emptied now. */
  finished(job: { kind: 'embed' | 'classify'; keep?: boolean }): boolean {
    if (!this.hasCudaCache || job.kind !== 'embed' || job.keep) return false;
    this.written++;
    if (this.written % this.interval !== 0) return false;
    this.cleared++;
    return true;
  }

  /** Clears so far; null on a worker without a CUDA cache. */
  get clears(): number | null {
    return this.hasCudaCache ? this.cleared : null;
  }
}
