import { readEmbeddingRows, writeEmbeddingsFile } from '../io/embeddings-file';
import type { AtomicFileWriter } from '../io/atomic-write';
import { readManifest, type ClassifierManifest, type LoadedManifest } from '../models/manifest';
import { native } from '../native';
import { readFrameTable } from './frame-table';
import { JobError } from './job-errors';
import type { ClassifyJob, JobStats } from './jobs';

// How a worker runs a classify job: gather each frame's vectors where its frame tables point (identical
// frames share the vector of their first copy, which may be in another shard's file) into the
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
 * The classifier's input [frames, sum of feature dims], the features in the manifest's order: each
 * frame's vector of each feature read from where its frame table points.
 */
async function gatherFeatures(
  job: ClassifyJob,
  features: { model: string; dim: number }[],
): Promise<{ ids: string[]; features: Float32Array; width: number }> {
  const width = features.reduce((sum, feature) => sum + feature.dim, 0);
  let ids: string[] = [];
  let merged = new Float32Array(0);
  let column = 0;
  for (const [f, { model, dim }] of features.entries()) {
    const tableFile = job.input[f];
    const table = await readFrameTable(tableFile);
    if (f === 0) {
      ids = table.ids;
      merged = new Float32Array(ids.length * width);
    } else if (table.ids.length !== ids.length || table.ids.some((id, i) => id !== ids[i])) {
      throw new JobError('E_INPUT', `${tableFile}: not the frames of ${job.input[0]}`);
    }
    const framesOf = new Map<number, number[]>();
    table.sources.forEach((source, frame) => {
      const list = framesOf.get(source);
      if (list) list.push(frame);
      else framesOf.set(source, [frame]);
    });
    for (const [source, frames] of framesOf) {
      const file = job.sources[f][source];
      if (file === undefined) throw new JobError('E_INPUT', `${tableFile}: no source ${source}`);
      const rows = await readEmbeddingRows(
        file,
        frames.map((frame) => table.rows[frame]),
      );
      if (rows.dim !== dim)
        throw new JobError(
          'E_INPUT',
          `${file}: ${model} vectors have ${rows.dim} values, the classifier expects ${dim}`,
        );
      frames.forEach((frame, k) =>
        merged.set(rows.data.subarray(k * dim, (k + 1) * dim), frame * width + column),
      );
    }
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
  if (job.sources.length !== wanted.length) {
    throw new JobError(
      'E_INTERNAL',
      `classify job ${job.id}: ${job.sources.length} source lists for ${wanted.length} features`,
    );
  }
  const { ids, features, width } = await gatherFeatures(job, wanted);
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
