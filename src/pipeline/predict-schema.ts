import { z } from 'zod';
import type { SameType } from '../embed/engine-options';
import { engineOptionsSchema } from '../embed/options';
import type { PredictOptions } from './predict-options';
import { DEFAULT_REPORT_ROWS } from './report-data';

// The schema that checks predict's options (internal: the public interface is in predict-options.ts,
// and a compile-time check keeps the two in step).

const positiveInt = z.number().int().positive();

export const predictOptionsSchema = engineOptionsSchema
  .extend({
    inputs: z.array(z.string().min(1)).min(1),
    outDir: z.string().min(1),
    models: z.string().min(1),
    chunkSize: positiveInt.optional(),
    resume: z.boolean().default(false),
    force: z.boolean().default(false),
    keepIntermediate: z.boolean().default(false),
    renameDuplicates: z.boolean().default(false),
    rna: z.boolean().default(false),
    minScore: z.number().min(0).max(1).default(0),
    plot: z
      .union([
        z.strictObject({ count: z.number().int().nonnegative() }),
        z.strictObject({ ids: z.array(z.string()) }),
      ])
      .default({ count: 20 }),
    shardSize: positiveInt.default(10000),
    report: z.string().nullable().default(null),
    reportRows: z.number().int().nonnegative().default(DEFAULT_REPORT_ROWS),
    multiqc: z.boolean().default(true),
  })
  .refine((o) => !(o.resume && o.force), { message: 'resume and force exclude each other' });

export type ParsedPredictOptions = z.output<typeof predictOptionsSchema>;

const inStep: SameType<PredictOptions, z.input<typeof predictOptionsSchema>> = true;
void inStep;
