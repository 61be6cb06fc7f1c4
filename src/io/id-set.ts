// Duplicate-id detection over millions of records in little memory. A Map from id strings to objects
// costs well over 100 bytes per id in V8; IdSet keeps the ids' bytes in one growing buffer and an
// open-addressing table of record numbers, about 40-60 bytes per id plus the id's own bytes (1M ids
// of 12 characters: about 60 MB at most, during a resize). Lookups are exact: a hash match is confirmed
// by comparing the stored bytes.

/** Where an id was first seen. */
export interface FirstSeen {
  file: string;
  line: number;
}

/** What duplicate detection needs of a set of ids: a Map<string, FirstSeen> is one, IdSet a compact one. */
export interface SeenIds {
  get(id: string): FirstSeen | undefined;
  set(id: string, where: FirstSeen): unknown;
  has(id: string): boolean;
}

/** murmur3's 32-bit finaliser over FNV-1a: well mixed low bits for a power-of-two table. */
function hashOf(id: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < id.length; i++) {
    const code = id.charCodeAt(i);
    if (code > 0xff) throw new Error(`IdSet holds ids of one byte per character, got ${JSON.stringify(id)}`);
    h = Math.imul(h ^ code, 0x01000193);
  }
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return (h ^ (h >>> 16)) >>> 0;
}

function grown<T extends Float64Array | Uint32Array>(array: T, size: number): T {
  const larger = new (array.constructor as new (length: number) => T)(size);
  larger.set(array);
  return larger;
}

/**
 * A set of ids (one byte per character, as readFasta gives them) with where each was first seen. A
 * second `set` of a known id keeps the first place.
 */
export class IdSet implements SeenIds {
  private bytes = Buffer.allocUnsafe(1 << 16);
  private used = 0;
  private count = 0;
  // per id, by its number: where its bytes start, its hash, its first line and file
  private starts = new Float64Array(1024);
  private hashes = new Uint32Array(1024);
  private lines = new Float64Array(1024);
  private fileOf = new Uint32Array(1024);
  private readonly files: string[] = [];
  private readonly fileIndex = new Map<string, number>();
  /** id number + 1 per slot, 0 when empty; never more than half full */
  private slots = new Uint32Array(2048);

  get size(): number {
    return this.count;
  }

  has(id: string): boolean {
    return this.find(id, hashOf(id)) !== -1;
  }

  get(id: string): FirstSeen | undefined {
    const found = this.find(id, hashOf(id));
    if (found === -1) return undefined;
    return { file: this.files[this.fileOf[found]], line: this.lines[found] };
  }

  set(id: string, where: FirstSeen): this {
    const hash = hashOf(id);
    if (this.find(id, hash) !== -1) return this;
    if (this.count === this.starts.length) this.growRecords();
    if (2 * (this.count + 1) > this.slots.length) this.rehash(2 * this.slots.length);
    if (this.used + id.length > this.bytes.length) {
      const larger = Buffer.allocUnsafe(Math.max(2 * this.bytes.length, this.used + id.length));
      this.bytes.copy(larger, 0, 0, this.used);
      this.bytes = larger;
    }
    const number = this.count++;
    this.starts[number] = this.used;
    this.used += this.bytes.write(id, this.used, 'latin1');
    this.hashes[number] = hash;
    this.lines[number] = where.line;
    let file = this.fileIndex.get(where.file);
    if (file === undefined) {
      file = this.files.push(where.file) - 1;
      this.fileIndex.set(where.file, file);
    }
    this.fileOf[number] = file;
    this.place(number);
    return this;
  }

  /** The id's number, or -1. */
  private find(id: string, hash: number): number {
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const entry = this.slots[slot];
      if (entry === 0) return -1;
      if (this.hashes[entry - 1] === hash && this.equals(entry - 1, id)) return entry - 1;
    }
  }

  private equals(number: number, id: string): boolean {
    const start = this.starts[number];
    const end = number + 1 < this.count ? this.starts[number + 1] : this.used;
    if (end - start !== id.length) return false;
    for (let i = 0; i < id.length; i++) if (this.bytes[start + i] !== id.charCodeAt(i)) return false;
    return true;
  }

  private place(number: number): void {
    const mask = this.slots.length - 1;
    let slot = this.hashes[number] & mask;
    while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
    this.slots[slot] = number + 1;
  }

  private growRecords(): void {
    const size = 2 * this.starts.length;
    this.starts = grown(this.starts, size);
    this.hashes = grown(this.hashes, size);
    this.lines = grown(this.lines, size);
    this.fileOf = grown(this.fileOf, size);
  }

  private rehash(size: number): void {
    this.slots = new Uint32Array(size);
    for (let number = 0; number < this.count; number++) this.place(number);
  }
}
