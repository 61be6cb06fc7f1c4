import { spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { rescore } from '../../src/pipeline/rescore';
import { writeRunReport } from '../../src/pipeline/run-report';
import { exportTinyModels } from '../embed/helpers';
import { ChromiumPage } from './chromium-page';

// report.html in a real browser (Debian's chromium, headless, driven over the DevTools protocol: its
// console, its DOM, clicks and typing) and the MultiQC custom content read by Debian's multiqc, each
// checked against prediction_summary.tsv and prediction_results.txt read here.

const root = path.resolve(__dirname, '..', '..');
const CLI = path.join(root, 'dist', 'src', 'cli', 'main.js');
// of the 26 records: the 20 virus calls and the 2 best others
const REPORT_ROWS = 22;

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

/** The table's rows as the browser shows them: id and score text, in order. */
const TABLE_ROWS = `[...document.querySelectorAll('#records tbody tr.row')].map((tr) => ({
  id: tr.querySelector('td.id').textContent,
  score: tr.querySelector('td.score').textContent,
}))`;

/** Types `value` into the control `id` as a user would (the control fires its input event). */
const typeInto = (id: string, value: string) =>
  `(() => { const c = document.getElementById(${JSON.stringify(id)}); c.value = ${JSON.stringify(value)};
  c.dispatchEvent(new Event('input', { bubbles: true })); })()`;

const textOf = (id: string) => `document.getElementById(${JSON.stringify(id)})?.textContent ?? null`;

async function withPage<T>(file: string, use: (page: ChromiumPage) => Promise<T>, hash = ''): Promise<T> {
  const page = await ChromiumPage.open(file, hash);
  try {
    return await use(page);
  } finally {
    page.close();
  }
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

  it('loads in Chromium without console messages; its counts and warnings equal the summary', async () => {
    const summary = readSummary(run);
    await withPage(path.join(run, 'report.html'), async (page) => {
      const count = (id: string) => page.evaluate<string | null>(textOf(`count-${id}`));
      expect(await count('records')).toBe(String(summary.length));
      expect(await count('chunks')).toBe(String(summary.reduce((sum, row) => sum + row.chunks, 0)));
      expect(await count('frames')).toBe(String(summary.reduce((sum, row) => sum + row.frames, 0)));
      for (const call of ['virus', 'others', 'no_frame', 'empty', 'not_scored']) {
        const expected = String(summary.filter((row) => row.call === call).length);
        expect([call, await count(call)]).toEqual([call, expected]);
      }
      expect(summary.filter((row) => row.call === 'no_frame' || row.call === 'empty').length).toBe(2);
      const nonAcgt = summary.filter((row) => row.nonAcgt > 0).length;
      expect(nonAcgt).toBeGreaterThan(0);
      expect(await page.evaluate(textOf('warning-non-acgt'))).toMatch(new RegExp(`^${nonAcgt} record`));
      // the second copy of each of the 12 demo records was renamed
      expect(await page.evaluate(textOf('warning-renamed'))).toMatch(/^12 duplicate id/);
      expect(await page.evaluate(textOf('status'))).toBe('complete (exit 0)');
      expect(await page.evaluate(textOf('rows-left'))).toContain(
        `the other ${summary.length - REPORT_ROWS} are in prediction_summary.tsv`,
      );
      expect(page.console).toEqual([]);
    });
  }, 60_000);

  it('holds the top --report-rows records, virus calls first by score; clicks sort, typing filters', async () => {
    const summary = readSummary(run);
    const ranked = summary
      .map((row, order) => ({ ...row, order }))
      .sort((a, b) => {
        const virus = Number(b.call === 'virus') - Number(a.call === 'virus');
        return virus || (b.score ?? -1) - (a.score ?? -1) || a.order - b.order;
      })
      .slice(0, REPORT_ROWS);
    const shownAs = (rows: typeof ranked) =>
      rows.map((row) => ({ id: row.id, score: (row.score as number).toFixed(4) }));
    const byScore = [...ranked].sort(
      (a, b) => (b.score as number) - (a.score as number) || a.order - b.order,
    );
    await withPage(path.join(run, 'report.html'), async (page) => {
      expect(await page.evaluate(TABLE_ROWS)).toEqual(shownAs(ranked));
      // the first click on a number column sorts it high to low, the second low to high
      await page.evaluate(`document.querySelector('th[data-key="score"]').click()`);
      expect(await page.evaluate(TABLE_ROWS)).toEqual(shownAs(byScore));
      await page.evaluate(`document.querySelector('th[data-key="score"]').click()`);
      const ascending = (await page.evaluate<{ score: string }[]>(TABLE_ROWS)).map((row) => row.score);
      expect(ascending).toEqual(
        shownAs(byScore)
          .map((row) => row.score)
          .reverse(),
      );
      expect(ascending).not.toEqual(shownAs(ranked).map((row) => row.score));

      await page.evaluate(typeInto('filter-id', '_contig_'));
      const contigs = (await page.evaluate<{ id: string }[]>(TABLE_ROWS)).map((row) => row.id);
      const expected = ranked.filter((row) => row.id.includes('_contig_'));
      expect(expected.length).toBeGreaterThan(0);
      expect(expected.length).toBeLessThan(ranked.length);
      expect([...contigs].sort()).toEqual(expected.map((row) => row.id).sort());
      expect(contigs).toEqual(
        [...contigs].sort((a, b) => {
          const score = (id: string) => ranked.find((row) => row.id === id)?.score as number;
          return score(a) - score(b);
        }),
      );
      // the view is in the URL: opened again, it shows the same rows
      const hash = await page.evaluate<string>('location.hash');
      expect(hash).toMatch(/id=_contig_/);
      expect(
        await withPage(path.join(run, 'report.html'), (again) => again.evaluate(TABLE_ROWS), hash),
      ).toEqual(await page.evaluate(TABLE_ROWS));

      await page.evaluate(typeInto('filter-id', ''));
      await page.evaluate(typeInto('filter-call', 'others'));
      const others = (await page.evaluate<{ id: string }[]>(TABLE_ROWS)).map((row) => row.id);
      expect(others.length).toBe(2);
      expect(others.sort()).toEqual(
        ranked
          .filter((row) => row.call === 'others')
          .map((row) => row.id)
          .sort(),
      );
      expect(page.console).toEqual([]);
    });
  }, 60_000);

  it("a click on a row opens its chunk track: one segment per scored frame, at its chunk's score", async () => {
    const summary = readSummary(run);
    const record = summary.filter((row) => row.frames > 1).sort((a, b) => (b.score ?? 0) - (a.score ?? 0))[0];
    // the frames of prediction_results.txt, read here
    const frames = readFileSync(path.join(run, 'prediction_results.txt'), 'utf8')
      .split('\n')
      .filter((line) => line.startsWith(`${record.id}_chunk_`))
      .map((line) => {
        const [id, , , virus] = line.split('\t');
        const [, chunk, frame] = /_chunk_(\d+)([FR][123])$/.exec(id) as RegExpExecArray;
        return `${chunk} ${frame} ${Number(virus).toFixed(3)}`;
      });
    await withPage(path.join(run, 'report.html'), async (page) => {
      await page.evaluate(
        `[...document.querySelectorAll('#records tr.row')].find((tr) => tr.querySelector('td.id').textContent === ${JSON.stringify(record.id)}).click()`,
      );
      const titles = await page.evaluate<string[]>(
        `[...document.querySelectorAll('#records tr.track line.frame title')].map((t) => t.textContent)`,
      );
      const segments = titles.map((title) => {
        const [, chunk, frame, score] = /^chunk (\d+) \(\d+-\d+\) ([FR][123]): ([\d.]+)$/.exec(
          title,
        ) as RegExpExecArray;
        return `${chunk} ${frame} ${score}`;
      });
      expect(segments.sort()).toEqual(frames.sort());
      expect(segments.length).toBe(record.frames);
      expect(page.console).toEqual([]);
    });
  }, 60_000);

  it('rescore rewrites it with the new calls', async () => {
    const copy = path.join(dir, 'rescored');
    cpSync(run, copy, { recursive: true });
    await rescore({ outDir: copy, minScore: 0.51 });
    const summary = readSummary(copy);
    const virus = await withPage(path.join(copy, 'report.html'), (page) =>
      page.evaluate(textOf('count-virus')),
    );
    expect(virus).toBe(String(summary.filter((row) => row.call === 'virus').length));
    expect(virus).not.toBe(String(readSummary(run).filter((row) => row.call === 'virus').length));
    expect(readFileSync(path.join(copy, 'report.html'), 'utf8')).toMatch(/--min-score 0\.51/);
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
