import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';

export const PYTHON = process.env.VIRNUCPRO_PYTHON ?? '/usr/bin/python3';

/** What test/fixtures/native_modules.py computed with python3-torch on its fixed inputs. */
export interface Reference {
  tokens: number[];
  mask: number[];
  shape: number[];
  hiddenDim: number;
  vocabSize: number;
  hidden: number[];
  hiddenBf16: number[];
  esmMean: number[];
  maskedMean: number[];
  features: number[];
  featuresShape: number[];
  probabilities: number[];
}

export interface NativeFixtures {
  dir: string;
  tinyEmbedding: string;
  slowEmbedding: string;
  classifier: string;
  notTorchScript: string;
  reference: Reference;
  remove(): void;
}

/** Writes the TorchScript fixtures and their python3-torch reference outputs into a fresh folder. */
export function makeNativeFixtures(): NativeFixtures {
  const dir = mkdtempSync(path.join(tmpdir(), 'virnucpro-native-'));
  execFileSync(PYTHON, [path.join(__dirname, '..', 'fixtures', 'native_modules.py'), dir], { stdio: 'pipe' });
  return {
    dir,
    tinyEmbedding: path.join(dir, 'tiny_embedding.pt'),
    slowEmbedding: path.join(dir, 'slow_embedding.pt'),
    classifier: path.join(dir, 'classifier.pt'),
    notTorchScript: path.join(dir, 'not_torchscript.pt'),
    reference: JSON.parse(readFileSync(path.join(dir, 'reference.json'), 'utf8')) as Reference,
    remove: () => rmSync(dir, { recursive: true, force: true }),
  };
}

export function maxAbsDiff(actual: Float32Array, expected: number[]): number {
  expect(actual.length).toBe(expected.length);
  return actual.reduce((worst, value, i) => Math.max(worst, Math.abs(value - expected[i])), 0);
}
