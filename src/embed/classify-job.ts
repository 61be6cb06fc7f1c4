import { readEmbeddings, writeEmbeddingsFile, type Embeddings } from '../io/embeddings-file';
import type { AtomicFileWriter } from '../io/atomic-write';
import { readManifest, type ClassifierManifest, type LoadedManifest } from '../models/manifest';
import { native } from '../native';
import { JobError } from './job-errors';
import type { ClassifyJob, JobStats } from './jobs';

// How a worker runs a classify job: join the frames' embeddings by id (never by position) into the
// classifier's input, blocks in the order its manifest lists (VirNucPro: DNABERT-S 768 then ESM-2
// 2560), score them on the worker's device and write the softmax scores.

const CLASSIFY_ROWS = 16384;

export interface LoadedClassifier {
  manifest: LoadedManifest & ClassifierManifest;
  /** the name it is registered under natively */
  name: string;
}

export async function loadClassifier(dir: string, device: string): Promise<LoadedClassifier> {
  const manifest = readManifest(dir);
  if (manifest.kind !== 'classifier')
    throw new JobError('E_MODEL', `${dir}: a ${manifest.kind} model, not a classifier`);
  const name = `classifier:${manifest.modulePath}:${device}`;
  await native().loadModel(name, manifest.modulePath, { device, dtype: 'fp32' });
  return { manifest, name };
}

/**
 * Rows [ids.length, sum of block dims] in the order of the first block's ids: for each frame, its vector
 * from each block, found by id. A frame missing from a block, or extra ids, are errors.
 */
export function mergeFeatures(
  blocks: { model: string; dim: number; file: string; embeddings: Embeddings }[],
): { ids: string[]; features: Float32Array; width: number } {
  const ids = blocks[0].embeddings.ids;
  const width = blocks.reduce((sum, block) => sum + block.dim, 0);
  const merged = new Float32Array(ids.length * width);
  let column = 0;
  for (const { model, dim, file, embeddings } of blocks) {
    if (embeddings.dim !== dim) {
      throw new JobError(
        'E_INPUT',
        `${file}: ${model} vectors have ${embeddings.dim} values, the classifier expects ${dim}`,
      );
    }
    const rowOf = new Map<string, number>();
    embeddings.ids.forEach((id, row) => rowOf.set(id, row));
    if (rowOf.size !== ids.length || embeddings.ids.length !== ids.length) {
      throw new JobError(
        'E_INPUT',
        `${file}: ${embeddings.ids.length} ${model} vectors for ${ids.length} frames`,
      );
    }
    ids.forEach((id, i) => {
      const row = rowOf.get(id);
      if (row === undefined) throw new JobError('E_INPUT', `${file}: no ${model} vector for frame "${id}"`);
      merged.set(embeddings.data.subarray(row * dim, (row + 1) * dim), i * width + column);
    });
    column += dim;
  }
  return { ids, features: merged, width };
}

/** Scores the job's frames; the addon scores each frame alone, so its scores depend on its features only. */
export async function runClassifyJob(
  classifier: LoadedClassifier,
  job: ClassifyJob,
  onWriter?: (writer: AtomicFileWriter | null) => void,
): Promise<JobStats> {
  const { features: wanted, classes } = classifier.manifest;
  if (job.input.length !== wanted.length) {
    throw new JobError(
      'E_INTERNAL',
      `classify job ${job.id}: ${job.input.length} inputs for ${wanted.length} features`,
    );
  }
  const blocks = [];
  for (const [i, feature] of wanted.entries()) {
    blocks.push({ ...feature, file: job.input[i], embeddings: await readEmbeddings(job.input[i]) });
  }
  const { ids, features, width } = mergeFeatures(blocks);
  const scores = new Float32Array(ids.length * classes.length);
  for (let start = 0; start < ids.length; start += CLASSIFY_ROWS) {
    const rows = Math.min(CLASSIFY_ROWS, ids.length - start);
    const slice = features.subarray(start * width, (start + rows) * width);
    const { data, shape } = await native().classify(classifier.name, {
      features: slice,
      shape: [rows, width],
    });
    if (shape[0] !== rows || shape[1] !== classes.length) {
      throw new JobError(
        'E_MODEL',
        `classifier returned shape [${shape.join(', ')}], expected [${rows}, ${classes.length}]`,
      );
    }
    scores.set(data, start * classes.length);
  }
  await writeEmbeddingsFile(
    job.output,
    {
      ids,
      data: scores,
      dim: classes.length,
      model: classifier.manifest.arch,
      pooling: 'softmax',
      dtype: 'fp32',
      fingerprint: job.fingerprint,
    },
    onWriter,
  );
  return { sequences: ids.length, embedded: ids.length, tokens: 0 };
}
