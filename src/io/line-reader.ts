import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';

/** A text file's lines, one at a time, with a look at the next one before taking it. */
export class LineReader {
  /** 1-based number of the line last taken (0 before the first) */
  line = 0;
  private readonly lines: AsyncIterator<string>;
  private next: string | null | undefined;

  /** `encoding`: 'latin1' reads each byte as one character, as readFasta gives ids */
  constructor(
    readonly file: string,
    encoding: BufferEncoding = 'utf8',
  ) {
    const input = createReadStream(file, encoding);
    this.lines = createInterface({ input, crlfDelay: Infinity })[Symbol.asyncIterator]();
  }

  /** The next line without taking it; null at the end of the file. */
  async peek(): Promise<string | null> {
    if (this.next === undefined) {
      const { value, done } = await this.lines.next();
      this.next = done ? null : value;
    }
    return this.next;
  }

  /** Takes the next line; null at the end of the file. */
  async take(): Promise<string | null> {
    const line = await this.peek();
    if (line !== null) {
      this.line++;
      this.next = undefined;
    }
    return line;
  }

  /** Stops reading early. */
  async close(): Promise<void> {
    await this.lines.return?.();
  }
}
