import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { ChromiumPage } from '../pipeline/chromium-page';
import { readFinalFiles } from '../pipeline/final-files';
import { exportTinyModels, temporaryDir } from '../embed/helpers';

// predict --samples: the sheet is checked whole before anything is created; each sample's folder holds
// exactly what a predict run of its inputs alone writes; a sample failing while running fails alone;
// OUTDIR/report.html shows samples.tsv in a browser.

const root = path.resolve(__dirname, '..', '..');
const CLI = path.join(root, 'dist', 'src', 'cli', 'main.js');
let dir: string;
let models: string;

function cli(...args: string[]) {
  return spawnSync(
    process.execPath,
    [CLI, 'predict', ...args, '--models', models, '--threads', '1', '--no-progress'],
    {
      encoding: 'utf8',
    },
  );
}

function sheet(name: string, rows: string[][]): string {
  const file = path.join(dir, name);
  writeFileSync(file, ['sample\tinput', ...rows.map((row) => row.join('\t'))].join('\n') + '\n');
  return file;
}

beforeAll(() => {
  dir = temporaryDir('samples');
  models = exportTinyModels().dir;
  const demo = readFileSync(path.join(root, 'examples', 'demo.fa'), 'utf8');
  const records = demo.split('>').slice(1);
  writeFileSync(path.join(dir, 'a.fa'), `>${records.slice(0, 4).join('>')}`);
  writeFileSync(path.join(dir, 'b.fa'), `>${records.slice(4, 8).join('>')}`);
  writeFileSync(path.join(dir, 'c.fa'), `>${records.slice(8).join('>')}`);
  writeFileSync(path.join(dir, 'protein.fa'), '>p1\nMKTAYIAKQRQISFVKSHFSRQLEERLGLIEVQ\n');
});

describe('predict --samples', () => {
  it.each([
    [
      'a missing input',
      [
        ['s1', 'a.fa'],
        ['s2', 'missing.fa'],
      ],
      'missing.fa: no such file',
    ],
    [
      'an input predict refuses',
      [
        ['s1', 'a.fa'],
        ['s2', 'protein.fa'],
      ],
      'looks like protein',
    ],
    ['an unsafe sample name', [['../x', 'a.fa']], 'not a safe folder name'],
    [
      'a repeated sample and input',
      [
        ['s1', 'a.fa'],
        ['s1', 'a.fa'],
      ],
      'lists a.fa again (first at line 2)',
    ],
  ])('refuses a sheet with %s: exit 2, nothing created', (_, rows, message) => {
    const out = path.join(dir, `refused-${rows.length}-${rows[1]?.[1] ?? 'x'}`);
    const run = cli('--samples', sheet('bad.tsv', rows), '-o', out);
    expect(run.status).toBe(2);
    expect(run.stderr).toContain(message);
    expect(existsSync(out)).toBe(false);
  });

  it('gives each sample the folder predict writes for its inputs; a failing sample fails alone', async () => {
    const rows = [
      ['s1', 'a.fa'],
      ['s1', 'b.fa'],
      ['s2', 'c.fa'],
      ['s3', 'a.fa'],
    ];
    const out = path.join(dir, 'sheet-out');
    // s2's folder holds a file of the user's and no run: --resume refuses that folder alone
    mkdirSync(path.join(out, 's2'), { recursive: true });
    writeFileSync(path.join(out, 's2', 'notes.txt'), 'mine\n');
    const first = cli('--samples', sheet('good.tsv', rows), '-o', out, '--resume', '--deterministic');
    expect(first.status).toBe(2);
    expect(first.stderr).toContain('sample s2: failed (E_FOLDER)');
    const alone = path.join(dir, 's1-alone');
    const reference = cli(path.join(dir, 'a.fa'), path.join(dir, 'b.fa'), '-o', alone, '--deterministic');
    expect(reference.status).toBe(0);
    expect(readFinalFiles(path.join(out, 's1'))).toEqual(readFinalFiles(alone));
    expect(readFinalFiles(path.join(out, 's3'))).not.toEqual(readFinalFiles(alone));
    const listed = readFileSync(path.join(out, 'samples.tsv'), 'utf8').trim().split('\n');
    expect(listed[0]).toBe('sample\tstatus\trecords\tvirus\tfolder\terror');
    const summary = readFileSync(path.join(alone, 'prediction_summary.tsv'), 'utf8');
    const virus = summary.split('\n').filter((line) => line.split('\t')[5] === 'virus').length;
    expect(listed[1]).toBe(`s1\tdone\t8\t${virus}\t${path.join(out, 's1')}\t`);
    expect(listed[2]).toBe(`s2\tfailed\tNA\tNA\t${path.join(out, 's2')}\tE_FOLDER`);
    expect(listed[3].split('\t').slice(0, 3)).toEqual(['s3', 'done', '4']);
    expect(readFileSync(path.join(out, 's2', 'notes.txt'), 'utf8')).toBe('mine\n');
    // OUTDIR/report.html, as a browser shows it: the rows of samples.tsv, each done sample linked to its report
    const page = await ChromiumPage.open(path.join(out, 'report.html'));
    try {
      const shown = await page.evaluate<{ cells: string[]; link: string | null }[]>(
        `[...document.querySelectorAll('#sample-table tbody tr')].map((tr) => ({
          cells: [...tr.cells].map((td) => td.textContent),
          link: tr.querySelector('a') && tr.querySelector('a').href,
        }))`,
      );
      expect(shown.map(({ cells }) => [cells[0], cells[1], cells[2], cells[3]])).toEqual(
        listed.slice(1).map((line) => line.split('\t').slice(0, 4)),
      );
      expect(shown[1]).toMatchObject({ link: null, cells: expect.arrayContaining(['E_FOLDER']) });
      for (const { link } of [shown[0], shown[2]])
        expect(existsSync(fileURLToPath(link as string))).toBe(true);
      expect(page.console).toEqual([]);
    } finally {
      page.close();
    }

    // the user moves the file away; --resume finishes s2 and finds the others complete
    writeFileSync(path.join(dir, 'notes.txt'), readFileSync(path.join(out, 's2', 'notes.txt')));
    spawnSync('rm', [path.join(out, 's2', 'notes.txt')]);
    const again = cli('--samples', path.join(dir, 'good.tsv'), '-o', out, '--resume', '--deterministic');
    expect(again.status).toBe(0);
    expect(readFileSync(path.join(out, 'samples.tsv'), 'utf8').split('\n')[2]).toMatch(/^s2\tdone\t4\t/);
    // a folder holding the sheet's output needs --resume or --force
    const plain = cli('--samples', path.join(dir, 'good.tsv'), '-o', out);
    expect(plain.status).toBe(2);
    expect(plain.stderr).toContain('--resume');
  }, 240_000);
});
