// Overlapping fixed-size chunks exactly as VirNucPro cuts them (docs/behaviour.md §1). The overlap R = n*C - L is
// spread over n moves rather than n-1, so the last chunk often ends short of C; this is kept on purpose
// so chunk ids and sequences match the original's.

export interface Chunk {
  /** `<record id>_chunk_<k>`, k from 1 */
  id: string;
  /** 0-based start and exclusive end in the record */
  start: number;
  end: number;
  /** the record's bases in [start, end), case kept */
  sequence: string;
}

/** [start, end) of each chunk of a sequence of `length` bases; none for an empty sequence. */
export function chunkSpans(length: number, size: number): Array<[number, number]> {
  if (!Number.isInteger(size) || size <= 0)
    throw new Error(`chunk size must be a positive integer, got ${size}`);
  if (length === 0) return [];
  const n = Math.ceil(length / size);
  const overlap = n * size - length;
  const low = Math.floor(overlap / n);
  const needHigh = overlap - low * (n - 1);
  // steps[k] is added to the backward shift after chunk k; like the original list
  // [low+1]*needHigh + [low]*(n-1-needHigh) + [0], of which only the first n-1 entries ever apply.
  const step = (k: number): number => (k < needHigh ? low + 1 : low);
  const spans: Array<[number, number]> = [];
  let shift = 0;
  for (let k = 0; k < n; k++) {
    const start = k * size - shift;
    spans.push([start, Math.min(start + size, length)]);
    shift += step(k);
  }
  return spans;
}

export function chunkRecord(id: string, sequence: string, size: number): Chunk[] {
  return chunkSpans(sequence.length, size).map(([start, end], k) => ({
    id: `${id}_chunk_${k + 1}`,
    start,
    end,
    sequence: sequence.slice(start, end),
  }));
}
