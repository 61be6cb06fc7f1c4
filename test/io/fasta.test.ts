import { execFileSync } from 'node:child_process';
import path from 'node:path';
import { gzipSync } from 'node:zlib';
import { FastaError, idBytes, readFasta, type FastaReadOptions, type IdRename } from '../../src/io/fasta';
import { scratchFolder } from './scratch-folder';

const scratch = scratchFolder('virnucpro-fasta-');
const { write } = scratch;

async function readAll(file: string, options?: FastaReadOptions) {
  const records = [];
  for await (const record of readFasta(file, options)) records.push(record);
  return records;
}

async function errorOf(file: string, options?: FastaReadOptions): Promise<FastaError> {
  try {
    await readAll(file, options);
  } catch (error) {
    expect(error).toBeInstanceOf(FastaError);
    return error as FastaError;
  }
  throw new Error('expected a FastaError');
}

describe('readFasta', () => {
  it('reads multi-line records, keeps case, takes the first word as id', async () => {
    const file = write('multi.fa', '>r1 some description\nACGT\nacgt\n\n>r2\nNNNN\nAC\n');
    expect(await readAll(file)).toEqual([
      { id: 'r1', description: 'some description', sequence: 'ACGTacgt', line: 1 },
      { id: 'r2', description: '', sequence: 'NNNNAC', line: 5 },
    ]);
  });

  it('handles CRLF line endings and a last line without newline', async () => {
    const file = write('crlf.fa', '>r1 d\r\nACGT\r\nGG\r\n>r2\r\nTT');
    const records = await readAll(file);
    expect(records.map((r) => [r.id, r.description, r.sequence])).toEqual([
      ['r1', 'd', 'ACGTGG'],
      ['r2', '', 'TT'],
    ]);
  });

  it('reads gzip told by its magic bytes, not the extension', async () => {
    const file = write('reads.txt', gzipSync('>g1\nACGT\n>g2\nTTTT\n'));
    expect((await readAll(file)).map((r) => r.sequence)).toEqual(['ACGT', 'TTTT']);
    const plainNamedGz = write('plain.fa.gz', '>p\nAC\n');
    expect((await readAll(plainNamedGz))[0].sequence).toBe('AC');
  });

  it('reads lines split across stream chunks', async () => {
    const long = 'ACGT'.repeat(600_000);
    const file = write('long.fa', `>big\n${long}\n>small\nA\n`);
    const records = await readAll(file);
    expect(records[0].sequence).toBe(long);
    expect(records[1].sequence).toBe('A');
  });

  it('yields a record with an empty sequence', async () => {
    const file = write('empty-record.fa', '>e1\n>e2\nAC\n>e3\n');
    expect((await readAll(file)).map((r) => [r.id, r.sequence])).toEqual([
      ['e1', ''],
      ['e2', 'AC'],
      ['e3', ''],
    ]);
  });

  it('rejects sequence before any header line, naming file and line', async () => {
    const error = await errorOf(write('reads.fa', '\nACGT\n>r\nAC\n'));
    expect(error.message).toBe("reads.fa:2: expected a '>' header line");
    expect(error.line).toBe(2);
  });

  it('rejects binary data', async () => {
    const error = await errorOf(write('binary.fa', Buffer.from([0x3e, 0x61, 0x0a, 0x41, 0x00, 0x43, 0x0a])));
    expect(error.message).toMatch(/^binary\.fa:2: binary data \(byte 0x00 at column 2\)/);
    const high = await errorOf(write('high.fa', Buffer.from([0x3e, 0x61, 0x0a, 0x41, 0xff, 0x0a])));
    expect(high.message).toMatch(/^high\.fa:2: binary data/);
    const header = await errorOf(write('header.fa', Buffer.from([0x3e, 0x61, 0x07, 0x0a, 0x41, 0x0a])));
    expect(header.message).toMatch(/^header\.fa:1: binary data \(byte 0x07 at column 3\)/);
  });

  it('rejects an empty file and a file of blank lines', async () => {
    expect((await errorOf(write('empty.fa', ''))).message).toBe('empty.fa: empty file (no FASTA records)');
    expect((await errorOf(write('blank.fa', '\n\r\n\n'))).message).toMatch(/^blank\.fa: empty file/);
    expect((await errorOf(write('empty.fa.gz', gzipSync('')))).message).toMatch(/empty file/);
  });

  it('rejects a truncated gzip and a corrupt one', async () => {
    const whole = gzipSync('>r1\n' + 'ACGT'.repeat(10000) + '\n>r2\nAC\n');
    const truncated = await errorOf(write('cut.fa.gz', whole.subarray(0, whole.length - 20)));
    expect(truncated.message).toMatch(/^cut\.fa\.gz:\d+: truncated or corrupt gzip data/);
    const corrupt = Buffer.from(whole);
    corrupt.fill(0x55, 20, 60);
    expect((await errorOf(write('bad.fa.gz', corrupt))).message).toMatch(/truncated or corrupt gzip data/);
  });

  it('rejects a duplicate id naming both lines', async () => {
    const file = write('dup.fa', '>x\nAC\n>y\nGG\n>x other\nTT\n');
    expect((await errorOf(file)).message).toBe('dup.fa:5: duplicate id "x" (first at line 1)');
  });

  it('renames duplicates with _2, _3 when asked, and reports each rename', async () => {
    const file = write('dup2.fa', '>x\nA\n>x\nC\n>x_2\nG\n>x\nT\n');
    const renames: IdRename[] = [];
    const records = await readAll(file, { duplicateIds: 'rename', onRename: (r) => renames.push(r) });
    expect(records.map((r) => r.id)).toEqual(['x', 'x_2', 'x_2_2', 'x_3']);
    expect(renames.map((r) => [r.line, r.from, r.to])).toEqual([
      [3, 'x', 'x_2'],
      [5, 'x_2', 'x_2_2'],
      [7, 'x', 'x_3'],
    ]);
  });

  it('finds duplicates across files through a shared id map', async () => {
    const seen = new Map();
    await readAll(write('a.fa', '>s\nAC\n'), { seen });
    expect((await errorOf(write('b.fa', '>t\nA\n>s\nAC\n'), { seen })).message).toBe(
      'b.fa:3: duplicate id "s" (first at a.fa:1)',
    );
  });

  it('checks characters against the IUPAC nucleotide alphabet when asked', async () => {
    const file = write('chars.fa', '>ok\nACGTNRYacgtn-\n>bad\nACGT\nACJT\nXX\n');
    expect(await readAll(file)).toHaveLength(2);
    expect((await errorOf(file, { checkCharacters: 'error' })).message).toBe(
      `chars.fa:5: invalid character 'J' at column 3 in the sequence of "bad"`,
    );
    const reported = await readAll(file, { checkCharacters: 'report' });
    expect(reported[0].invalid).toBeUndefined();
    expect(reported[1].invalid).toEqual({ char: 'J', line: 5, column: 3, count: 3 });
  });

  it('keeps ids as bytes: two ids differing only in a Latin-1 byte are distinct, UTF-8 ids stay UTF-8', async () => {
    const file = write(
      'latin1.fa',
      Buffer.concat([
        Buffer.from('>caf'),
        Buffer.from([0xe9]),
        Buffer.from(' d\xe9j\xe0\nACGT\n>caf'),
        Buffer.from([0xe8]),
        Buffer.from('\nACGT\n>caf\u00e9\nAC\n'),
      ]),
    );
    const records = await readAll(file);
    expect(records.map((r) => idBytes(r.id))).toEqual([
      Buffer.from([0x63, 0x61, 0x66, 0xe9]),
      Buffer.from([0x63, 0x61, 0x66, 0xe8]),
      Buffer.from([0x63, 0x61, 0x66, 0xc3, 0xa9]),
    ]);
    expect(idBytes(records[0].description)).toEqual(Buffer.from('d\u00e9j\u00e0', 'utf8'));
    // messages show an id's bytes as UTF-8 text
    expect((await errorOf(write('dup-utf8.fa', '>caf\u00e9\nA\n>caf\u00e9\nA\n'))).message).toBe(
      'dup-utf8.fa:3: duplicate id "caf\u00e9" (first at line 1)',
    );
  });

  it('ends an id at ASCII white space only, so a UTF-8 no-break space stays in the id', async () => {
    const file = write('nbsp.fa', Buffer.from('>a\u00a0b\tc d\nAC\n', 'utf8'));
    const [record] = await readAll(file);
    expect(idBytes(record.id)).toEqual(Buffer.from('a\u00a0b', 'utf8'));
    expect(record.description).toBe('c d');
  });

  it('skips a UTF-8 byte order mark, plain and gzip', async () => {
    const withBom = Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), Buffer.from('>a x\nACGT\n')]);
    for (const file of [write('bom.fa', withBom), write('bom.fa.gz', gzipSync(withBom))]) {
      expect((await readAll(file)).map((r) => [r.id, r.description, r.sequence])).toEqual([
        ['a', 'x', 'ACGT'],
      ]);
    }
  });

  it('takes a lone CR as a line end, and CR LF as one line end even split across pieces', async () => {
    const file = write('cr.fa', '>r1\rACGT\rGG\r\r>r2\rTT\r');
    expect((await readAll(file)).map((r) => [r.id, r.sequence, r.line])).toEqual([
      ['r1', 'ACGTGG', 1],
      ['r2', 'TT', 5],
    ]);
    // a CR ending the first 1 MiB piece read and its LF opening the next: one line end, not two
    const head = '>a\n' + 'A'.repeat((1 << 20) - 3 - 1);
    const split = write('split-crlf.fa', `${head}\r\n>b\r\nCC\r\n`);
    const records = [];
    for await (const record of readFasta(split))
      records.push([record.id, record.sequence.length, record.line]);
    expect(records).toEqual([
      ['a', (1 << 20) - 4, 1],
      ['b', 2, 3],
    ]);
  });

  it('reads U as T and u as t with rna, and keeps U without', async () => {
    const file = write('rna.fa', '>r\nACGUacgu\nUU\n');
    expect((await readAll(file))[0].sequence).toBe('ACGUacguUU');
    expect((await readAll(file, { rna: true }))[0].sequence).toBe('ACGTacgtTT');
  });

  it('keeps digits in the sequence like Biopython, and rejects them naming file and line when checked', async () => {
    const file = write('digits.fa', '>g\n1 acgtacgt\n9 ac\n');
    expect((await readAll(file))[0].sequence).toBe('1acgtacgt9ac');
    expect((await errorOf(file, { checkCharacters: 'error' })).message).toBe(
      `digits.fa:2: invalid character '1' at column 1 in the sequence of "g"`,
    );
  });

  it('names the path and the reason for a directory, a pipe and a missing file', async () => {
    const fifo = path.join(scratch.dir, 'reads.fifo');
    execFileSync('mkfifo', [fifo]);
    // a pipe is refused before it is opened (opening one with no writer would block)
    expect((await errorOf(fifo)).message).toBe(
      `${fifo}: it is a pipe or socket, not a regular file; save the data to a file first (ESPIPE)`,
    );
    expect((await errorOf(scratch.dir)).message).toBe(
      `${scratch.dir}: it is a directory, not a file (EISDIR)`,
    );
    const missing = path.join(scratch.dir, 'missing.fa');
    expect((await errorOf(missing)).message).toBe(`${missing}: no such file or directory (ENOENT)`);
  });

  it('rejects a header without an id', async () => {
    expect((await errorOf(write('noid.fa', '>\nAC\n'))).message).toBe('noid.fa:1: header line without an id');
  });
});
