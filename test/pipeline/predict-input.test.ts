import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportTinyModels } from '../embed/helpers';
import { PREDICTION_PLOT } from '../../src/pipeline/plot';
import { predict, type PredictEvent } from '../../src/pipeline/predict';
import { HIGHEST_SCORE, PREDICTION_RESULTS, PREDICTION_SUMMARY } from '../../src/pipeline/prediction-files';

// Input that is not what it seems, end to end on the tiny demo models: what predict refuses before
// creating anything (exit 2), and what it reads faithfully (RNA with --rna, a byte order mark, CR LF
// line ends, ids that are not UTF-8, N and IUPAC codes counted per record).

const root = path.resolve(__dirname, '..', '..');
const FINAL = [PREDICTION_RESULTS, HIGHEST_SCORE, PREDICTION_SUMMARY, PREDICTION_PLOT];

let dir: string;
let models: string;
let demo: { header: string; sequence: string }[];

beforeAll(() => {
  dir = mkdtempSync(path.join(os.tmpdir(), 'virnucpro-predict-input-'));
  models = exportTinyModels().dir;
  demo = readFileSync(path.join(root, 'examples', 'demo.fa'), 'utf8')
    .split('>')
    .slice(1)
    .map((entry) => {
      const [header, ...lines] = entry.split('\n');
      return { header, sequence: lines.join('') };
    });
});
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function write(name: string, content: string | Buffer): string {
  const file = path.join(dir, name);
  writeFileSync(file, content);
  return file;
}

function cli(args: string[]) {
  const main = path.join(root, 'dist', 'src', 'cli', 'main.js');
  const run = spawnSync(process.execPath, [main, 'predict', ...args, '--models', models, '--no-progress'], {
    encoding: 'utf8',
  });
  return { status: run.status, stderr: run.stderr };
}

const latin1 = (text: string) => Buffer.from(text, 'latin1');

describe('predict on odd input', () => {
  it.each([
    ['protein.fa', '>p1\nMKVLAAGIVGLLLSTQEEKRAW\n', /protein\.fa:1: "p1" looks like protein/],
    ['rna.fa', '>r1\nACGUACGUAGGCUAAUCG\n', /rna\.fa:1: "r1" has U: .*--rna/],
    ['digits.fa', '>g1\nACGTACGTAC\n11 ACGTACGT\n', /digits\.fa:3: invalid character '1' at column 1/],
  ])('refuses %s with exit code 2 before creating anything', (name, content, message) => {
    const out = path.join(dir, `refused-${name}`);
    const run = cli([write(name, content), '-o', out]);
    expect(run.status).toBe(2);
    expect(run.stderr).toMatch(message);
    expect(existsSync(out)).toBe(false);
  });

  it('reads RNA with --rna, a byte order mark and CR LF exactly as the DNA; keeps Latin-1 ids apart; counts non-ACGT bases', async () => {
    const [a, b, c] = demo;
    const withN = `${b.sequence.slice(0, 50)}NNRYN${b.sequence.slice(55)}`;
    const dnaText = [
      `>${a.header}\n${a.sequence}\n`,
      `>caf\u00e9 first\n${c.sequence}\n`,
      `>caf\u00e8 second\n${c.sequence}\n`,
      `>with_n\n${withN}\n`,
    ].join('');
    const dna = write('dna.fa', latin1(dnaText));
    const rnaText = dnaText
      .split('\n')
      .map((line) => (line.startsWith('>') ? line : line.replace(/T/g, 'U').replace(/t/g, 'u')))
      .join('\r\n');
    const rna = write('rna-bom.fa', Buffer.concat([Buffer.from([0xef, 0xbb, 0xbf]), latin1(rnaText)]));

    const warnings: string[] = [];
    const onEvent = (event: PredictEvent) => {
      if (event.type === 'warning') warnings.push(event.message);
    };
    await predict({ inputs: [dna], outDir: path.join(dir, 'dna'), models }, { onEvent });
    expect(warnings).toEqual([expect.stringMatching(/^1 record has bases other than A, C, G, T/)]);

    const run = cli([rna, '--rna', '-o', path.join(dir, 'rna')]);
    expect(run.status).toBe(0);
    expect(run.stderr.match(/warning: .*bases other than A, C, G, T/g)).toHaveLength(1);
    for (const name of FINAL) {
      expect(readFileSync(path.join(dir, 'rna', name))).toEqual(readFileSync(path.join(dir, 'dna', name)));
    }

    const bytesOf = (name: string) => readFileSync(path.join(dir, 'dna', name)).toString('latin1');
    const summary = bytesOf(PREDICTION_SUMMARY).trim().split('\n');
    expect(summary[0].split('\t').at(-1)).toBe('Non_ACGT');
    expect(
      summary.slice(1).map((row) => [row.split('\t')[0], row.split('\t')[1], row.split('\t').at(-1)]),
    ).toEqual([
      [a.header.split(' ')[0], String(a.sequence.length), '0'],
      ['caf\u00e9', String(c.sequence.length), '0'],
      ['caf\u00e8', String(c.sequence.length), '0'],
      ['with_n', String(withN.length), '5'],
    ]);
    // the same bytes, not U+FFFD and not re-encoded as UTF-8, in every file that names records
    for (const name of FINAL) {
      const text = bytesOf(name);
      expect(text).toContain('caf\u00e9');
      expect(text).toContain('caf\u00e8');
      expect(text).not.toContain('\u00c3');
    }
    const results = bytesOf(PREDICTION_RESULTS);
    expect(results.match(/^caf\u00e9_chunk_1/gm)?.length).toBe(results.match(/^caf\u00e8_chunk_1/gm)?.length);
  });
});
