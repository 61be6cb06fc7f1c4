import { spawnSync } from 'node:child_process';
import { createWriteStream } from 'node:fs';
import { mkdir, rm, stat, writeFile } from 'node:fs/promises';
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { once } from 'node:events';
import { pathToFileURL } from 'node:url';
import { writeRunReport } from '../../src/pipeline/run-report';
import type { BenchContext } from '../context';
import type { RunReportCase } from '../measurements';
import { spread } from '../repeats';
import { seededRandom } from '../synthetic';

// report.html of a million-record run: how long writing it takes, its size, and how long Chromium takes
// to load it. The run folder is synthesised (the summary, every frame's scores and run.json, with
// seeded scores): the report reads only those files, so no embedding is needed. The load time is what
// a page holding the report in a frame measures, in headless Chromium, over several repeats.

export const REPORT_RECORDS = 1_000_000;
const READ_LENGTH = 150;
const FRAMES = ['F1', 'F2', 'R1'];

/** Text written to a file in pieces of about a megabyte, waiting when the stream asks to. */
class Sink {
  private text = '';
  private readonly stream;

  constructor(file: string) {
    this.stream = createWriteStream(file);
  }

  async add(line: string): Promise<void> {
    this.text += line;
    if (this.text.length < 1 << 20) return;
    const full = !this.stream.write(this.text);
    this.text = '';
    if (full) await once(this.stream, 'drain');
  }

  async close(): Promise<void> {
    this.stream.end(this.text);
    await once(this.stream, 'finish');
  }
}

/** A finished run folder of `records` reads, three scored frames each. */
async function synthesiseRun(dir: string, seed: number, records: number): Promise<void> {
  await mkdir(dir, { recursive: true });
  const random = seededRandom(seed);
  const frames = new Sink(path.join(dir, 'prediction_results.txt'));
  const summary = new Sink(path.join(dir, 'prediction_summary.tsv'));
  await frames.add('Sequence_ID\tPrediction\tscore1\tscore2\n');
  await summary.add('Sequence_ID\tLength\tChunks\tFrames_Scored\tMax_Virus_Score\tCall\tNon_ACGT\n');
  for (let k = 1; k <= records; k++) {
    const id = `read_${k}`;
    // mostly low scores with a viral tail, as a metagenome gives
    const scores = FRAMES.map(() => Number((random() ** 4).toPrecision(7)));
    const best = Math.max(...scores);
    for (const [f, virus] of scores.entries()) {
      const others = Number((1 - virus).toPrecision(7));
      await frames.add(
        `${id}_chunk_1${FRAMES[f]}\t${virus > others ? 'virus' : 'others'}\t${others}\t${virus}\n`,
      );
    }
    const call = best >= 1 - best ? 'virus' : 'others';
    await summary.add(`${id}\t${READ_LENGTH}\t1\t${FRAMES.length}\t${best}\t${call}\t0\n`);
  }
  await frames.close();
  await summary.close();
  const run = {
    format: 'virnucpro-run/1',
    fingerprint: {},
    files: [],
    complete: true,
    version: 'bench',
    command: null,
    options: { inputs: ['reads.fa'], chunkSize: 300, minScore: 0 },
    inputs: [],
    models: {},
    started: new Date().toISOString(),
    ended: new Date().toISOString(),
  };
  await writeFile(path.join(dir, 'run.json'), JSON.stringify(run));
}

/**
 * Headless Chromium loading `file` in a frame of a page that times it: from setting the frame's source
 * to the frame's load event (parse, styles, and the report's script building its table). The frame's
 * DOM stays out of reach (file:// frames are cross-origin), so the report's own checks load it alone.
 */
function chromiumLoadSeconds(dir: string, file: string): number {
  const timer = path.join(dir, 'timer.html');
  writeFileSync(
    timer,
    '<!DOCTYPE html><html><body><iframe id="f" width="1200" height="900"></iframe><script>' +
      'const frame = document.getElementById("f"); const started = performance.now();' +
      'frame.onload = () => { document.body.dataset.loadMs = String(performance.now() - started); };' +
      `frame.src = ${JSON.stringify(pathToFileURL(file).href)};</script></body></html>\n`,
  );
  const { dom } = chromium(timer);
  const ms = /data-load-ms="([\d.]+)"/.exec(dom)?.[1];
  if (ms === undefined) throw new Error(`the timing page did not record a load of ${file}`);
  return Number(ms) / 1000;
}

/** Headless Chromium's DOM of `file` after its scripts ran, and its console lines. */
function chromium(file: string): { dom: string; console: string[] } {
  const run = spawnSync(
    'chromium',
    [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--enable-logging=stderr',
      '--v=0',
      '--dump-dom',
      pathToFileURL(file).href,
    ],
    { encoding: 'utf8', maxBuffer: 1 << 28 },
  );
  if (run.status !== 0) throw new Error(`chromium failed on ${file}: ${run.stderr}`);
  return { dom: run.stdout, console: run.stderr.split('\n').filter((line) => line.includes(':CONSOLE')) };
}

export async function measureRunReport(context: BenchContext, repeats: number): Promise<RunReportCase> {
  const dir = path.join(context.workDir, 'run-report');
  context.log(`run report: synthesising a run folder of ${REPORT_RECORDS.toLocaleString('en')} records`);
  await synthesiseRun(path.join(dir, 'run'), context.seed, REPORT_RECORDS);
  const started = performance.now();
  await writeRunReport(path.join(dir, 'run'));
  const writeSeconds = (performance.now() - started) / 1000;
  const report = path.join(dir, 'run', 'report.html');
  const htmlBytes = (await stat(report)).size;
  const alone = chromium(report);
  if (alone.console.length > 0) throw new Error(`report.html logged: ${alone.console.join('; ')}`);
  if (!/500 shown of 10000 matching rows/.test(alone.dom))
    throw new Error('report.html did not build its table');
  const seconds: number[] = [];
  for (let repeat = 0; repeat < repeats; repeat++) seconds.push(chromiumLoadSeconds(dir, report));
  const result: RunReportCase = {
    records: REPORT_RECORDS,
    writeSeconds,
    htmlBytes,
    loadSeconds: spread(seconds).median,
    spread: spread(seconds),
  };
  context.log(
    `  report.html ${(htmlBytes / 2 ** 20).toFixed(2)} MiB written in ${writeSeconds.toFixed(1)} s; ` +
      `Chromium load ${result.spread.min.toFixed(2)} / ${result.spread.median.toFixed(2)} s (min / median)`,
  );
  await rm(dir, { recursive: true, force: true });
  return result;
}
