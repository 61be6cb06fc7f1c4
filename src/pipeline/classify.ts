import { native } from '../native';
import { readSafetensors, toFloat32Array } from '../io/safetensors';
import type { ClassifierManifest, LoadedManifest } from '../models/manifest';
import type { FrameScore } from './prediction-files';

// Stage 3 of predict: join the two embeddings of every frame by id (never by position) into the
// classifier's input, blocks in the order its manifest lists (VirNucPro: DNABERT-S 768 then ESM-2
// 2560), and score them with the classifier on the device.

export type FeatureModel = ClassifierManifest['features'][number]['model'];

export interface EmbeddingsFile {
  ids: string[];
  dim: number;
  data: Float32Array;
}

export async function readEmbeddingsFile(file: string): Promise<EmbeddingsFile> {
  const { tensors, metadata } = await readSafetensors(file);
  const embeddings = tensors.embeddings;
  if (!embeddings || embeddings.shape.length !== 2)
    throw new Error(`${file}: no [rows, dim] "embeddings" tensor`);
  const ids = JSON.parse(metadata.ids ?? 'null') as string[] | null;
  if (!Array.isArray(ids) || ids.length !== embeddings.shape[0]) {
    throw new Error(`${file}: the "ids" metadata does not list one id per row`);
  }
  return { ids, dim: embeddings.shape[1], data: toFloat32Array(embeddings) };
}

/**
 * Rows [frameIds.length, sum of block dims]: for each frame, its vector from each block's file, found
 * by id. A frame missing from a file, or a file holding ids that are not frames, is an error.
 */
export function mergeFeatures(
  frameIds: string[],
  blocks: { model: FeatureModel; dim: number; file: string; embeddings: EmbeddingsFile }[],
): Float32Array {
  const width = blocks.reduce((sum, block) => sum + block.dim, 0);
  const merged = new Float32Array(frameIds.length * width);
  let column = 0;
  for (const { model, dim, file, embeddings } of blocks) {
    if (embeddings.dim !== dim) {
      throw new Error(
        `${file}: ${model} vectors have ${embeddings.dim} values, the classifier expects ${dim}`,
      );
    }
    const rowOf = new Map<string, number>();
    embeddings.ids.forEach((id, row) => rowOf.set(id, row));
    if (rowOf.size !== frameIds.length || embeddings.ids.length !== frameIds.length) {
      throw new Error(`${file}: ${embeddings.ids.length} ${model} vectors for ${frameIds.length} frames`);
    }
    frameIds.forEach((id, i) => {
      const row = rowOf.get(id);
      if (row === undefined) throw new Error(`${file}: no ${model} vector for frame "${id}"`);
      merged.set(embeddings.data.subarray(row * dim, (row + 1) * dim), i * width + column);
    });
    column += dim;
  }
  return merged;
}

const CLASSIFY_ROWS = 16384;

/** Loads the classifier once per process under a name tied to its file and device. */
export async function loadClassifier(manifest: LoadedManifest, device: string): Promise<string> {
  const name = `classifier:${manifest.modulePath}:${device}`;
  await native().loadModel(name, manifest.modulePath, { device, dtype: 'fp32' });
  return name;
}

/** Softmax scores of the classifier for merged rows [ids.length, inputDim]. */
export async function classifyRows(
  classifier: string,
  ids: string[],
  features: Float32Array,
  inputDim: number,
): Promise<FrameScore[]> {
  const scores: FrameScore[] = [];
  for (let start = 0; start < ids.length; start += CLASSIFY_ROWS) {
    const rows = Math.min(CLASSIFY_ROWS, ids.length - start);
    const slice = features.subarray(start * inputDim, (start + rows) * inputDim);
    const { data, shape } = await native().classify(classifier, { features: slice, shape: [rows, inputDim] });
    if (shape[0] !== rows || shape[1] !== 2)
      throw new Error(`classifier returned shape [${shape}], expected [${rows}, 2]`);
    for (let r = 0; r < rows; r++)
      scores.push({ id: ids[start + r], others: data[2 * r], virus: data[2 * r + 1] });
  }
  return scores;
}
