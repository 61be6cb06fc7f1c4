import { mkdir, rm } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from './atomic-write';
import { LineReader } from './line-reader';

// Sorting more lines than memory should hold: lines are collected up to `linesPerRun`, each full
// collection is sorted and written to a run file, and the runs are merged through a binary heap, so
// memory holds one collection plus one line per run. Sorting is stable (equal lines keep the order
// they were added in), as Array.prototype.sort is. Lines are kept as bytes (latin1) and hold no '\n'.

export interface ExternalSortOptions {
  /** scratch folder for the run files (created when needed, removed by sorted()) */
  dir: string;
  compare: (a: string, b: string) => number;
  /** lines held in memory before a run is written */
  linesPerRun?: number;
}

const DEFAULT_LINES_PER_RUN = 100_000;

interface Head {
  line: string;
  run: number;
}

/** A min-heap of the runs' current lines; ties go to the earlier run, which keeps the sort stable. */
class RunHeap {
  private readonly items: Head[] = [];

  constructor(private readonly compare: (a: string, b: string) => number) {}

  get size(): number {
    return this.items.length;
  }

  private less(a: Head, b: Head): boolean {
    const order = this.compare(a.line, b.line);
    return order < 0 || (order === 0 && a.run < b.run);
  }

  push(item: Head): void {
    const items = this.items;
    items.push(item);
    for (let at = items.length - 1; at > 0;) {
      const parent = (at - 1) >> 1;
      if (!this.less(items[at], items[parent])) break;
      [items[at], items[parent]] = [items[parent], items[at]];
      at = parent;
    }
  }

  pop(): Head {
    const items = this.items;
    const top = items[0];
    const last = items.pop() as Head;
    if (items.length === 0) return top;
    items[0] = last;
    for (let at = 0; ;) {
      const left = 2 * at + 1;
      const right = left + 1;
      let smallest = at;
      if (left < items.length && this.less(items[left], items[smallest])) smallest = left;
      if (right < items.length && this.less(items[right], items[smallest])) smallest = right;
      if (smallest === at) break;
      [items[at], items[smallest]] = [items[smallest], items[at]];
      at = smallest;
    }
    return top;
  }
}

export class ExternalSorter {
  private lines: string[] = [];
  private readonly runs: string[] = [];
  private readonly linesPerRun: number;

  constructor(private readonly options: ExternalSortOptions) {
    this.linesPerRun = options.linesPerRun ?? DEFAULT_LINES_PER_RUN;
  }

  async add(line: string): Promise<void> {
    this.lines.push(line);
    if (this.lines.length >= this.linesPerRun) await this.spill();
  }

  private async spill(): Promise<void> {
    await mkdir(this.options.dir, { recursive: true });
    const file = path.join(this.options.dir, `run-${String(this.runs.length).padStart(6, '0')}.txt`);
    const sorted = this.lines.sort(this.options.compare);
    this.lines = [];
    await writeFileAtomic(file, Buffer.from(`${sorted.join('\n')}\n`, 'latin1'));
    this.runs.push(file);
  }

  /** Every line added, in order; the run files are removed when the iteration ends. */
  async *sorted(): AsyncGenerator<string> {
    if (this.runs.length === 0) {
      const lines = this.lines.sort(this.options.compare);
      this.lines = [];
      yield* lines;
      return;
    }
    if (this.lines.length > 0) await this.spill();
    const readers = this.runs.map((file) => new LineReader(file, 'latin1'));
    try {
      const heap = new RunHeap(this.options.compare);
      for (const [run, reader] of readers.entries()) {
        const line = await reader.take();
        if (line !== null) heap.push({ line, run });
      }
      while (heap.size > 0) {
        const head = heap.pop();
        yield head.line;
        const next = await readers[head.run].take();
        if (next !== null) heap.push({ line: next, run: head.run });
      }
    } finally {
      await Promise.all(readers.map((reader) => reader.close()));
      await rm(this.options.dir, { recursive: true, force: true });
    }
  }
}
