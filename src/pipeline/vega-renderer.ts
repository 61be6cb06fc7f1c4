import { spawn, type ChildProcess } from 'node:child_process';
import type { Socket } from 'node:net';
import path from 'node:path';
import { createInterface } from 'node:readline';
import { packageRoot } from '../native';

// Vega-Lite to SVG in a child process (scripts/render-vega.mjs: vega is ESM-only). Starting it and
// importing vega costs about a second, more than writing a small run's files, so whoever writes plots
// repeatedly holds one renderer open: a predict run from its start (the import overlaps the
// embedding), a predictor for its lifetime. A render with no holder starts a renderer for itself.

interface Waiting {
  resolve: (svg: string) => void;
  reject: (error: Error) => void;
}

class RendererProcess {
  private readonly child: ChildProcess;
  private readonly waiting: Waiting[] = [];
  private readonly stderr: Buffer[] = [];
  exited = false;

  constructor() {
    const script = path.join(packageRoot(), 'scripts', 'render-vega.mjs');
    this.child = spawn(process.execPath, [script], { stdio: ['pipe', 'pipe', 'pipe'] });
    this.child.stderr?.on('data', (bytes: Buffer) => this.stderr.push(bytes));
    createInterface({ input: this.child.stdout as NodeJS.ReadableStream }).on('line', (line) => {
      const reply = JSON.parse(line) as { svg?: string; error?: string };
      const waiting = this.waiting.shift();
      this.keepAlive();
      if (reply.svg !== undefined) waiting?.resolve(reply.svg);
      else waiting?.reject(new Error(`plot rendering failed: ${reply.error}`));
    });
    this.child.on('error', (error) => this.failAll(error));
    this.child.on('close', () => {
      this.exited = true;
      const why = Buffer.concat(this.stderr).toString('utf8').trim() || 'the renderer exited';
      this.failAll(new Error(`plot rendering failed: ${why}`));
    });
    this.keepAlive();
  }

  /** An idle renderer does not keep this process running. */
  private keepAlive(): void {
    const busy = this.waiting.length > 0;
    for (const handle of [this.child, this.child.stdin, this.child.stdout, this.child.stderr]) {
      const ref = handle as ChildProcess | Socket | null;
      if (busy) ref?.ref();
      else ref?.unref();
    }
  }

  private failAll(error: Error): void {
    for (const waiting of this.waiting.splice(0)) waiting.reject(error);
    this.keepAlive();
  }

  render(spec: Record<string, unknown>): Promise<string> {
    if (this.exited) return Promise.reject(new Error('plot rendering failed: the renderer exited'));
    return new Promise((resolve, reject) => {
      this.waiting.push({ resolve, reject });
      this.keepAlive();
      this.child.stdin?.write(`${JSON.stringify(spec)}\n`);
    });
  }

  end(): void {
    this.child.stdin?.end();
  }
}

let shared: RendererProcess | null = null;
let holders = 0;

/** Keeps one renderer open (started now) until the returned release is called. */
export function holdVegaRenderer(): () => void {
  holders++;
  if (!shared || shared.exited) shared = new RendererProcess();
  let released = false;
  return () => {
    if (released) return;
    released = true;
    if (--holders > 0) return;
    shared?.end();
    shared = null;
  };
}

/** Renders any Vega-Lite spec to SVG. */
export async function renderVegaLiteSvg(spec: Record<string, unknown>): Promise<string> {
  if (holders > 0) {
    if (!shared || shared.exited) shared = new RendererProcess();
    return shared.render(spec);
  }
  const own = new RendererProcess();
  try {
    return await own.render(spec);
  } finally {
    own.end();
  }
}
