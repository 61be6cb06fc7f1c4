import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { writeFileAtomic } from '../io/atomic-write';
import { RUN_LOG } from '../pipeline/run-folder';

// virnucpro.log in the output folder: every line predict printed, timestamped, plus the plain lines
// that progress bars stand for on a terminal. Kept in memory during the run and written whole at its
// end (after an earlier run's log in the folder, so a resumed run's log tells the whole story).

export class RunLog {
  private readonly lines: string[] = [];

  constructor(private readonly outDir: string) {}

  get file(): string {
    return path.join(this.outDir, RUN_LOG);
  }

  private stamped(line: string): string {
    return `${new Date().toISOString().replace('T', ' ').slice(0, 19)} ${line}`;
  }

  /** Prints a line on stderr (with the time of day) and keeps it. */
  print(line: string): void {
    process.stderr.write(`${new Date().toISOString().slice(11, 19)} ${line}\n`);
    this.lines.push(this.stamped(line));
  }

  /** Keeps a line without printing it. */
  keep(line: string): void {
    this.lines.push(this.stamped(line));
  }

  /** Prints `last` (when given) and writes the log into the output folder; returns its path. */
  async save(last: string | null): Promise<string> {
    if (last !== null) this.print(last);
    const earlier = existsSync(this.file) ? await readFile(this.file, 'utf8') : '';
    await writeFileAtomic(this.file, `${earlier}${this.lines.join('\n')}\n`);
    return this.file;
  }
}
