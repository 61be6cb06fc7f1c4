import { z } from 'zod';
import type { SameType } from '../embed/engine-options';
import { engineOptionsSchema } from '../embed/options';
import type { PredictOptions, PredictorOptions, PredictRunOptions } from './predict-options';
import { DEFAULT_REPORT_ROWS } from './report-data';

// The schema that checks predict's options (internal: the public interface is in predict-options.ts,
// and a compile-time check keeps the two in step).

const positiveInt = z.number().int().positive();

const runShape = {
  inputs: z.array(z.string().min(1)).min(1),
  outDir: z.string().min(1),
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
  lockWait: z.number().nonnegative().default(180),
  reportRows: z.number().int().nonnegative().default(DEFAULT_REPORT_ROWS),
  multiqc: z.boolean().default(true),
};
const models = z.string().min(1);
const resumeOrForce = (o: { resume: boolean; force: boolean }) => !(o.resume && o.force);
const resumeOrForceMessage = { message: 'resume and force exclude each other' };

export const predictOptionsSchema = engineOptionsSchema
  .extend({ models, ...runShape })
  .refine(resumeOrForce, resumeOrForceMessage);

export const predictRunOptionsSchema = z.strictObject(runShape).refine(resumeOrForce, resumeOrForceMessage);

export const predictorOptionsSchema = engineOptionsSchema.omit({ persistent: true }).extend({ models });

export type ParsedPredictOptions = z.output<typeof predictOptionsSchema>;

const inStep: [
  SameType<PredictOptions, z.input<typeof predictOptionsSchema>>,
  SameType<PredictRunOptions, z.input<typeof predictRunOptionsSchema>>,
  SameType<PredictorOptions, z.input<typeof predictorOptionsSchema>>,
] = [true, true, true];
void inStep;
