import { readFile, rm } from 'node:fs/promises';
import path from 'node:path';
import { packageRoot } from '../src/native';
import type { EmbedRun } from './measurements';
import { runMeasured } from './process-run';

export interface EmbedCommand {
  label: string;
  modelDir: string;
  files: string[];
  outDir: string;
  /** null: the engine's default */
  workers: number | null;
  persistent: boolean;
  /** the machine's cores divided between workers, as the pool does */
  cores: number;
  /** seconds one model load takes in a fresh process, to turn load counts into seconds */
  secondsPerLoad: number | null;
  /** more `embed` options (--dtype bf16) */
  extraArgs?: string[];
}

interface EmbedReport {
  stats: {
    modelLoads: number;
    sequences: number;
    tokens: number;
    forwardSeconds: number;
    wallSeconds: number;
    batches: number;
    paddedTokens: number;
    workers: unknown[];
  };
  failed: unknown[];
}

export interface EmbedCommandResult {
  run: EmbedRun;
  /** the pool's own wall seconds, from its creation to close */
  poolWallSeconds: number;
  /** forward calls and the padded tokens they ran (rows x width summed), from the pool's stats */
  batches: number;
  paddedTokens: number;
  /** worker processes the pool ran */
  workerCount: number;
}

/** Runs `virnucpro embed` as a user would, from a clean output folder, and reads its --report. */
export async function runEmbedCommand(command: EmbedCommand): Promise<EmbedCommandResult> {
  await rm(command.outDir, { recursive: true, force: true });
  const report = `${command.outDir}.report.json`;
  const cli = path.join(packageRoot(), 'dist', 'src', 'cli', 'main.js');
  const args = [cli, 'embed', '--model', command.modelDir, '-o', command.outDir, '--devices', 'cpu'];
  if (command.workers !== null) args.push('--workers', String(command.workers));
  args.push('--report', report);
  if (!command.persistent) args.push('--no-persistent-models');
  args.push(...(command.extraArgs ?? []));
  const measured = await runMeasured(process.execPath, [...args, ...command.files]);
  const parsed = JSON.parse(await readFile(report, 'utf8')) as EmbedReport;
  if (parsed.failed.length > 0)
    throw new Error(`${command.label}: ${parsed.failed.length} files failed (${report})`);
  const { stats } = parsed;
  const workerPeaks = measured.peaks.filter((peak) => /worker\.js/.test(peak.command));
  return {
    poolWallSeconds: stats.wallSeconds,
    batches: stats.batches,
    paddedTokens: stats.paddedTokens,
    workerCount: stats.workers.length,
    run: {
      label: command.label,
      workers: stats.workers.length,
      threadsPerWorker: Math.max(1, Math.floor(command.cores / stats.workers.length)),
      wallSeconds: measured.wallSeconds,
      cpuSeconds: measured.cpuSeconds,
      modelLoads: stats.modelLoads,
      modelLoadSeconds: command.secondsPerLoad === null ? null : stats.modelLoads * command.secondsPerLoad,
      forwardSeconds: stats.forwardSeconds,
      sequences: stats.sequences,
      tokens: stats.tokens,
      peakRssMb: workerPeaks.map((peak) => peak.peakRssMb),
    },
  };
}
