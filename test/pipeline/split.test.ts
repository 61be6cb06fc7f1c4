import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { seededRandom } from '../../bench/synthetic';
import { shardName, splitInputs, SPLIT_MANIFEST } from '../../src/pipeline/split';

// Shards are read back with Python's gzip and a FASTA parse of its own, so a shard that only this
// package's reader accepts would fail here.

const PYTHON = '/usr/bin/python3';
const READ_SHARDS = `
import gzip, json, sys
out = {}
for path in sys.argv[1:]:
    records, current = [], None
    with gzip.open(path, 'rt') as f:
        for line in f:
            line = line.rstrip('\\n')
            if line.startswith('>'):
                current = [line[1:], '']
                records.append(current)
            elif line:
                current[1] += line
    out[path.rsplit('/', 1)[-1]] = records
print(json.dumps(out))
`;

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'virnucpro-split-'));
});

function readShards(outDir: string): Record<string, [string, string][]> {
  const files = readdirSync(outDir)
    .filter((name) => name.endsWith('.fa.gz'))
    .sort()
    .map((name) => path.join(outDir, name));
  const run = spawnSync(PYTHON, ['-c', READ_SHARDS, ...files], { maxBuffer: 1 << 26 });
  if (run.status !== 0) throw new Error(run.stderr.toString());
  return JSON.parse(run.stdout.toString());
}

function manifestRows(outDir: string): string[][] {
  const lines = readFileSync(path.join(outDir, SPLIT_MANIFEST), 'utf8').trimEnd().split('\n');
  const header = lines.indexOf('Shard\tSequence_ID\tLength\tInput');
  expect(lines.slice(0, header).every((line) => line.startsWith('#'))).toBe(true);
  return lines.slice(header + 1).map((line) => line.split('\t'));
}

describe('split', () => {
  it('deals each record whole to the shard with the fewest bases (worked example)', async () => {
    // lengths 10 1 1 1 9 5 into two shards: a=10 -> 1; b, c, d -> 2 (1, 2, 3 bases); e=9 -> 2 (12);
    // f=5 -> 1 (15), since shard 1 has 10 bases and shard 2 has 12 when f comes
    const input = path.join(dir, 'worked.fa');
    const lengths = { a: 10, b: 1, c: 1, d: 1, e: 9, f: 5 };
    writeFileSync(
      input,
      Object.entries(lengths)
        .map(([id, n]) => `>${id} note ${id}\n${'ACGT'.repeat(5).slice(0, n)}\n`)
        .join(''),
    );
    const outDir = path.join(dir, 'worked');
    const result = await splitInputs({ inputs: [input], shards: 2, outDir });
    expect(manifestRows(outDir)).toEqual([
      ['shard-001', 'a', '10', '1'],
      ['shard-002', 'b', '1', '1'],
      ['shard-002', 'c', '1', '1'],
      ['shard-002', 'd', '1', '1'],
      ['shard-002', 'e', '9', '1'],
      ['shard-001', 'f', '5', '1'],
    ]);
    expect(result.shards.map((s) => [s.file, s.records, s.bases])).toEqual([
      ['shard-001.fa.gz', 2, 15],
      ['shard-002.fa.gz', 4, 12],
    ]);
    const shards = readShards(outDir);
    expect(shards['shard-001.fa.gz'].map(([header]) => header)).toEqual(['a note a', 'f note f']);
  });

  it('keeps every record once, balanced by bases, from gzip and plain inputs; the same bytes every time', async () => {
    const random = seededRandom(12);
    const records = Array.from({ length: 400 }, (_, i) => ({
      id: `r${i}`,
      sequence: Array.from(
        { length: 50 + Math.floor(random() * 900) },
        () => 'ACGTN'[Math.floor(random() * 5)],
      ).join(''),
    }));
    records[7].sequence = ''; // an empty record is kept, as predict lists it
    const text = (part: typeof records) =>
      part.map((r) => `>${r.id}\n${r.sequence.replace(/(.{60})/g, '$1\n')}\n`).join('');
    const gzipped = path.join(dir, 'first.fa.gz');
    const plain = path.join(dir, 'second.fa');
    writeFileSync(gzipped, gzipSync(text(records.slice(0, 250))));
    writeFileSync(plain, text(records.slice(250)));

    const outDir = path.join(dir, 'many');
    await splitInputs({ inputs: [gzipped, plain], shards: 3, outDir });
    const shards = readShards(outDir);
    expect(Object.keys(shards)).toEqual(['shard-001.fa.gz', 'shard-002.fa.gz', 'shard-003.fa.gz']);
    const all = Object.values(shards).flat();
    expect(all.map(([id]) => id).sort()).toEqual(records.map((r) => r.id).sort());
    const byId = new Map(records.map((r) => [r.id, r.sequence]));
    for (const [id, sequence] of all) expect(sequence).toBe(byId.get(id));

    // the manifest: every record in input order, each with the shard that holds it and its input's number
    const rows = manifestRows(outDir);
    expect(rows.map(([, id]) => id)).toEqual(records.map((r) => r.id));
    expect(rows.map(([, , , input]) => input)).toEqual(records.map((_, k) => (k < 250 ? '1' : '2')));
    for (const [shard, id, length] of rows) {
      expect(shards[`${shard}.fa.gz`].some(([header]) => header === id)).toBe(true);
      expect(Number(length)).toBe(byId.get(id)?.length);
    }
    // the inputs in order, absolute, with their sha256 as sha256sum reads it, then the duplicate policy
    const sha256sum = (file: string) => spawnSync('sha256sum', [file]).stdout.toString().split(' ')[0];
    const meta = readFileSync(path.join(outDir, SPLIT_MANIFEST), 'utf8').split('\n').slice(0, 3);
    expect(meta).toEqual([
      `#input\t${path.resolve(gzipped)}\t${sha256sum(gzipped)}`,
      `#input\t${path.resolve(plain)}\t${sha256sum(plain)}`,
      '#rename_duplicates\tfalse',
    ]);
    // within one record's length of each other (no record is split)
    const bases = Object.values(shards).map((rs) => rs.reduce((n, [, s]) => n + s.length, 0));
    const longest = Math.max(...records.map((r) => r.sequence.length));
    expect(Math.max(...bases) - Math.min(...bases)).toBeLessThanOrEqual(longest);

    const again = path.join(dir, 'many-again');
    await splitInputs({ inputs: [gzipped, plain], shards: 3, outDir: again });
    for (const name of readdirSync(outDir)) {
      expect(readFileSync(path.join(again, name)).equals(readFileSync(path.join(outDir, name)))).toBe(true);
    }
  });

  it('names shards with at least three digits, more when there are more shards', () => {
    expect(shardName(0, 3)).toBe('shard-001');
    expect(shardName(1233, 1500)).toBe('shard-1234');
  });

  it.each([
    ['a duplicate id', '>a\nACGT\n>b\nAC\n>a\nGG\n', /dup\.fa:5: duplicate id "a" \(first at line 1\)/],
    ['fewer records than shards', '>a\nACGT\n>b\nAC\n', /2 records cannot fill 3 shards.*--shards 2/],
    ['no header', 'ACGT\n', /dup\.fa:1: expected a '>' header line/],
  ])('refuses %s and leaves no files', async (_, content, message) => {
    const input = path.join(dir, 'dup.fa');
    writeFileSync(input, content);
    const outDir = path.join(dir, `bad-${readdirSync(dir).length}`);
    await expect(splitInputs({ inputs: [input], shards: 3, outDir })).rejects.toThrow(message);
    expect(readdirSync(outDir)).toEqual([]);
  });

  it('renames duplicate ids when asked, as predict would', async () => {
    const input = path.join(dir, 'twice.fa');
    writeFileSync(input, '>a\nACGT\n>a\nACG\n');
    const outDir = path.join(dir, 'renamed');
    const result = await splitInputs({ inputs: [input], shards: 2, outDir, renameDuplicates: true });
    expect(result.renames.map((r) => r.to)).toEqual(['a_2']);
    expect(manifestRows(outDir).map(([, id]) => id)).toEqual(['a', 'a_2']);
    expect(existsSync(path.join(outDir, 'shard-002.fa.gz'))).toBe(true);
  });
});
