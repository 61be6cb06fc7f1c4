import { createHash } from 'node:crypto';

// Where the first copy of each distinct sequence lives, over millions of sequences in little memory. A
// Map from sequences (or their digests as strings) costs well over 100 bytes per entry in V8;
// FirstCopies keeps a 128-bit digest of each sequence and its place (two uint32: a file number and a row)
// in typed arrays, with an open-addressing table of entry numbers: about 32 bytes per distinct sequence
// (10M sequences: 320 MB, twice that during a resize). Two different sequences share a 128-bit
// digest with a probability below 1e-24 at that scale.

/** Where a sequence was first seen. */
export interface Place {
  file: number;
  row: number;
}

const WORDS = 4; // 128 bits of SHA-256, as uint32
const digest = new Uint32Array(WORDS);

function grown(array: Uint32Array, size: number): Uint32Array<ArrayBuffer> {
  const larger = new Uint32Array(size);
  larger.set(array);
  return larger;
}

export class FirstCopies {
  private count = 0;
  private digests = new Uint32Array(1024 * WORDS);
  private places = new Uint32Array(1024 * 2);
  /** entry number + 1 per slot, 0 when empty; never more than half full */
  private slots = new Uint32Array(2048);

  /** distinct sequences seen */
  get size(): number {
    return this.count;
  }

  /** The first place of `sequence`; when it is new, `place` is recorded as its first and returned. */
  firstPlace(sequence: string, place: Place): Place {
    const bytes = createHash('sha256').update(sequence, 'latin1').digest();
    for (let w = 0; w < WORDS; w++) digest[w] = bytes.readUInt32LE(4 * w);
    const mask = this.slots.length - 1;
    let slot = digest[0] & mask;
    for (; this.slots[slot] !== 0; slot = (slot + 1) & mask) {
      const entry = this.slots[slot] - 1;
      if (this.matches(entry, digest))
        return { file: this.places[2 * entry], row: this.places[2 * entry + 1] };
    }
    const entry = this.count++;
    if (entry * WORDS === this.digests.length) {
      this.digests = grown(this.digests, 2 * this.digests.length);
      this.places = grown(this.places, 2 * this.places.length);
    }
    this.digests.set(digest, entry * WORDS);
    this.places[2 * entry] = place.file;
    this.places[2 * entry + 1] = place.row;
    if (2 * this.count > this.slots.length) this.rehash(2 * this.slots.length);
    else this.slots[slot] = entry + 1;
    return place;
  }

  private matches(entry: number, digest: Uint32Array): boolean {
    for (let w = 0; w < WORDS; w++) if (this.digests[entry * WORDS + w] !== digest[w]) return false;
    return true;
  }

  private rehash(size: number): void {
    this.slots = new Uint32Array(size);
    const mask = size - 1;
    for (let entry = 0; entry < this.count; entry++) {
      let slot = this.digests[entry * WORDS] & mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & mask;
      this.slots[slot] = entry + 1;
    }
  }
}
