import { readFile } from 'node:fs/promises';
import { JobError } from './job-errors';

// A classify job's frame table: which stored vector each frame gets from one model. One line per
// frame, in the order its scores are written: `<frame id>\t<source>\t<row>`, the source being the index
// of an embeddings file in the job's list for that model and the row a row of that file. Identical
// frames are embedded once: every copy's line points at the first copy's row.

export interface FrameTable {
  ids: string[];
  sources: Uint32Array;
  rows: Uint32Array;
}

/** One line of a frame table (ids are Latin-1 strings, one character per input byte). */
export function frameTableLine(id: string, source: number, row: number): string {
  return `${id}\t${source}\t${row}\n`;
}

export async function readFrameTable(file: string): Promise<FrameTable> {
  const lines = (await readFile(file, 'latin1')).split('\n');
  if (lines.pop() !== '') throw new JobError('E_INPUT', `${file}: the last line is not complete`);
  const table: FrameTable = {
    ids: [],
    sources: new Uint32Array(lines.length),
    rows: new Uint32Array(lines.length),
  };
  lines.forEach((line, i) => {
    const fields = /^(.*)\t(\d+)\t(\d+)$/.exec(line);
    if (!fields) throw new JobError('E_INPUT', `${file}:${i + 1}: not <id> <source> <row>`);
    table.ids.push(fields[1]);
    table.sources[i] = Number(fields[2]);
    table.rows[i] = Number(fields[3]);
  });
  return table;
}
