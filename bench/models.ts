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

/** Runs scripts/export-models.py with `args` unless `written` exists; the seconds it took, else 0. */
async function exportOnce(written: string, args: string[]): Promise<number> {
  if (existsSync(written)) return 0;
  const script = path.join(packageRoot(), 'scripts', 'export-models.py');
  return (await runMeasured(pythonCommand, [script, ...args])).wallSeconds;
}

/**
 * The random-weight model folder for an architecture under cacheDir, exported on first use. A folder
 * is reused only when its manifest is complete, which the exporter writes last.
 */
export async function randomModel(cacheDir: string, arch: RandomArchitecture): Promise<BenchModel> {
  const dir = path.join(cacheDir, arch);
  const exportSeconds = await exportOnce(path.join(dir, 'manifest.json'), [
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

/** The folder of `export-models.py tiny` (esm2/, dnabert-s/, classifier/) that predict runs on. */
export interface PredictModelSet {
  /** what the results call it */
  name: string;
  dir: string;
  /** seconds the export took, 0 when an earlier run's folder was reused */
  exportSeconds: number;
}

/** The tiny random predict models under cacheDir, exported on first use (the exporter writes the folder whole). */
export async function tinyModelSet(cacheDir: string): Promise<PredictModelSet> {
  const dir = path.join(cacheDir, 'tiny-set');
  const exportSeconds = await exportOnce(path.join(dir, 'classifier', 'manifest.json'), [
    'tiny',
    '--out',
    dir,
  ]);
  return { name: 'tiny (export-models.py tiny)', dir, exportSeconds };
}
