import type { AtomicFileWriter } from './atomic-write';
import { idBytes } from './fasta';

/** Text written to a file in pieces of about a megabyte, as the input's bytes (ids are latin1). */
export class TextSink {
  private text = '';

  constructor(readonly writer: AtomicFileWriter) {}

  async add(text: string): Promise<void> {
    this.text += text;
    if (this.text.length >= 1 << 20) await this.flush();
  }

  async flush(): Promise<void> {
    await this.writer.write(idBytes(this.text));
    this.text = '';
  }
}
