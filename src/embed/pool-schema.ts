import { z } from 'zod';
import type { EmbeddingPoolOptions, EmbedSequencesOptions, SameType } from './engine-options';
import { dtypeSchema, engineOptionsSchema } from './options';
import type { PoolConfig } from './pool';

// The schemas that check the options of createEmbeddingPool and embedSequences (internal: the public
// interfaces are in engine-options.ts, and a compile-time check keeps each in step with its schema).

export const embeddingPoolOptionsSchema = engineOptionsSchema.extend({
  models: z.array(z.string().min(1)).min(1),
  classifier: z.string().min(1).nullable().default(null),
  duplicateIds: z.enum(['error', 'allow']).default('error'),
});

export const embedSequencesOptionsSchema = z.strictObject({
  device: z
    .string()
    .regex(/^(cpu|cuda:\d+)$/)
    .default('cpu'),
  dtype: dtypeSchema.default('auto'),
  tokensPerBatch: engineOptionsSchema.shape.tokensPerBatch,
});

const poolInputInStep: SameType<EmbeddingPoolOptions, z.input<typeof embeddingPoolOptionsSchema>> = true;
const poolOutputInStep: SameType<PoolConfig, z.output<typeof embeddingPoolOptionsSchema>> = true;
const sequencesInStep: SameType<EmbedSequencesOptions, z.input<typeof embedSequencesOptionsSchema>> = true;
void poolInputInStep;
void poolOutputInStep;
void sequencesInStep;
