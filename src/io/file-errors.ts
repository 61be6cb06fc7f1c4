// One wording for the file system errors a user can act on: the path, then the reason in plain words.

const REASONS: Record<string, string> = {
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory, not a file',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ESPIPE: 'is a pipe or a terminal, not a regular file; save the data to a file first',
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is exceeded',
  EROFS: 'the file system is read-only',
  EMFILE: 'too many open files',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the name is too long',
};

/** `<path>: <reason>` for a Node.js file system error; other errors keep their own message. */
export function describeFileError(error: unknown, file: string): string {
  const code = (error as NodeJS.ErrnoException | null)?.code;
  const reason = code === undefined ? undefined : REASONS[code];
  return `${file}: ${reason ?? (error instanceof Error ? error.message : String(error))}`;
}
