import { existsSync } from 'node:fs';
import path from 'node:path';
import { readManifest, type LoadedManifest } from '../src/models/manifest';
import { packageRoot } from '../src/native';
import type { ModelShape, RandomArchitecture } from './model-shape';
import { runMeasured } from './process-run';

/** The Python with torch that runs the exporter and the reference: VIRNUCPRO_PYTHON, else Debian's. */
export const pythonCommand = process.env.VIRNUCPRO_PYTHON ?? '/usr/bin/python3';

export interface BenchModel {
  arch: RandomArchitecture;
  dir: string;
  manifest: Exclude<LoadedManifest, { kind: 'classifier' }>;
  shape: ModelShape;
  /** seconds the export took, 0 when an earlier run's folder was reused */
  exportSeconds: number;
}

const exporter = path.join(packageRoot(), 'scripts', 'export-models.py');

/** Runs the Python `script` with `args` unless `written` exists; the seconds it took, else 0. */
async function exportOnce(written: string, script: string, args: string[]): Promise<number> {
  if (existsSync(written)) return 0;
  return (await runMeasured(pythonCommand, [script, ...args])).wallSeconds;
}

/**
 * The random-weight model folder for an architecture under cacheDir, exported on first use. A folder
 * is reused only when its manifest is complete, which the exporter writes last.
 */
export async function randomModel(cacheDir: string, arch: RandomArchitecture): Promise<BenchModel> {
  const dir = path.join(cacheDir, arch);
  const exportSeconds = await exportOnce(path.join(dir, 'manifest.json'), exporter, [
    'random',
    '--arch',
    arch,
    '--out',
    dir,
  ]);
  const manifest = readManifest(dir);
  if (manifest.kind === 'classifier')
    throw new Error(`${dir}: expected an embedding model, found a classifier`);
  const shape: ModelShape = {
    kind: manifest.kind,
    layers: manifest.layers,
    dim: manifest.dim,
    heads: manifest.heads,
    vocabSize: manifest.vocab_size,
  };
  return { arch, dir, manifest, shape, exportSeconds };
}

/** A predict model folder (esm2/, dnabert-s/, classifier/) with random weights. */
export interface PredictModelSet {
  /** what the results call it */
  name: string;
  dir: string;
  /** seconds the export took, 0 when an earlier run's folder was reused */
  exportSeconds: number;
}

/**
 * Predict models under cacheDir, written on first use, whole or not at all: `export-models.py tiny`, or
 * an ESM-2 of a real shape beside the tiny DNABERT-S (bench/python/predict_models.py).
 */
export async function predictModelSet(
  cacheDir: string,
  esm2: 'tiny' | RandomArchitecture,
): Promise<PredictModelSet> {
  const dir = path.join(cacheDir, `predict-${esm2}`);
  const written = path.join(dir, 'classifier', 'manifest.json');
  if (esm2 === 'tiny') {
    const exportSeconds = await exportOnce(written, exporter, ['tiny', '--out', dir]);
    return { name: 'tiny models', dir, exportSeconds };
  }
  const script = path.join(packageRoot(), 'bench', 'python', 'predict_models.py');
  const exportSeconds = await exportOnce(written, script, ['--esm2', esm2, '--out', dir]);
  return { name: `${esm2} + tiny DNABERT-S`, dir, exportSeconds };
}
