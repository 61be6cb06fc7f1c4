import { existsSync } from 'node:fs';
import { open } from 'node:fs/promises';
import path from 'node:path';
import { cachedSha256File, sha256File } from '../io/fingerprint';
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

const ZIP_MAGIC = Buffer.from([0x50, 0x4b, 0x03, 0x04]);

async function checkModule(manifest: LoadedManifest): Promise<void> {
  const folder = path.resolve(manifest.dir);
  for (const file of [manifest.modulePath, manifest.tokenizerPath]) {
    if (file === null) continue;
    if (!path.resolve(file).startsWith(`${folder}${path.sep}`)) {
      throw new PredictError(`${manifest.dir}/manifest.json: ${file} is outside the model folder`, 'E_MODEL');
    }
  }
  let handle;
  try {
    handle = await open(manifest.modulePath, 'r');
  } catch (error) {
    throw new PredictError(
      `${manifest.modulePath}: cannot read the model (${(error as Error).message})`,
      'E_MODEL',
    );
  }
  try {
    const head = Buffer.alloc(4);
    const { bytesRead } = await handle.read(head, 0, 4, 0);
    if (bytesRead < 4 || !head.equals(ZIP_MAGIC)) {
      throw new PredictError(
        `${manifest.modulePath}: not a TorchScript archive (${bytesRead === 0 ? 'empty file' : 'wrong format'}); export the model again`,
        'E_MODEL',
      );
    }
  } finally {
    await handle.close();
  }
}

export async function loadModelSet(dir: string, chunkSize: number | undefined): Promise<ModelSet> {
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
  const trained = models.classifier.chunk_size;
  if (chunkSize !== undefined && chunkSize !== trained) {
    throw new PredictError(
      `chunk size ${chunkSize} does not match the classifier in ${models.classifier.dir}, trained on ${trained}-nt chunks`,
      'E_USAGE',
    );
  }
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

/** Hashes of the files a model's numbers come from. */
async function modelHashes(manifest: LoadedManifest): Promise<Record<string, string>> {
  const hashes: Record<string, string> = { module: await cachedSha256File(manifest.modulePath) };
  if (manifest.tokenizerPath) hashes.tokenizer = await cachedSha256File(manifest.tokenizerPath);
  return hashes;
}

/** What a run's results depend on: a resumed run must match each part exactly. */
export async function runFingerprint(
  inputs: string[],
  models: ModelSet,
  options: Record<string, string | number | boolean>,
): Promise<Record<string, unknown>> {
  const inputHashes = [];
  for (const input of inputs) {
    try {
      inputHashes.push({ path: path.resolve(input), sha256: await sha256File(input) });
    } catch (error) {
      throw new PredictError(`${input}: cannot read (${(error as Error).message})`, 'E_USAGE');
    }
  }
  return {
    inputs: inputHashes,
    'dnabert-s model': await modelHashes(models.dnabert),
    'esm2 model': await modelHashes(models.esm2),
    'classifier model': await modelHashes(models.classifier),
    ...options,
    version: packageVersion(),
  };
}
