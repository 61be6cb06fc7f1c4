import type { Command } from 'commander';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, rename, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { runExportScript } from '../../models/export-script';
import { packageRoot } from '../../native';
import { PREDICTION_SUMMARY } from '../../pipeline/prediction-files';
import { runPredict } from './predict';

// `virnucpro demo`: predict on examples/demo.fa with tiny random models written on first use, to show
// the pipeline working end to end without downloading gigabytes of weights.

const MEANINGLESS =
  'NOTE: the demo models are tiny networks with random weights. Their scores are meaningless;\n' +
  'they show the pipeline running, not biology. Export the real models for real calls (virnucpro export --help).';

export function demoModelsDir(): string {
  const cache = process.env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache');
  return path.join(cache, 'virnucpro', 'demo-models');
}

/** Writes the tiny demo models into the cache once (to a temporary folder renamed into place). */
export async function ensureDemoModels(dir: string): Promise<void> {
  if (existsSync(path.join(dir, 'classifier', 'manifest.json'))) return;
  process.stderr.write(`writing the tiny demo models to ${dir} (first use)\n`);
  await mkdir(path.dirname(dir), { recursive: true });
  const partial = `${dir}.${process.pid}.partial`;
  await rm(partial, { recursive: true, force: true });
  await runExportScript(['tiny', '--out', partial], 'pipe');
  await rm(dir, { recursive: true, force: true });
  await rename(partial, dir);
}

export function registerDemoCommand(program: Command): void {
  program
    .command('demo')
    .description('run predict on the bundled example FASTA with tiny demo models (scores are meaningless)')
    .option('-o, --out <dir>', 'output folder (replaced if it exists)', 'virnucpro-demo')
    .option('--models <dir>', 'where the demo models are cached', demoModelsDir())
    .option('--no-progress', 'plain log lines instead of progress bars')
    .action(async (o: { out: string; models: string; progress: boolean }) => {
      process.stderr.write(`${MEANINGLESS}\n\n`);
      await ensureDemoModels(o.models);
      const input = path.join(packageRoot(), 'examples', 'demo.fa');
      const result = await runPredict(
        { inputs: [input], outDir: o.out, models: o.models, force: true },
        o.progress,
      );
      if (!result) return;
      process.stdout.write(readFileSync(path.join(o.out, PREDICTION_SUMMARY), 'utf8'));
      process.stderr.write(`\n${MEANINGLESS}\n`);
    });
}
