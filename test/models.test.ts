import { execFileSync, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { readManifest } from '../src/models/manifest';

// The model definitions and their export are Python (scripts/virnucpro_models); their unit tests
// live in test/python and run here so `npm test` covers them. The tiny set is also checked against
// the TypeScript manifest schema and its tokenizer.json against @huggingface/tokenizers.

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

test.each(pythonTestFiles)(
  'python unittest %s',
  (file) => {
    const result = spawnSync(python, ['-m', 'unittest', 'discover', '-s', pythonTests, '-p', file], {
      encoding: 'utf8',
    });
    if (result.status !== 0) throw new Error(`${file} failed:\n${result.stderr}`);
    expect(result.stderr).toMatch(/\nOK/);
  },
  600_000,
);

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
