// System errors from file operations, said in plain words with the path they concern.

const reasons: Record<string, string> = {
  ENOSPC: 'the disk is full',
  EDQUOT: 'the disk quota is used up (the disk is full for this user)',
  EROFS: 'the file system is read-only',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EISDIR: 'it is a directory, not a file',
  ENOTDIR: 'a part of the path is not a directory',
  ENOENT: 'no such file or directory',
  EEXIST: 'it already exists',
  ESPIPE: 'it is a pipe or socket, not a regular file; save the data to a file first',
  EMFILE: 'too many open files',
  ELOOP: 'too many levels of symbolic links',
  ENAMETOOLONG: 'the name is too long',
  EFBIG: 'the file is too large for this file system',
  EIO: 'input/output error (a failing disk or a lost network mount)',
};

/** Failures that every other write to the same place would meet too: retrying elsewhere is pointless
 * (the system's codes, and the job codes they become across the worker boundary). */
const noWritesPossible = new Set(['ENOSPC', 'EDQUOT', 'EROFS', 'E_DISK_FULL', 'E_READ_ONLY']);

function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** `<path>: <reason in plain words> (<CODE>)`, or the error's own message when the code is not known. */
export function describeFileError(error: unknown, path: string): string {
  const code = codeOf(error);
  const reason = code === undefined ? undefined : reasons[code];
  if (reason !== undefined) return `${path}: ${reason} (${code})`;
  return `${path}: ${error instanceof Error ? error.message : String(error)}`;
}

/** The error again, described for `path`, keeping its code (so it crosses process boundaries). */
export function fileError(error: unknown, path: string): Error {
  const code = codeOf(error);
  return Object.assign(new Error(describeFileError(error, path), { cause: error }), code ? { code } : {});
}

/** True for an error, a failure record with its code, or a code, of a full disk, used-up quota or
 * read-only file system. */
export function stopsAllWrites(error: unknown): boolean {
  const code = typeof error === 'string' ? error : codeOf(error);
  return code !== undefined && noWritesPossible.has(code);
}
