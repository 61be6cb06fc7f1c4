import { readFileSync } from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

// manifest.json, written by scripts/export-models.py beside each exported module. The types are written
// out rather than inferred from the schemas so the published declarations do not reach into zod; the
// `Same` checks below fail the build when a schema and its type drift apart.

interface ModuleFields {
  format: 'virnucpro-model/1';
  /** the TorchScript file, relative to the manifest's folder */
  module: string;
  arch: string;
  torch_version: string;
  /** sha256 of the source weights file(s) the module was exported from */
  source_sha256: string;
}

export type EmbeddingTokenizer =
  | { type: 'esm'; cls_id: number; pad_id: number; eos_id: number; unk_id: number }
  | {
      type: 'hf';
      /** tokenizer.json, relative to the manifest's folder */
      file: string;
      cls_id: number;
      sep_id: number;
      pad_id: number;
      unk_id: number;
    };

export interface EmbeddingManifest extends ModuleFields {
  kind: 'esm2' | 'dnabert-s';
  dim: number;
  layers: number;
  heads: number;
  vocab_size: number;
  /** ESM-2: residues pooled at most (1024); DNABERT-S: null (ALiBi has no position limit) */
  max_positions: number | null;
  pooling: 'esm-mean' | 'masked-mean';
  tokenizer: EmbeddingTokenizer;
}

export interface ClassifierManifest extends ModuleFields {
  kind: 'classifier';
  input_dim: number;
  /** feature blocks in concatenation order with their widths; VirNucPro: DNABERT-S then ESM-2 */
  features: { model: 'dnabert-s' | 'esm2'; dim: number }[];
  classes: string[];
  /** the chunk size the classifier was trained on (300 or 500) */
  chunk_size: number;
}

export type Manifest =
  (EmbeddingManifest & { kind: 'esm2' }) | (EmbeddingManifest & { kind: 'dnabert-s' }) | ClassifierManifest;

const esmTokenizer = z.object({
  type: z.literal('esm'),
  cls_id: z.number().int(),
  pad_id: z.number().int(),
  eos_id: z.number().int(),
  unk_id: z.number().int(),
});

const hfTokenizer = z.object({
  type: z.literal('hf'),
  file: z.string(),
  cls_id: z.number().int(),
  sep_id: z.number().int(),
  pad_id: z.number().int(),
  unk_id: z.number().int(),
});

const common = {
  format: z.literal('virnucpro-model/1'),
  module: z.string(),
  arch: z.string(),
  torch_version: z.string(),
  source_sha256: z.string(),
};

const embeddingManifestSchema = z.object({
  ...common,
  kind: z.enum(['esm2', 'dnabert-s']),
  dim: z.number().int().positive(),
  layers: z.number().int().positive(),
  heads: z.number().int().positive(),
  vocab_size: z.number().int().positive(),
  max_positions: z.number().int().positive().nullable(),
  pooling: z.enum(['esm-mean', 'masked-mean']),
  tokenizer: z.discriminatedUnion('type', [esmTokenizer, hfTokenizer]),
});

const classifierManifestSchema = z.object({
  ...common,
  kind: z.literal('classifier'),
  input_dim: z.number().int().positive(),
  features: z.array(z.object({ model: z.enum(['dnabert-s', 'esm2']), dim: z.number().int().positive() })),
  classes: z.array(z.string()),
  chunk_size: z.number().int().positive(),
});

const manifestSchema = z.discriminatedUnion('kind', [
  embeddingManifestSchema.extend({ kind: z.literal('esm2') }),
  embeddingManifestSchema.extend({ kind: z.literal('dnabert-s') }),
  classifierManifestSchema,
]);

type Same<A, B> = [A] extends [B] ? ([B] extends [A] ? true : false) : false;
const schemasMatchTypes: [
  Same<z.infer<typeof embeddingManifestSchema>, EmbeddingManifest>,
  Same<z.infer<typeof classifierManifestSchema>, ClassifierManifest>,
  Same<z.infer<typeof manifestSchema>, Manifest>,
] = [true, true, true];
void schemasMatchTypes;

/** A model folder's manifest with `modulePath` (and `tokenizerPath`) made absolute. */
export type LoadedManifest = Manifest & { dir: string; modulePath: string; tokenizerPath: string | null };

export function readManifest(dir: string): LoadedManifest {
  const file = path.join(dir, 'manifest.json');
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (cause) {
    throw new Error(`${file}: cannot read the model manifest (${(cause as Error).message})`, { cause });
  }
  const parsed = manifestSchema.safeParse(raw);
  if (!parsed.success) {
    throw new Error(`${file}: invalid model manifest: ${z.prettifyError(parsed.error)}`);
  }
  const manifest = parsed.data;
  const tokenizerPath =
    manifest.kind !== 'classifier' && manifest.tokenizer.type === 'hf'
      ? path.join(dir, manifest.tokenizer.file)
      : null;
  return { ...manifest, dir, modulePath: path.join(dir, manifest.module), tokenizerPath };
}
