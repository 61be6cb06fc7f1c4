import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../src/native';
import type { PredictResult } from '../src/pipeline/predict';
import type { PredictRun } from './measurements';
import { runMeasured } from './process-run';

export interface PredictCommand {
  label: string;
  /** folder with esm2/, dnabert-s/ and classifier/ */
  modelsDir: string;
  input: string;
  outDir: string;
  workers: number;
  deterministic: boolean;
  /** --shard-size, when not the default */
  shardSize?: number;
}

type PredictReport = PredictResult & { pool: { forwardSeconds: number } | null };

/** Runs `virnucpro predict` as a user would, into a fresh output folder, and reads its --report. */
export async function runPredictCommand(command: PredictCommand): Promise<PredictRun> {
  await rm(command.outDir, { recursive: true, force: true });
  const report = `${command.outDir}.report.json`;
  const cli = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
  const args = [cli, 'predict', '--models', command.modelsDir, '-o', command.outDir, '--devices', 'cpu'];
  args.push('--workers', String(command.workers), '--report', report, '--no-progress');
  if (command.deterministic) args.push('--deterministic');
  if (command.shardSize !== undefined) args.push('--shard-size', String(command.shardSize));
  const measured = await runMeasured(process.execPath, [...args, command.input]);
  const parsed = JSON.parse(await readFile(report, 'utf8')) as PredictReport;
  if (parsed.failed.length > 0)
    throw new Error(`${command.label}: ${parsed.failed.length} shards failed (${report})`);
  return {
    label: command.label,
    workers: command.workers,
    deterministic: command.deterministic,
    wallSeconds: measured.wallSeconds,
    cpuSeconds: measured.cpuSeconds,
    records: parsed.records,
    frames: parsed.frames,
    embedded: parsed.embedded,
    forwardSeconds: parsed.pool?.forwardSeconds ?? 0,
  };
}
