import { spawn, type ChildProcess } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { pathToFileURL } from 'node:url';

// A page in Debian's headless chromium driven over the DevTools protocol on a pipe
// (--remote-debugging-pipe: JSON messages ending in a NUL byte, ours on fd 3, the browser's on fd 4),
// with nothing but Node's built-ins: evaluate expressions in the page, and collect every console
// message and uncaught exception it produced.

interface Message {
  id?: number;
  method?: string;
  sessionId?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { message: string };
}

export class ChromiumPage {
  /** console calls ("type: text") and uncaught exceptions of the page, in order */
  readonly console: string[] = [];
  private nextId = 1;
  private readonly waiting = new Map<number, { resolve: (m: Message) => void; reject: (e: Error) => void }>();
  private sessionId = '';

  private constructor(private readonly browser: ChildProcess) {
    let buffered = '';
    (browser.stdio[4] as Readable).on('data', (chunk: Buffer) => {
      buffered += chunk.toString('utf8');
      for (let end = buffered.indexOf('\0'); end >= 0; end = buffered.indexOf('\0')) {
        this.receive(JSON.parse(buffered.slice(0, end)) as Message);
        buffered = buffered.slice(end + 1);
      }
    });
    browser.on('exit', () => {
      for (const { reject } of this.waiting.values()) reject(new Error('chromium exited'));
      this.waiting.clear();
    });
  }

  /** Opens `file` (with `hash`) in a new headless browser and waits until it has loaded. */
  static async open(file: string, hash = ''): Promise<ChromiumPage> {
    const browser = spawn(
      'chromium',
      ['--headless', '--no-sandbox', '--disable-gpu', '--remote-debugging-pipe', 'about:blank'],
      { stdio: ['ignore', 'ignore', 'ignore', 'pipe', 'pipe'] },
    );
    const page = new ChromiumPage(browser);
    try {
      const { targetId } = (await page.send('Target.createTarget', { url: 'about:blank' })) as {
        targetId: string;
      };
      const attached = await page.send('Target.attachToTarget', { targetId, flatten: true });
      page.sessionId = attached.sessionId as string;
      await page.send('Runtime.enable');
      await page.send('Page.enable');
      await page.send('Page.navigate', { url: `${pathToFileURL(file).href}${hash}` });
      for (let tries = 0; (await page.evaluate('document.readyState')) !== 'complete'; tries++) {
        if (tries > 300) throw new Error(`${file} did not finish loading`);
        await new Promise((resolve) => setTimeout(resolve, 50));
      }
      return page;
    } catch (error) {
      page.close();
      throw error;
    }
  }

  /** The value of a JavaScript expression in the page (awaited when it is a promise). */
  async evaluate<T = unknown>(expression: string): Promise<T> {
    const reply = await this.send('Runtime.evaluate', {
      expression,
      returnByValue: true,
      awaitPromise: true,
    });
    const details = reply.exceptionDetails as
      { text: string; exception?: { description?: string } } | undefined;
    if (details) throw new Error(`in the page: ${details.exception?.description ?? details.text}`);
    return (reply.result as { value: T }).value;
  }

  close(): void {
    this.browser.kill();
  }

  private send(method: string, params: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    const message: Message = { id, method, params, ...(this.sessionId ? { sessionId: this.sessionId } : {}) };
    return new Promise((resolve, reject) => {
      this.waiting.set(id, {
        resolve: (reply) =>
          reply.error ? reject(new Error(`${method}: ${reply.error.message}`)) : resolve(reply.result ?? {}),
        reject,
      });
      (this.browser.stdio[3] as Writable).write(`${JSON.stringify(message)}\0`);
    });
  }

  private receive(message: Message): void {
    if (message.id !== undefined) {
      this.waiting.get(message.id)?.resolve(message);
      this.waiting.delete(message.id);
      return;
    }
    if (message.method === 'Runtime.consoleAPICalled') {
      const { type, args } = message.params as {
        type: string;
        args: { value?: unknown; description?: string }[];
      };
      this.console.push(
        `${type}: ${args.map((arg) => (typeof arg.value === 'string' ? arg.value : (arg.description ?? JSON.stringify(arg.value)))).join(' ')}`,
      );
    }
    if (message.method === 'Runtime.exceptionThrown') {
      const { exceptionDetails } = message.params as {
        exceptionDetails: { exception?: { description?: string }; text: string };
      };
      this.console.push(`exception: ${exceptionDetails.exception?.description ?? exceptionDetails.text}`);
    }
  }
}
