import path from 'node:path';
import type { Dtype, NativeError } from '../../binding';
import { readManifest, type EmbeddingManifest, type LoadedManifest } from '../models/manifest';
import { native } from '../native';
import { cpuTokenBudget, cudaTokenBudget, padBatch } from './batching';
import { runBatches, type RunStats } from './batch-runner';

export type LoadedEmbeddingManifest = LoadedManifest & EmbeddingManifest;

export interface EmbeddingModelOptions {
  /** 'cpu' or 'cuda:N' */
  device: string;
  dtype: Dtype;
  /** padded tokens per forward call; default from the device (see batching.ts) */
  tokensPerBatch?: number | null;
}

/** Token ids of many sequences: sequence i is ids[offsets[i] .. offsets[i+1]). */
export interface TokenizedSequences {
  ids: Int32Array;
  offsets: Uint32Array;
  lengths: Uint32Array;
}

export function readEmbeddingManifest(dir: string): LoadedEmbeddingManifest {
  const manifest = readManifest(dir);
  if (manifest.kind === 'classifier') {
    throw new Error(`${path.join(dir, 'manifest.json')}: a classifier, not an embedding model`);
  }
  return manifest;
}

/** Registers the model folder's tokenizer natively and returns the name it is registered under. */
export function loadTokenizer(manifest: LoadedEmbeddingManifest): string {
  const name = `${manifest.kind}:${path.resolve(manifest.dir)}`;
  native().loadTokenizer(name, manifest.tokenizer.type, manifest.tokenizerPath ?? '');
  return name;
}

/**
 * One embedding model and its tokenizer, loaded into this process's native registry: tokenizes, batches
 * by token budget and runs forward with the manifest's pooling, returning rows in input order.
 */
export class EmbeddingModel {
  private budget: number | null;

  private constructor(
    readonly manifest: LoadedEmbeddingManifest,
    /** the name under which model and tokenizer are registered natively */
    readonly name: string,
    private readonly options: EmbeddingModelOptions,
    private readonly padId: number,
  ) {
    this.budget = options.tokensPerBatch ?? null;
  }

  /**
   * Padded tokens per forward call. The device default is measured on first use, so that a process
   * loading several models sizes it after all of them are in memory.
   */
  get tokenBudget(): number {
    this.budget ??= defaultTokenBudget(this.manifest, this.options);
    return this.budget;
  }

  static async load(dir: string, options: EmbeddingModelOptions): Promise<EmbeddingModel> {
    const manifest = readEmbeddingManifest(dir);
    const addon = native();
    const name = loadTokenizer(manifest);
    await addon.loadModel(name, manifest.modulePath, { device: options.device, dtype: options.dtype });
    return new EmbeddingModel(manifest, name, options, addon.tokenizerInfo(name).padId);
  }

  get dim(): number {
    return this.manifest.dim;
  }

  get dtype(): Dtype {
    return this.options.dtype;
  }

  async tokenize(sequences: string[]): Promise<TokenizedSequences> {
    const { ids, offsets } = await native().tokenize(this.name, sequences);
    const lengths = new Uint32Array(sequences.length);
    for (let i = 0; i < lengths.length; i++) lengths[i] = offsets[i + 1] - offsets[i];
    return { ids, offsets, lengths };
  }

  /**
   * Pooled embeddings [N, dim] in input order. The next batch is padded while the current one runs
   * off the JS thread; a batch that runs out of memory is halved and retried.
   */
  embed(
    tokenized: TokenizedSequences,
    onBatch?: (progress: { indices: number[]; tokens: number }) => void,
  ): Promise<{ embeddings: Float32Array; stats: RunStats }> {
    const { ids, offsets, lengths } = tokenized;
    const tokensOf = (index: number): Int32Array => ids.subarray(offsets[index], offsets[index + 1]);
    const pooling = this.manifest.pooling;
    return runBatches(
      lengths,
      this.tokenBudget,
      {
        dim: this.dim,
        prepare: (batch) => padBatch(tokensOf, batch, this.padId),
        forward: async (padded) => {
          const output = await native().forward(this.name, { ...padded, pooling });
          return { data: output.data, seconds: output.forwardSeconds, paddedTokens: padded.tokens.length };
        },
        isOutOfMemory: (error) => (error as NativeError).code === 'ERR_OUT_OF_MEMORY',
      },
      onBatch,
    );
  }
}

/** The sequences at `indices`, in that order. */
export function selectTokenized(tokenized: TokenizedSequences, indices: number[]): TokenizedSequences {
  const lengths = new Uint32Array(indices.map((i) => tokenized.lengths[i]));
  const offsets = new Uint32Array(indices.length + 1);
  lengths.forEach((length, k) => (offsets[k + 1] = offsets[k] + length));
  const ids = new Int32Array(offsets[indices.length]);
  indices.forEach((i, k) =>
    ids.set(tokenized.ids.subarray(tokenized.offsets[i], tokenized.offsets[i + 1]), offsets[k]),
  );
  return { ids, offsets, lengths };
}

/** One tokenized set holding several, in order (to batch across files). */
export function concatTokenized(parts: TokenizedSequences[]): TokenizedSequences {
  const count = parts.reduce((sum, part) => sum + part.lengths.length, 0);
  const tokens = parts.reduce((sum, part) => sum + part.ids.length, 0);
  const ids = new Int32Array(tokens);
  const offsets = new Uint32Array(count + 1);
  const lengths = new Uint32Array(count);
  let sequence = 0;
  let at = 0;
  for (const part of parts) {
    ids.set(part.ids, at);
    for (let i = 0; i < part.lengths.length; i++) {
      offsets[sequence] = at + part.offsets[i];
      lengths[sequence] = part.lengths[i];
      sequence++;
    }
    at += part.ids.length;
  }
  offsets[count] = at;
  return { ids, offsets, lengths };
}

function defaultTokenBudget(manifest: EmbeddingManifest, options: EmbeddingModelOptions): number {
  if (!options.device.startsWith('cuda')) return cpuTokenBudget;
  const index = Number(options.device.split(':')[1] ?? 0);
  const device = native()
    .buildInfo()
    .devices.find((info) => info.index === index);
  return device ? cudaTokenBudget(device.freeMemoryBytes, manifest, options.dtype) : cpuTokenBudget;
}
