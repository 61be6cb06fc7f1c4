// Vectors of sequences a worker has already embedded with one model, so an identical sequence met again
// (PCR and optical duplicates, genomes repeated across samples) is not run through the model twice.
// Least recently used entries go first once the cache holds `maxBytes` of vectors and keys.

export class EmbeddingCache {
  private readonly entries = new Map<string, Float32Array>();
  private bytes = 0;

  constructor(private readonly maxBytes: number) {}

  /** `key`: a digest of the sequence (see embed-job.ts) */
  get(key: string): Float32Array | undefined {
    const vector = this.entries.get(key);
    if (vector) {
      this.entries.delete(key);
      this.entries.set(key, vector);
    }
    return vector;
  }

  set(key: string, vector: Float32Array): void {
    if (this.entries.has(key)) return;
    const size = vector.byteLength + 2 * key.length;
    if (size > this.maxBytes) return;
    this.entries.set(key, vector.slice());
    this.bytes += size;
    for (const [key, value] of this.entries) {
      if (this.bytes <= this.maxBytes) break;
      this.entries.delete(key);
      this.bytes -= value.byteLength + 2 * key.length;
    }
  }

  get size(): number {
    return this.entries.size;
  }
}
