import { z } from 'zod';
import type { EngineOptions, EngineOptionsInput, SameType } from './engine-options';

// The embedding engine's options: names, defaults and checks live here once. The library takes them as
// they are, `predict` extends them, and the CLI builds one flag per option from `engineFlags`.

const positiveInt = z.number().int().positive();

export const devicesSchema = z.union([
  z.literal('cpu'),
  z.literal('all'),
  z.array(z.number().int().nonnegative()).min(1),
]);

/** 'auto': fp32 on CPU, bf16 on CUDA */
export const dtypeSchema = z.enum(['auto', 'fp32', 'fp16', 'bf16']);

export const engineOptionsSchema = z.strictObject({
  /** 'cpu', GPU indices (as CUDA numbers them for this process), or 'all' GPUs (CPU when there is none) */
  devices: devicesSchema.default('cpu'),
  /**
   * CPU worker processes (the cores are divided between them); null: one per core, fewer where memory
   * is short (devices.ts defaultCpuWorkers); GPUs always get one worker each
   */
  workers: positiveInt.nullable().default(null),
  /** intra-op threads of each CPU worker; null: the cores divided by the workers */
  threads: positiveInt.nullable().default(null),
  dtype: dtypeSchema.default('auto'),
  /** padded tokens per forward call; null: from the device (CPU 4096, CUDA from free memory) */
  tokensPerBatch: positiveInt.nullable().default(null),
  /** each GPU worker empties the CUDA cache after every this many embeddings files it writes */
  cacheClearInterval: positiveInt.default(10),
  /** how often a file is retried after the worker running it died */
  maxRetries: z.number().int().nonnegative().default(2),
  /** false: a fresh worker process, loading the models again, for every file (for comparison) */
  persistent: z.boolean().default(true),
  /**
   * Outputs bit-identical whatever the batching, sharding, file grouping or worker count, on the same
   * device type and libtorch build: one sequence per forward call, one intra-op thread per CPU worker,
   * deterministic kernels (docs/embedding.md says what it costs).
   */
  deterministic: z.boolean().default(false),
});

const engineInputInStep: SameType<EngineOptionsInput, z.input<typeof engineOptionsSchema>> = true;
const engineOutputInStep: SameType<EngineOptions, z.output<typeof engineOptionsSchema>> = true;
void engineInputInStep;
void engineOutputInStep;

export const engineDefaults: EngineOptions = engineOptionsSchema.parse({});

/** The options the user gave that --deterministic replaces (one thread per CPU worker, one sequence per forward call). */
export function replacedByDeterministic(
  options: Pick<EngineOptions, 'deterministic' | 'threads' | 'tokensPerBatch'>,
): Partial<Pick<EngineOptions, 'threads' | 'tokensPerBatch'>> {
  if (!options.deterministic) return {};
  const replaced: Partial<Pick<EngineOptions, 'threads' | 'tokensPerBatch'>> = {};
  if (options.threads !== null) replaced.threads = options.threads;
  if (options.tokensPerBatch !== null) replaced.tokensPerBatch = options.tokensPerBatch;
  return replaced;
}

/** One line saying what --deterministic replaced, or null when it replaced nothing the user gave. */
export function describeReplacedByDeterministic(
  replaced: Partial<Pick<EngineOptions, 'threads' | 'tokensPerBatch'>>,
): string | null {
  const given = [
    replaced.threads !== undefined ? `--threads ${replaced.threads} (it uses 1 thread per CPU worker)` : null,
    replaced.tokensPerBatch !== undefined
      ? `--tokens-per-batch ${replaced.tokensPerBatch} (it runs one sequence per forward call)`
      : null,
  ].filter((part) => part !== null);
  return given.length === 0 ? null : `--deterministic replaces ${given.join(' and ')}`;
}

/** Parses with a schema; a bad value is a TypeError naming the field. */
export function parseOptions<T extends z.ZodType>(schema: T, value: unknown, what: string): z.output<T> {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw new TypeError(`invalid ${what}: ${z.prettifyError(parsed.error)}`);
  return parsed.data;
}

/** How each engine option appears on the command line (the CLI turns this table into flags). */
export interface EngineFlag {
  /** commander flag syntax */
  flags: string;
  description: string;
  /** the CLI text parser; absent for boolean switches */
  parse?: 'positive-integer' | 'whole-number' | 'devices';
  choices?: readonly string[];
}

export const engineFlags: Record<keyof EngineOptions, EngineFlag> = {
  devices: { flags: '--devices <list>', description: "'cpu', GPU indices (0,1) or 'all'", parse: 'devices' },
  workers: {
    flags: '--workers <n>',
    description:
      'CPU worker processes, the cores divided between them (default: one per core, fewer if memory is short)',
    parse: 'positive-integer',
  },
  threads: {
    flags: '--threads <n>',
    description: 'intra-op threads per CPU worker (default: the cores divided by the workers)',
    parse: 'positive-integer',
  },
  dtype: {
    flags: '--dtype <dtype>',
    description: 'weights and activations on the device (auto: fp32 on CPU, bf16 on CUDA)',
    choices: dtypeSchema.options,
  },
  tokensPerBatch: {
    flags: '--tokens-per-batch <n>',
    description: 'padded tokens per forward call (default: from the device)',
    parse: 'positive-integer',
  },
  cacheClearInterval: {
    flags: '--cache-clear-interval <n>',
    description: 'empty the CUDA cache every n embeddings files a worker writes',
    parse: 'positive-integer',
  },
  maxRetries: {
    flags: '--max-retries <n>',
    description: 'retries of a file whose worker died',
    parse: 'whole-number',
  },
  persistent: {
    flags: '--no-persistent-models',
    description: 'start a fresh worker, loading the models, for every file (for comparison)',
  },
  deterministic: {
    flags: '--deterministic',
    description: 'bit-identical outputs whatever the batching, sharding or worker count (slower)',
  },
};
