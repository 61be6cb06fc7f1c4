import path from 'node:path';
import type { Dtype, NativeError } from '../../binding';
import { readManifest, type EmbeddingManifest, type LoadedManifest } from '../models/manifest';
import { native } from '../native';
import { cpuTokenBudget, cudaTokenBudget, padBatch, planBatches, splitBatch, type Batch } from './batching';

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

export interface BatchProgress {
  sequences: number;
  tokens: number;
}

export interface EmbedRunStats {
  batches: number;
  tokens: number;
  paddedTokens: number;
  forwardSeconds: number;
  /** batches halved after an out-of-memory error */
  oomSplits: number;
}

export class SequenceOutOfMemoryError extends Error {
  override name = 'SequenceOutOfMemoryError';
  constructor(
    readonly index: number,
    readonly tokens: number,
    cause: unknown,
  ) {
    super(`out of memory on a single sequence of ${tokens} tokens; lower --tokens-per-batch will not help`, {
      cause,
    });
  }
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
  async embed(
    tokenized: TokenizedSequences,
    onBatch?: (progress: BatchProgress) => void,
  ): Promise<{ embeddings: Float32Array; stats: EmbedRunStats }> {
    const { ids, offsets, lengths } = tokenized;
    const embeddings = new Float32Array(lengths.length * this.dim);
    const stats: EmbedRunStats = { batches: 0, tokens: 0, paddedTokens: 0, forwardSeconds: 0, oomSplits: 0 };
    const tokensOf = (index: number): Int32Array => ids.subarray(offsets[index], offsets[index + 1]);
    const pad = (batch: Batch) => padBatch(tokensOf, batch, this.padId);

    const run = async (batch: Batch, padded: ReturnType<typeof pad>): Promise<void> => {
      let output;
      try {
        output = await native().forward(this.name, { ...padded, pooling: this.manifest.pooling });
      } catch (error) {
        if ((error as NativeError).code !== 'ERR_OUT_OF_MEMORY') throw error;
        if (batch.indices.length === 1) {
          throw new SequenceOutOfMemoryError(batch.indices[0], batch.width, error);
        }
        stats.oomSplits++;
        for (const half of splitBatch(batch, lengths)) await run(half, pad(half));
        return;
      }
      batch.indices.forEach((index, row) => {
        embeddings.set(output.data.subarray(row * this.dim, (row + 1) * this.dim), index * this.dim);
      });
      const tokens = batch.indices.reduce((sum, index) => sum + lengths[index], 0);
      stats.batches++;
      stats.tokens += tokens;
      stats.paddedTokens += padded.tokens.length;
      stats.forwardSeconds += output.forwardSeconds;
      onBatch?.({ sequences: batch.indices.length, tokens });
    };

    const batches = planBatches(lengths, this.tokenBudget);
    let next = batches.length > 0 ? pad(batches[0]) : null;
    for (let b = 0; b < batches.length; b++) {
      const running = run(batches[b], next as ReturnType<typeof pad>);
      next = b + 1 < batches.length ? pad(batches[b + 1]) : null;
      await running;
    }
    return { embeddings, stats };
  }
}

function defaultTokenBudget(manifest: EmbeddingManifest, options: EmbeddingModelOptions): number {
  if (!options.device.startsWith('cuda')) return cpuTokenBudget;
  const index = Number(options.device.split(':')[1] ?? 0);
  const device = native()
    .buildInfo()
    .devices.find((info) => info.index === index);
  return device ? cudaTokenBudget(device.freeMemoryBytes, manifest, options.dtype) : cpuTokenBudget;
}
