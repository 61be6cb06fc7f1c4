import path from 'node:path';
import { FastaError } from './fasta-error';
import type { SeenIds } from './id-set';
import { quotedId } from './id-bytes';

// The duplicate-id rule every reader applies, FASTA or FASTQ: a repeated id is an error, is renamed
// with _2, _3 ... (the first free suffix across every file sharing `seen`), or passes as it is.

export interface IdRename {
  file: string;
  line: number;
  from: string;
  to: string;
}

export interface DuplicateIdOptions {
  /** 'error' (default): a repeated id is an error; 'rename': suffix _2, _3, ...; 'allow': yield as is */
  duplicateIds?: 'error' | 'rename' | 'allow';
  onRename?: (rename: IdRename) => void;
}

/** The id a record of `file` at `line` gets under the rule. */
export function uniqueIds(
  file: string,
  options: DuplicateIdOptions,
  seen: SeenIds,
): (id: string, line: number) => string {
  const duplicateIds = options.duplicateIds ?? 'error';
  const renameCounts = new Map<string, number>();
  return (id, line) => {
    // allowed duplicates need no memory of the ids
    if (duplicateIds === 'allow') return id;
    const first = seen.get(id);
    if (!first) {
      seen.set(id, { file, line });
      return id;
    }
    if (duplicateIds === 'error') {
      const where = first.file === file ? `line ${first.line}` : `${path.basename(first.file)}:${first.line}`;
      throw new FastaError(file, line, `duplicate id ${quotedId(id)} (first at ${where})`);
    }
    let n = renameCounts.get(id) ?? 1;
    let renamed: string;
    do renamed = `${id}_${++n}`;
    while (seen.has(renamed));
    renameCounts.set(id, n);
    seen.set(renamed, { file, line });
    options.onRename?.({ file, line, from: id, to: renamed });
    return renamed;
  };
}
