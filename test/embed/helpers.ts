import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { seededRandom } from '../../bench/synthetic';
import { decodeSafetensors, toFloat32Array } from '../../src/io/safetensors';

export { seededRandom };

// Shared by the embedding tests: tiny exported models, seeded random inputs, the CLI from dist/, and
// the independent references (python3-torch for the module, @huggingface/tokenizers for BPE ids).

const root = path.resolve(__dirname, '..', '..');
const systemPython = '/usr/bin/python3';

export interface TinyModels {
  /** the folder holding esm2/, dnabert-s/ and classifier/ (predict's --models) */
  dir: string;
  esm2: string;
  dnabert: string;
}

/** Writes the tiny exports (ESM-2, DNABERT-S and the classifier; weights from `seed`) into a fresh temporary folder. */
export function exportTinyModels(seed = 0): TinyModels {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'virnucpro-tiny-'));
  const script = path.join(root, 'scripts', 'export-models.py');
  execFileSync(systemPython, [script, 'tiny', '--out', dir, '--seed', String(seed)], { stdio: 'pipe' });
  return { dir, esm2: path.join(dir, 'esm2'), dnabert: path.join(dir, 'dnabert-s') };
}

export function temporaryDir(prefix: string): string {
  return mkdtempSync(path.join(os.tmpdir(), `virnucpro-${prefix}-`));
}

export function randomSequence(random: () => number, alphabet: string, min: number, max: number): string {
  const length = min + Math.floor(random() * (max - min + 1));
  return Array.from({ length }, () => alphabet[Math.floor(random() * alphabet.length)]).join('');
}

export const proteinAlphabet = 'ACDEFGHIKLMNPQRSTVWYACDEFGHIKLMNPQRSTVWYX';
export const dnaAlphabet = 'ACGTACGTACGTACGTN';

export interface Record {
  id: string;
  sequence: string;
}

export function writeFasta(file: string, records: Record[]): string {
  writeFileSync(file, records.map((r) => `>${r.id} some description\n${r.sequence}\n`).join(''));
  return file;
}

export function readEmbeddings(file: string): {
  ids: string[];
  dim: number;
  rows: Float32Array[];
  metadata: { [key: string]: string };
} {
  const { tensors, metadata } = decodeSafetensors(readFileSync(file));
  const [count, dim] = tensors.embeddings.shape;
  const data = toFloat32Array(tensors.embeddings);
  const rows = Array.from({ length: count }, (_, i) => data.subarray(i * dim, (i + 1) * dim));
  // ids: the input's bytes, id i between little-endian int64 offsets i and i + 1
  const offsets = Buffer.from(tensors.id_offsets.data);
  const bytes = Buffer.from(tensors.id_bytes.data);
  const ids = Array.from({ length: count }, (_, i) =>
    bytes.toString(
      'latin1',
      Number(offsets.readBigInt64LE(8 * i)),
      Number(offsets.readBigInt64LE(8 * i + 8)),
    ),
  );
  return { ids, dim, rows, metadata };
}

/** Token ids from @huggingface/tokenizers (ESM-only, so in a child node process). */
export function huggingFaceIds(tokenizerJson: string, sequences: string[]): number[][] {
  const script = path.join(root, 'test', 'fixtures', 'hf-encode.mjs');
  const input = JSON.stringify({ tokenizer: tokenizerJson, sequences });
  return JSON.parse(execFileSync(process.execPath, [script], { input, maxBuffer: 1 << 28 }).toString());
}

/** Pooled embeddings from python3-torch, one sequence at a time, pooled as docs/behaviour.md says. */
export function referenceEmbeddings(modelDir: string, sequences: string[]): number[][] {
  const manifest = JSON.parse(readFileSync(path.join(modelDir, 'manifest.json'), 'utf8'));
  const request: { [key: string]: unknown } = {
    module: path.join(modelDir, manifest.module),
    pooling: manifest.pooling,
  };
  if (manifest.tokenizer.type === 'hf') {
    request.tokens = huggingFaceIds(path.join(modelDir, manifest.tokenizer.file), sequences);
  } else {
    request.sequences = sequences;
  }
  const script = path.join(root, 'test', 'fixtures', 'reference_embed.py');
  const output = execFileSync(systemPython, [script], { input: JSON.stringify(request), maxBuffer: 1 << 28 });
  return JSON.parse(output.toString());
}

export function maxAbsDiff(rows: ArrayLike<number>[], reference: number[][]): number {
  expect(rows.length).toBe(reference.length);
  let max = 0;
  rows.forEach((row, i) => {
    expect(row.length).toBe(reference[i].length);
    for (let j = 0; j < row.length; j++) max = Math.max(max, Math.abs(row[j] - reference[i][j]));
  });
  return max;
}

export interface CliResult {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI (dist/), as a user would. */
export function runCli(
  args: string[],
  options: {
    env?: NodeJS.ProcessEnv;
    cwd?: string;
    onStart?: (pid: number) => void;
    onStderr?: (text: string) => void;
  } = {},
): Promise<CliResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [path.join(root, 'dist', 'src', 'cli', 'main.js'), ...args], {
      env: { ...process.env, ...options.env },
      cwd: options.cwd,
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (data) => (stdout += data));
    child.stderr.on('data', (data) => {
      stderr += data;
      options.onStderr?.(String(data));
    });
    child.on('error', reject);
    child.on('spawn', () => options.onStart?.(child.pid as number));
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** Runs the built CLI, killed with SIGKILL if it has not exited by itself within `seconds`. */
export async function runCliWithin(args: string[], seconds: number): Promise<CliResult> {
  let pid = 0;
  const watchdog = setTimeout(() => process.kill(pid, 'SIGKILL'), seconds * 1000);
  try {
    return await runCli(args, { onStart: (started) => (pid = started) });
  } finally {
    clearTimeout(watchdog);
  }
}

export function readReport(file: string): {
  outputs: string[];
  skipped: string[];
  failed: { file: string; error: string }[];
  stats: {
    modelLoads: number;
    cacheClears: number | null;
    oomSplits: number;
    files: number;
    workers: {
      modelLoads: number;
      cacheClears: number | null;
      files: number;
      processes: number;
      crashes: number;
    }[];
  };
} {
  return JSON.parse(readFileSync(file, 'utf8'));
}
