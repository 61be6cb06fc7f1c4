import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { rescore } from '../../src/pipeline/rescore';
import { writeRunReport } from '../../src/pipeline/run-report';
import { exportTinyModels } from '../embed/helpers';

// report.html loaded by a real browser (Debian's chromium, headless: the DOM after its scripts ran,
// and its console on stderr) and the MultiQC custom content read by Debian's multiqc, each checked
// against prediction_summary.tsv read here.

const root = path.resolve(__dirname, '..', '..');
const CLI = path.join(root, 'dist', 'src', 'cli', 'main.js');
const REPORT_ROWS = 10;

interface SummaryRow {
  id: string;
  chunks: number;
  frames: number;
  score: number | null;
  call: string;
  nonAcgt: number;
}

function readSummary(outDir: string): SummaryRow[] {
  const [, ...lines] = readFileSync(path.join(outDir, 'prediction_summary.tsv'), 'utf8').trim().split('\n');
  return lines.map((line) => {
    const [id, , chunks, frames, score, call, nonAcgt] = line.split('\t');
    return {
      id,
      chunks: Number(chunks),
      frames: Number(frames),
      score: score === 'NA' ? null : Number(score),
      call,
      nonAcgt: Number(nonAcgt),
    };
  });
}

/** The DOM after the page's scripts ran, and what its console printed. */
function loadPage(file: string, hash = ''): { dom: string; console: string[] } {
  const url = `${pathToFileURL(file).href}${hash}`;
  const run = spawnSync(
    'chromium',
    ['--headless', '--no-sandbox', '--disable-gpu', '--enable-logging=stderr', '--v=0', '--dump-dom', url],
    { encoding: 'utf8', timeout: 60_000, maxBuffer: 1 << 26 },
  );
  if (run.status !== 0) throw new Error(`chromium failed: ${run.stderr}`);
  return { dom: run.stdout, console: run.stderr.split('\n').filter((line) => line.includes(':CONSOLE')) };
}

const count = (id: string, dom: string) => new RegExp(`id="count-${id}">([^<]*)<`).exec(dom)?.[1];

/** The table's rows as the browser left them: id and score text, in order. */
function tableRows(dom: string): { id: string; score: string }[] {
  const body = /<table id="records">.*?<tbody>(.*?)<\/tbody>/s.exec(dom)?.[1] ?? '';
  return [
    ...body.matchAll(
      /<tr class="row"[^>]*><td class="mono id">([^<]*)<\/td>.*?<td class="num score">([^<]*)</g,
    ),
  ].map((m) => ({ id: m[1], score: m[2] }));
}

let dir: string;
let run: string;

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'virnucpro-report-'));
  const demo = readFileSync(path.join(root, 'examples', 'demo.fa'), 'utf8');
  const input = path.join(dir, 'reads.fa');
  // every demo record twice (renamed), an empty record and one of unknown bases only (no frame)
  writeFileSync(input, `${demo}${demo}>empty_one\n>unknown\n${'N'.repeat(360)}\n`);
  run = path.join(dir, 'run');
  const predict = spawnSync(
    process.execPath,
    [
      CLI,
      'predict',
      input,
      '-o',
      run,
      '--models',
      exportTinyModels().dir,
      '--rename-duplicates',
      '--report-rows',
      String(REPORT_ROWS),
      '--no-progress',
      '--threads',
      '1',
    ],
    { encoding: 'utf8' },
  );
  if (predict.status !== 0) throw new Error(predict.stderr);
}, 120_000);

describe('report.html', () => {
  it('is one self-contained file, listed in run.json for --force', () => {
    const html = readFileSync(path.join(run, 'report.html'), 'utf8');
    expect(html).not.toMatch(/<script[^>]*\ssrc=|<link[\s>]|@import|url\(|<img|<iframe/i);
    const record = JSON.parse(readFileSync(path.join(run, 'run.json'), 'utf8')) as { files: string[] };
    expect(record.files).toEqual(
      expect.arrayContaining(['report.html', 'virnucpro_mqc.tsv', 'virnucpro_calls_mqc.tsv']),
    );
  });

  it('loads in Chromium without console messages; its counts and warnings equal the summary', () => {
    const { dom, console } = loadPage(path.join(run, 'report.html'));
    expect(console).toEqual([]);
    const summary = readSummary(run);
    expect(count('records', dom)).toBe(String(summary.length));
    expect(count('chunks', dom)).toBe(String(summary.reduce((sum, row) => sum + row.chunks, 0)));
    expect(count('frames', dom)).toBe(String(summary.reduce((sum, row) => sum + row.frames, 0)));
    for (const call of ['virus', 'others', 'no_frame', 'empty', 'not_scored']) {
      expect([call, count(call, dom)]).toEqual([
        call,
        String(summary.filter((row) => row.call === call).length),
      ]);
    }
    expect(summary.filter((row) => row.call === 'no_frame' || row.call === 'empty').length).toBe(2);
    const nonAcgt = summary.filter((row) => row.nonAcgt > 0).length;
    expect(nonAcgt).toBeGreaterThan(0);
    expect(dom).toMatch(new RegExp(`id="warning-non-acgt">${nonAcgt} record`));
    // the second copy of each of the 12 demo records was renamed
    expect(dom).toMatch(/id="warning-renamed">12 duplicate id/);
    expect(dom).toMatch(/id="status">complete \(exit 0\)/);
    expect(/id="rows-left">([^<]*)</.exec(dom)?.[1]).toMatch(
      new RegExp(`the other ${summary.length - REPORT_ROWS} are in prediction_summary.tsv`),
    );
  }, 60_000);

  it('holds the top --report-rows records, virus calls first by score; sorting and filtering change the rows', () => {
    const file = path.join(run, 'report.html');
    const summary = readSummary(run);
    const ranked = summary
      .map((row, order) => ({ ...row, order }))
      .sort((a, b) => {
        const virus = Number(b.call === 'virus') - Number(a.call === 'virus');
        return virus || (b.score ?? -1) - (a.score ?? -1) || a.order - b.order;
      })
      .slice(0, REPORT_ROWS);
    const shown = tableRows(loadPage(file).dom);
    expect(shown.map((row) => row.id)).toEqual(ranked.map((row) => row.id));
    expect(shown.map((row) => row.score)).toEqual(ranked.map((row) => (row.score as number).toFixed(4)));

    const ascending = tableRows(loadPage(file, '#sort=score&dir=asc').dom);
    const expectedAscending = [...ranked].sort((a, b) => (a.score as number) - (b.score as number));
    expect(ascending.map((row) => row.score)).toEqual(
      expectedAscending.map((row) => (row.score as number).toFixed(4)),
    );
    expect(ascending.map((row) => row.score)).not.toEqual(shown.map((row) => row.score));

    const filtered = tableRows(loadPage(file, '#id=_contig_').dom);
    const expectedFiltered = ranked.filter((row) => row.id.includes('_contig_'));
    expect(expectedFiltered.length).toBeGreaterThan(0);
    expect(expectedFiltered.length).toBeLessThan(ranked.length);
    expect(filtered.map((row) => row.id)).toEqual(expectedFiltered.map((row) => row.id));

    const others = tableRows(loadPage(file, '#call=others').dom);
    expect(others.map((row) => row.id)).toEqual(
      ranked.filter((row) => row.call === 'others').map((row) => row.id),
    );
  }, 120_000);

  it("opens a record's chunk track: one segment per scored frame, at its chunk", () => {
    const summary = readSummary(run);
    const record = summary.filter((row) => row.frames > 1).sort((a, b) => (b.score ?? 0) - (a.score ?? 0))[0];
    const { dom, console } = loadPage(path.join(run, 'report.html'), `#open=${record.id}`);
    expect(console).toEqual([]);
    const segments = [...dom.matchAll(/<title>chunk (\d+) \((\d+)-(\d+)\) ([FR][123]): ([\d.]+)<\/title>/g)];
    expect(segments.length).toBe(record.frames);
    // the frames of prediction_results.txt, read here
    const frames = readFileSync(path.join(run, 'prediction_results.txt'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith(`${record.id}_chunk_`))
      .map((line) => {
        const [id, , , virus] = line.split('\t');
        const [, chunk, frame] = /_chunk_(\d+)([FR][123])$/.exec(id) as RegExpExecArray;
        return `${chunk} ${frame} ${Number(virus).toFixed(3)}`;
      });
    expect(segments.map((m) => `${m[1]} ${m[4]} ${m[5]}`).sort()).toEqual(frames.sort());
  }, 60_000);

  it('rescore rewrites it with the new calls', async () => {
    const copy = path.join(dir, 'rescored');
    cpSync(run, copy, { recursive: true });
    await rescore({ outDir: copy, minScore: 0.51 });
    const { dom } = loadPage(path.join(copy, 'report.html'));
    const summary = readSummary(copy);
    expect(count('virus', dom)).toBe(String(summary.filter((row) => row.call === 'virus').length));
    expect(count('virus', dom)).not.toBe(count('virus', loadPage(path.join(run, 'report.html')).dom));
    expect(dom).toMatch(/--min-score 0\.51/);
  }, 60_000);
});

describe('MultiQC custom content', () => {
  it("multiqc over two runs: a virnucpro section with each run's numbers, equal to its summary", async () => {
    const runs = path.join(dir, 'runs');
    mkdirSync(runs);
    const samples = { alpha: 0, beta: 0.51 };
    for (const [name, minScore] of Object.entries(samples)) {
      cpSync(run, path.join(runs, name), { recursive: true });
      // rescore rewrites the custom content, under the folder's new name
      await rescore({ outDir: path.join(runs, name), minScore });
    }
    const out = path.join(dir, 'multiqc');
    const multiqc = spawnSync('multiqc', ['--quiet', '--outdir', out, runs], { encoding: 'utf8' });
    expect(multiqc.status).toBe(0);
    const table = (file: string) => {
      const [header, ...lines] = readFileSync(path.join(out, 'multiqc_data', file), 'utf8')
        .trim()
        .split('\n');
      const columns = header.split('\t');
      return Object.fromEntries(
        lines.map((line) => {
          const cells = line.split('\t');
          return [cells[0], Object.fromEntries(columns.map((column, k) => [column, cells[k]]))];
        }),
      );
    };
    const general = table('multiqc_general_stats.txt');
    const calls = table('multiqc_virnucpro_calls_plot.txt');
    expect(Object.keys(general).sort()).toEqual(['alpha', 'beta']);
    for (const name of Object.keys(samples)) {
      const summary = readSummary(path.join(runs, name));
      const virus = summary.filter((row) => row.call === 'virus').length;
      const scores = summary.flatMap((row) => (row.score === null ? [] : [row.score])).sort((a, b) => a - b);
      const middle = scores.length >> 1;
      const median = scores.length % 2 ? scores[middle] : (scores[middle - 1] + scores[middle]) / 2;
      const column = (key: string) => Number(general[name][`virnucpro_mqc-generalstats-virnucpro-${key}`]);
      expect(column('records')).toBe(summary.length);
      expect(column('virus_calls')).toBe(virus);
      expect(column('percent_virus')).toBeCloseTo((100 * virus) / summary.length, 3);
      expect(column('median_virus_score')).toBeCloseTo(median, 5);
      for (const call of ['virus', 'others', 'no_frame', 'empty', 'not_scored']) {
        expect([call, Number(calls[name][call])]).toEqual([
          call,
          summary.filter((row) => row.call === call).length,
        ]);
      }
    }
    expect(Number(general.alpha['virnucpro_mqc-generalstats-virnucpro-virus_calls'])).not.toBe(
      Number(general.beta['virnucpro_mqc-generalstats-virnucpro-virus_calls']),
    );
  }, 120_000);

  it("is not written for a run whose options turn it off (the workflow's shards)", async () => {
    const shard = path.join(dir, 'shard');
    cpSync(run, shard, { recursive: true });
    for (const name of ['report.html', 'virnucpro_mqc.tsv', 'virnucpro_calls_mqc.tsv'])
      rmSync(path.join(shard, name));
    const record = JSON.parse(readFileSync(path.join(shard, 'run.json'), 'utf8'));
    record.options.multiqc = false;
    writeFileSync(path.join(shard, 'run.json'), JSON.stringify(record));
    await writeRunReport(shard);
    expect(existsSync(path.join(shard, 'report.html'))).toBe(true);
    expect(existsSync(path.join(shard, 'virnucpro_mqc.tsv'))).toBe(false);
    expect(existsSync(path.join(shard, 'virnucpro_calls_mqc.tsv'))).toBe(false);
  });
});
