import { gzipSync } from 'node:zlib';
import { formatLintReport, lintFasta } from '../../src/io/fasta-lint';
import { fastqText, type FastqRecord } from '../../src/io/fastq';
import { readSequenceFiles, readSequences, sequenceFormat } from '../../src/io/sequence-file';
import { scratchFolder } from './scratch-folder';

// FASTQ read straight from the sequencer: the four-line record, told from FASTA by its content, every
// malformed record refused with its line and what was expected there, and the same checks counted by
// validate. Expected texts and lines are written out by hand from the inputs.

const scratch = scratchFolder('virnucpro-fastq-');
const { write } = scratch;

async function all(file: string, options = {}) {
  const records = [];
  for await (const record of readSequences(file, options)) records.push(record);
  return records;
}

async function refusal(file: string): Promise<string> {
  try {
    await all(file);
  } catch (error) {
    return (error as Error).message;
  }
  throw new Error('read without an error');
}

describe('reading FASTQ', () => {
  it('reads four-line records by content, whatever the name, plain or gzip, CR LF and blank lines included', async () => {
    const text =
      '\ufeff\n@r1 lane 1\nACGTN\n+\nII#I!\n\n@r2\r\nacgt\r\n+r2\r\n~~~~\r\n@r3\n\n+\n\n@r4\nAC\n+\nII';
    for (const file of [write('reads.fa', text), write('reads.txt.gz', gzipSync(text))]) {
      expect(await sequenceFormat(file)).toBe('fastq');
      const records = (await all(file)) as FastqRecord[];
      expect(
        records.map((r) => [r.id, r.description, r.sequence, r.line, r.header, r.plus, r.quality]),
      ).toEqual([
        ['r1', 'lane 1', 'ACGTN', 2, 'r1 lane 1', '', 'II#I!'],
        ['r2', '', 'acgt', 7, 'r2', 'r2', '~~~~'],
        ['r3', '', '', 11, 'r3', '', ''],
        ['r4', '', 'AC', 15, 'r4', '', 'II'],
      ]);
    }
    expect(await sequenceFormat(write('plain.fq', '\n>x\nAC\n'))).toBe('fasta');
  });

  it('renames a duplicate id in the header and in a repeated + line, and writes the record back as read', async () => {
    const first = write('one.fq', '@a x\nAC\n+a x\nII\n');
    const second = write('two.fq', '@a\tx\nGG\n+\nJJ\n');
    const records = [];
    for await (const { input, record } of readSequenceFiles([first, second], { renameDuplicates: true }))
      records.push([input, fastqText(record as FastqRecord)]);
    expect(records).toEqual([
      [0, '@a x\nAC\n+a x\nII\n'],
      [1, '@a_2\tx\nGG\n+\nJJ\n'],
    ]);
  });

  it.each([
    [
      'a missing + line',
      '@a\nACGT\nIIII\n@b\nAC\n+\nII\n',
      3,
      "expected the '+' line after the sequence line",
    ],
    [
      'a multi-line record',
      '@a\nACGT\nACGT\n+\nIIIIIIII\n',
      3,
      "expected the '+' line after the one sequence line (multi-line FASTQ is not read: one line each for sequence and quality)",
    ],
    [
      'a short quality line',
      '@a\nACGT\n+\nIII\n',
      4,
      'quality line shorter than the sequence (3 quality characters for 4 bases)',
    ],
    [
      'a long quality line',
      '@a\nACGT\n+\nIIIII\n',
      4,
      'quality line longer than the sequence (5 quality characters for 4 bases)',
    ],
    ['an empty quality line', '@a\nACGT\n+\n\n@b\nA\n+\nI\n', 4, 'empty quality line for a read of 4 bases'],
    [
      'a record cut off before its quality',
      '@a\nAC\n+\nII\n@b\nACGT\n+\n',
      8,
      'record cut off at the end of the file: expected a quality line',
    ],
    [
      'a record cut off before its +',
      '@a\nAC\n+\nII\n@b\nACGT',
      7,
      "record cut off at the end of the file: expected a '+' line",
    ],
    ['a header without @', '@a\nAC\n+\nII\nb\nAC\n+\nII\n', 5, "expected a '@' header line"],
    [
      'a FASTA record inside FASTQ',
      '@a\nAC\n+\nII\n>b\nACGT\n',
      5,
      "a FASTA record inside FASTQ: expected a '@' header line",
    ],
    [
      'a space in the qualities',
      '@a\nACGT\n+\nII I\n',
      4,
      "quality character byte 0x20 at column 3 is outside '!'..'~'",
    ],
    [
      'a byte above ~',
      '@a\nACGT\n+\nIII\x7f\n',
      4,
      "quality character byte 0x7f at column 4 is outside '!'..'~'",
    ],
    [
      'a + line naming another record',
      '@a\nAC\n+b\nII\n',
      3,
      "the '+' line repeats a different header than line 1",
    ],
    ['a header without an id', '@ x\nAC\n+\nII\n', 1, 'header line without an id'],
  ])('refuses %s with its line and what was expected there', async (_, text, line, reason) => {
    const file = write('bad.fq', text);
    expect(await refusal(file)).toBe(`bad.fq:${line}: ${reason}`);
    const report = await lintFasta(file);
    expect(report.problems.map((p) => [p.severity, p.line, p.message])).toContainEqual([
      'error',
      line,
      reason,
    ]);
  });

  it('refuses a cut gzip stream at the line it reached', async () => {
    const reads = Array.from({ length: 2000 }, (_, i) => `@r${i}\nACGTACGTAC\n+\nIIIIIIIIII\n`).join('');
    const whole = gzipSync(reads);
    const file = write('cut.fq.gz', whole.subarray(0, whole.length - 100));
    expect(await refusal(file)).toMatch(/^cut\.fq\.gz:\d+: truncated or corrupt gzip data/);
    const report = await lintFasta(file);
    expect(report.problems.map((p) => p.kind)).toEqual(['format']);
  });
});

describe('validate on FASTQ', () => {
  it('counts every kind of problem, going on past qualities (the framing holds) and stopping at a broken record', async () => {
    const file = write(
      'run.fq',
      [
        '@a\nACGT\n+\nIII\n', // 1: short quality
        '@b\nACGU\n+\nIIII\n', // 5: RNA
        '@a\nACGX\n+\nI I!\n', // 9: duplicate, invalid X, quality char
        '@c\n\n+\n\n', // 13: empty read
        '@d\nAC\n+\n\n', // 17: empty quality
        '@e\nAC\nII\n', // 21: missing +, stops
        '@f\nAC\n+\nI\n',
      ].join(''),
    );
    expect(formatLintReport(await lintFasta(file))).toBe(
      [
        'run.fq: 5 FASTQ records, 14 bases',
        '  error   run.fq:4: quality line shorter than the sequence (3 quality characters for 4 bases)',
        '  error   run.fq:5: "b" has U: RNA is read only with --rna, which takes U as T',
        '  error   run.fq:9: duplicate id "a" (first at line 1)',
        `  error   run.fq:10: invalid character 'X' at column 4 in the sequence of "a"`,
        "  error   run.fq:12: quality character byte 0x20 at column 2 is outside '!'..'~'",
        '  warning run.fq:13: empty sequence for "c"',
        '  error   run.fq:20: empty quality line for a read of 2 bases',
        "  error   run.fq:23: expected the '+' line after the sequence line",
        "  2 quality lines of the wrong length, 1 RNA record, 1 duplicate id, 1 record with invalid characters, 1 quality line with characters outside '!'..'~', 1 empty record, 1 format error",
      ].join('\n'),
    );
  });

  it('reads U as T with --rna, and hashes the file as stored in the same pass', async () => {
    const text = gzipSync('@r\nACGU\n+\nIIII\n');
    const report = await lintFasta(write('rna.fq.gz', text), new Map(), { rna: true, hash: true });
    expect(report.problems).toEqual([]);
    const { createHash } = await import('node:crypto');
    expect(report.sha256).toBe(createHash('sha256').update(text).digest('hex'));
  });
});

describe('the base check of validate on FASTQ', () => {
  it('finds one odd base at every position of a long read, at every offset from the buffer start', async () => {
    const length = 61;
    const odd = ['X', 'U', 'R', '-', ' '];
    let text = '';
    for (let position = 0; position < length; position++) {
      const sequence = 'AcGtN'.repeat(13).slice(0, length).split('');
      sequence[position] = odd[position % odd.length];
      // headers of varied length shift the sequence against 4-byte boundaries
      text += `@r${position}${'x'.repeat(position % 4)}\n${sequence.join('')}\n+\n${'I'.repeat(length)}\n`;
    }
    text += `@clean\n${'ACGTNacgtn'.repeat(20)}\n+\n${'I'.repeat(200)}\n`;
    const report = await lintFasta(write('odd.fq', text));
    const found = report.problems.map((p) => [p.kind, p.line]);
    // R and - are IUPAC codes and gaps: allowed
    const expected = [];
    for (let position = 0; position < length; position++) {
      const char = odd[position % odd.length];
      if (char === 'U') expected.push(['rna', 4 * position + 1]);
      if (char === 'X' || char === ' ') expected.push(['invalid', 4 * position + 2]);
    }
    expect(found).toEqual(expected);
  });
});
