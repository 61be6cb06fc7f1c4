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

/**
 * The random-weight model folder for an architecture under cacheDir, exported on first use. A folder
 * is reused only when its manifest is complete, which the exporter writes last.
 */
export async function randomModel(cacheDir: string, arch: RandomArchitecture): Promise<BenchModel> {
  const dir = path.join(cacheDir, arch);
  let exportSeconds = 0;
  if (!existsSync(path.join(dir, 'manifest.json'))) {
    const script = path.join(packageRoot(), 'scripts', 'export-models.py');
    const run = await runMeasured(pythonCommand, [script, 'random', '--arch', arch, '--out', dir]);
    exportSeconds = run.wallSeconds;
  }
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
