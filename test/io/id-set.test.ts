import { seededRandom } from '../../bench/synthetic';
import { IdSet, type FirstSeen } from '../../src/io/id-set';

// IdSet against a plain Map as the reference: the same answers for every id, present or not.

/** Ids of 0-40 characters over every byte value a header can hold, many sharing prefixes. */
function randomId(random: () => number): string {
  const length = Math.floor(random() * 41);
  let id = random() < 0.5 ? 'read_' : '';
  for (let i = 0; i < length; i++) id += String.fromCharCode(0x21 + Math.floor(random() * (0x100 - 0x21)));
  return id;
}

describe('IdSet', () => {
  it('answers has and get as a Map does, through many resizes', () => {
    const random = seededRandom(7);
    const set = new IdSet();
    const reference = new Map<string, FirstSeen>();
    const files = ['a.fa', 'b.fa.gz', 'c.fa'];
    const added: string[] = [];
    const mismatches: string[] = [];
    for (let line = 1; line <= 60_000; line++) {
      const repeat = random() < 0.2 && added.length > 0;
      const id = repeat ? added[Math.floor(random() * added.length)] : randomId(random);
      const where = { file: files[Math.floor(line / 20_000)], line };
      const first = reference.get(id);
      const got = set.get(id);
      if (set.has(id) !== reference.has(id) || got?.file !== first?.file || got?.line !== first?.line)
        mismatches.push(id);
      if (!first) {
        reference.set(id, where);
        added.push(id);
      }
      set.set(id, where);
    }
    for (let i = 0; i < 5_000; i++) {
      const id = randomId(random);
      if (set.has(id) !== reference.has(id)) mismatches.push(id);
    }
    expect(mismatches).toEqual([]);
    expect(set.size).toBe(reference.size);
    expect(added.map((id) => set.get(id))).toEqual(added.map((id) => reference.get(id)));
  });

  it('keeps the first place of an id set twice', () => {
    const set = new IdSet();
    set.set('x', { file: 'a.fa', line: 3 });
    set.set('x', { file: 'b.fa', line: 9 });
    expect(set.get('x')).toEqual({ file: 'a.fa', line: 3 });
    expect(set.size).toBe(1);
  });

  it('tells apart ids that differ only in a byte above 0x7f, and the empty id', () => {
    const set = new IdSet();
    set.set('r\u00e9', { file: 'a.fa', line: 1 });
    set.set('', { file: 'a.fa', line: 2 });
    expect(set.has('r\u00e8')).toBe(false);
    expect(set.has('r')).toBe(false);
    expect(set.get('')).toEqual({ file: 'a.fa', line: 2 });
  });

  it('refuses text that is not one byte per character', () => {
    expect(() => new IdSet().set('\u0100', { file: 'a.fa', line: 1 })).toThrow(/one byte per character/);
  });
});
