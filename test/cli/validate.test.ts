import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { formatLintReport, lintFasta } from '../../src/cli/commands/validate';

let dir: string;
beforeAll(() => {
  dir = mkdtempSync(path.join(tmpdir(), 'virnucpro-validate-'));
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

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
});
