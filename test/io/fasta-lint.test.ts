import { formatLintReport, lintFasta } from '../../src/io/fasta-lint';
import { scratchFolder } from './scratch-folder';

const scratch = scratchFolder('virnucpro-validate-');
const { write } = scratch;

describe('validate', () => {
  it('reports every duplicate, empty record and invalid character with its line, and counts', async () => {
    const file = write('reads.fa', '>a\nACGT\n>b\n>a\nAC\n>c\nACXT\nJJ\n>d\nNNRY\n>b\nA\n');
    const report = await lintFasta(file);
    expect(report.records).toBe(6);
    expect(report.bases).toBe(4 + 0 + 2 + 6 + 4 + 1);
    expect(formatLintReport(report)).toBe(
      [
        'reads.fa: 6 records, 17 bases',
        '  warning reads.fa:3: empty sequence for "b"',
        '  error   reads.fa:4: duplicate id "a" (first at line 1)',
        `  error   reads.fa:7: invalid character 'X' at column 3 in the sequence of "c" (3 invalid characters in this record)`,
        '  error   reads.fa:11: duplicate id "b" (first at line 3)',
        '  1 empty record, 2 duplicate ids, 1 record with invalid characters',
      ].join('\n'),
    );
  });

  it('reports a format error and stops reading that file', async () => {
    const report = await lintFasta(write('bad.fa', 'ACGT\n>a\nAC\n'));
    expect(report.problems).toEqual([
      {
        severity: 'error',
        kind: 'format',
        file: report.file,
        line: 1,
        message: "expected a '>' header line",
      },
    ]);
  });

  it('finds duplicates across files', async () => {
    const seen = new Map();
    await lintFasta(write('one.fa', '>x\nAC\n'), seen);
    const report = await lintFasta(write('two.fa', '>x\nAC\n'), seen);
    expect(report.problems.map((p) => p.message)).toEqual(['duplicate id "x" (first at one.fa:1)']);
  });

  it('says ok for a clean file', async () => {
    expect(formatLintReport(await lintFasta(write('ok.fa', '>a\nACGT\n')))).toBe(
      'ok.fa: 1 record, 4 bases\n  ok',
    );
  });

  it('calls a record of mostly non-ACGTUN letters protein, once, instead of listing its characters', async () => {
    const file = write('protein.fa', '>p1 a protein\nMKVLAAGIVGLLLSTQ\n>iupac\nNNRYACGT\n');
    const report = await lintFasta(file);
    expect(report.problems.map((p) => [p.kind, p.line, p.message])).toEqual([
      [
        'protein',
        1,
        '"p1" looks like protein, not nucleotides (11 of its 16 letters are not A, C, G, T, U or N)',
      ],
    ]);
  });

  it('refuses U unless --rna reads it as T', async () => {
    const file = write('rna.fa', '>r1\nACGU\n>d1\nACGT\n>r2\nacgu\n');
    const report = await lintFasta(file);
    expect(formatLintReport(report)).toBe(
      [
        'rna.fa: 3 records, 12 bases',
        '  error   rna.fa:1: "r1" has U: RNA is read only with --rna, which takes U as T',
        '  error   rna.fa:5: "r2" has U: RNA is read only with --rna, which takes U as T',
        '  2 RNA records',
      ].join('\n'),
    );
    expect((await lintFasta(file, new Map(), { rna: true })).problems).toEqual([]);
  });

  it('reports digits in a sequence line with file and line', async () => {
    const report = await lintFasta(write('genbank.fa', '>g\nACGTACGTAC\n61 acgtacgt\n'));
    expect(report.problems.map((p) => `${p.line}: ${p.message}`)).toEqual([
      `3: invalid character '6' at column 1 in the sequence of "g" (2 invalid characters in this record)`,
    ]);
  });

  it('allows duplicates when they are to be renamed', async () => {
    const file = write('dups.fa', '>a\nAC\n>a\nAC\n');
    expect((await lintFasta(file, new Map(), { duplicateIds: 'allow' })).problems).toEqual([]);
  });
});
