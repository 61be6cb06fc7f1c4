import { existsSync } from 'node:fs';
import { stat } from 'node:fs/promises';
import path from 'node:path';
import yauzl, { type Entry } from 'yauzl';
import { describeFileError } from '../io/file-errors';
import { cachedSha256File } from '../io/fingerprint';
import {
  readManifest,
  type ClassifierManifest,
  type EmbeddingManifest,
  type LoadedManifest,
} from '../models/manifest';
import { packageVersion } from '../native';
import { PredictError } from './predict-errors';

// The three models predict needs, checked before any work: present, consistent with each other, and
// each module a TorchScript archive inside its own folder. And the run's fingerprint: everything the
// results depend on, so a resumed run can be held to the same.

export interface ModelSet {
  esm2: LoadedManifest & EmbeddingManifest;
  dnabert: LoadedManifest & EmbeddingManifest;
  classifier: LoadedManifest & ClassifierManifest;
}

/** `file` as yauzl reads a zip: every central-directory entry, or the reason it cannot. */
async function zipEntries(file: string): Promise<Entry[]> {
  const zip = await yauzl.openPromise(file, { lazyEntries: true });
  return new Promise((resolve, reject) => {
    const entries: Entry[] = [];
    zip.on('entry', (entry: Entry) => {
      entries.push(entry);
      zip.readEntry();
    });
    zip.on('end', () => {
      zip.close();
      resolve(entries);
    });
    zip.on('error', (error: Error) => {
      zip.close();
      reject(error);
    });
    zip.readEntry();
  });
}

/**
 * Why `file` is not a whole TorchScript archive, or null: the check that costs no model load. The
 * archive is a zip whose central directory (at its end, so lost by any truncation) lists
 * `<name>/data.pkl`, and whose entries lie within the file.
 */
async function archiveProblem(file: string): Promise<string | null> {
  const { size } = await stat(file);
  if (size === 0) return 'empty file';
  let entries;
  try {
    entries = await zipEntries(file);
  } catch (error) {
    return `not a complete zip archive: ${(error as Error).message}`;
  }
  const outside = entries.find((entry) => entry.relativeOffsetOfLocalHeader + entry.compressedSize > size);
  if (outside) return `${outside.fileName} ends past the end of the file (truncated)`;
  if (!entries.some((entry) => /^[^/]+\/data\.pkl$/.test(entry.fileName)))
    return 'no data.pkl in the archive';
  return null;
}

async function checkModule(manifest: LoadedManifest): Promise<void> {
  const folder = path.resolve(manifest.dir);
  for (const file of [manifest.modulePath, manifest.tokenizerPath]) {
    if (file === null) continue;
    if (!path.resolve(file).startsWith(`${folder}${path.sep}`)) {
      throw new PredictError(`${manifest.dir}/manifest.json: ${file} is outside the model folder`, 'E_MODEL');
    }
  }
  let problem;
  try {
    problem = await archiveProblem(manifest.modulePath);
  } catch (error) {
    throw new PredictError(
      `cannot read the model: ${describeFileError(error, manifest.modulePath)}`,
      'E_MODEL',
    );
  }
  if (problem !== null) {
    throw new PredictError(
      `${manifest.modulePath}: not a TorchScript archive (${problem}); export the model again`,
      'E_MODEL',
    );
  }
}

export async function loadModelSet(dir: string): Promise<ModelSet> {
  const load = (name: string, kind: string) => {
    const folder = path.join(dir, name);
    if (!existsSync(path.join(folder, 'manifest.json'))) {
      throw new PredictError(
        `${folder}: no exported model (manifest.json); see 'virnucpro export --help'`,
        'E_MODEL',
      );
    }
    let manifest;
    try {
      manifest = readManifest(folder);
    } catch (error) {
      throw new PredictError((error as Error).message, 'E_MODEL');
    }
    if (manifest.kind !== kind)
      throw new PredictError(`${folder}: a ${manifest.kind} model, expected ${kind}`, 'E_MODEL');
    return manifest;
  };
  const models = {
    esm2: load('esm2', 'esm2') as ModelSet['esm2'],
    dnabert: load('dnabert-s', 'dnabert-s') as ModelSet['dnabert'],
    classifier: load('classifier', 'classifier') as ModelSet['classifier'],
  };
  for (const manifest of Object.values(models)) await checkModule(manifest);
  for (const feature of models.classifier.features) {
    const dim = feature.model === 'esm2' ? models.esm2.dim : models.dnabert.dim;
    if (dim !== feature.dim) {
      throw new PredictError(
        `the classifier expects ${feature.dim} ${feature.model} values per frame; the model gives ${dim}`,
        'E_MODEL',
      );
    }
  }
  return models;
}

/** The chunk size a run uses: the classifier's, which a chunk size asked for must match. */
export function runChunkSize(models: ModelSet, chunkSize: number | undefined): number {
  const trained = models.classifier.chunk_size;
  if (chunkSize !== undefined && chunkSize !== trained) {
    throw new PredictError(
      `chunk size ${chunkSize} does not match the classifier in ${models.classifier.dir}, trained on ${trained}-nt chunks`,
      'E_USAGE',
    );
  }
  return trained;
}

/** Hashes of the files a model's numbers come from. */
async function modelHashes(manifest: LoadedManifest): Promise<Record<string, string>> {
  const hashes: Record<string, string> = { module: await cachedSha256File(manifest.modulePath) };
  if (manifest.tokenizerPath) hashes.tokenizer = await cachedSha256File(manifest.tokenizerPath);
  return hashes;
}

/** An input by its absolute path and the sha256 of its bytes (checkInputs hashes while it checks). */
export interface InputHash {
  path: string;
  sha256: string;
}

/** What a run's results depend on: a resumed run must match each part exactly. */
export async function runFingerprint(
  inputs: InputHash[],
  models: ModelSet,
  options: Record<string, string | number | boolean>,
): Promise<Record<string, unknown>> {
  return {
    inputs,
    'dnabert-s model': await modelHashes(models.dnabert),
    'esm2 model': await modelHashes(models.esm2),
    'classifier model': await modelHashes(models.classifier),
    ...options,
    version: packageVersion(),
  };
}
