import { describeFileError } from '../../src/io/file-errors';

describe('describeFileError', () => {
  it('names the path and says the reason in plain words', () => {
    const error = (code: string) => Object.assign(new Error(`${code}: raw`), { code });
    expect(describeFileError(error('EACCES'), 'in/reads.fa')).toBe('in/reads.fa: permission denied (EACCES)');
    expect(describeFileError(error('EISDIR'), 'in')).toBe('in: it is a directory, not a file (EISDIR)');
    expect(describeFileError(error('ESPIPE'), '/dev/stdin')).toBe(
      '/dev/stdin: it is a pipe or socket, not a regular file; save the data to a file first (ESPIPE)',
    );
    expect(describeFileError(error('ENOSPC'), 'out/x')).toBe('out/x: the disk is full (ENOSPC)');
    expect(describeFileError(error('EROFS'), 'out/x')).toBe('out/x: the file system is read-only (EROFS)');
  });

  it('keeps the message of an error it has no words for', () => {
    expect(describeFileError(new Error('odd'), 'f')).toBe('f: odd');
  });
});
