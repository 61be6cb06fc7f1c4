import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readManifest } from '../src/models/manifest';

// The model definitions and their export are Python (scripts/virnucpro_models); their unit tests
// live in test/python and run here so `npm test` covers them, each Python skip shown as a jest skip.
// The tiny set is also checked against the TypeScript manifest schema and its tokenizer.json against
// @huggingface/tokenizers.

const root = path.resolve(__dirname, '..');
const pythonTests = path.join(root, 'test', 'python');

function pythonWithTorch(): string {
  const candidates = [process.env.VIRNUCPRO_PYTHON, '/usr/bin/python3', 'python3'].filter(
    (candidate): candidate is string => Boolean(candidate),
  );
  const found = candidates.find(
    (candidate) => spawnSync(candidate, ['-c', 'import torch'], { stdio: 'ignore' }).status === 0,
  );
  if (!found) throw new Error(`no Python with torch among ${candidates.join(', ')}; set VIRNUCPRO_PYTHON`);
  return found;
}

const python = pythonWithTorch();
const pythonTestFiles = readdirSync(pythonTests).filter((name) => /^test_.*\.py$/.test(name));

// unittest ends with a plain "OK" however many tests it skipped, so the skips are listed first
// (test/python/list_skips.py reads the skip decorators) and each one shows up as a jest skip, its
// reason in the title. A file that skips more than it declares (a skipTest() at run time) fails.
const declaredSkips = JSON.parse(
  execFileSync(python, [path.join(pythonTests, 'list_skips.py'), ...pythonTestFiles], { encoding: 'utf8' }),
) as Record<string, { id: string; skip: string | null }[]>;

describe.each(pythonTestFiles)('python unittest %s', (file) => {
  const skipped = declaredSkips[file].filter((test) => test.skip !== null);
  for (const { id, skip } of skipped) test.skip(`${id}: ${skip}`, () => {});

  test(`runs with ${skipped.length} skipped`, () => {
    const result = spawnSync(python, ['-m', 'unittest', 'discover', '-s', pythonTests, '-p', file], {
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`${file} failed:\n${result.stderr}`);
    const summary = /\nOK(?: \((.*)\))?\s*$/.exec(result.stderr);
    if (!summary) throw new Error(`${file}: no unittest summary in:\n${result.stderr}`);
    expect(Number(/skipped=(\d+)/.exec(summary[1] ?? '')?.[1] ?? 0)).toBe(skipped.length);
  }, 600_000);
});

describe('tiny model set', () => {
  let dir: string;
  beforeAll(() => {
    dir = mkdtempSync(path.join(os.tmpdir(), 'virnucpro-models-'));
    execFileSync(python, [path.join(root, 'scripts', 'export-models.py'), 'tiny', '--out', dir], {
      stdio: 'pipe',
    });
  }, 300_000);
  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  test('every manifest satisfies the schema and describes its classifier inputs', () => {
    const esm2 = readManifest(path.join(dir, 'esm2'));
    const dnabert = readManifest(path.join(dir, 'dnabert-s'));
    const classifier = readManifest(path.join(dir, 'classifier'));
    expect(esm2.kind).toBe('esm2');
    expect(dnabert.kind).toBe('dnabert-s');
    if (classifier.kind !== 'classifier' || esm2.kind === 'classifier' || dnabert.kind === 'classifier') {
      throw new Error('unexpected manifest kinds');
    }
    expect(classifier.features).toEqual([
      { model: 'dnabert-s', dim: dnabert.dim },
      { model: 'esm2', dim: esm2.dim },
    ]);
    expect(classifier.input_dim).toBe(dnabert.dim + esm2.dim);
    expect(dnabert.tokenizerPath).toBe(path.join(dir, 'dnabert-s', 'tokenizer.json'));
  });

  test('@huggingface/tokenizers reads the DNA tokenizer and wraps sequences in the manifest specials', () => {
    const dnabert = readManifest(path.join(dir, 'dnabert-s'));
    if (dnabert.kind !== 'dnabert-s' || dnabert.tokenizer.type !== 'hf')
      throw new Error('unexpected manifest');
    const sequences = ['ACGTTGCANNACGT', 'A', 'GATTACAGATTACA'];
    const output = execFileSync('node', [path.join(root, 'test', 'fixtures', 'hf-encode.mjs')], {
      input: JSON.stringify({ tokenizer: dnabert.tokenizerPath, sequences }),
      encoding: 'utf8',
    });
    const encoded = JSON.parse(output) as number[][];
    for (const ids of encoded) {
      expect(ids[0]).toBe(dnabert.tokenizer.cls_id);
      expect(ids[ids.length - 1]).toBe(dnabert.tokenizer.sep_id);
      expect(ids.slice(1, -1)).not.toContain(dnabert.tokenizer.unk_id);
      expect(Math.max(...ids)).toBeLessThan(dnabert.vocab_size);
    }
  });
});
