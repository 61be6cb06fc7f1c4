import type { Command } from 'commander';
import { writeFileAtomic } from '../../io/atomic-write';
import { stopsAllWrites } from '../../io/file-errors';
import { addEngineOptions, positiveInteger } from '../arguments';
import { createEmbeddingPool, type EmbedFilesResult, type PoolEvent } from '../../embed';

function describe(event: PoolEvent): string | null {
  switch (event.type) {
    case 'file-done':
      return `[${event.done}/${event.total}] ${event.file}: ${event.sequences} sequences (worker ${event.worker})`;
    case 'file-skipped':
      return `skipped ${event.file}: ${event.output} is complete`;
    case 'file-failed':
      return `FAILED ${event.file}: ${event.error}`;
    case 'worker-died': {
      const how = event.signal ?? `exit code ${event.code}`;
      const retry = event.retrying.length > 0 ? `; retrying ${event.retrying.join(', ')}` : '';
      return `worker ${event.worker} died (${how})${retry}`;
    }
    case 'batch':
      return null;
  }
}

/**
 * 0 when every file is embedded or skipped, 1 when nothing succeeded or the outputs cannot be
 * written at all (a full disk), 2 for a partial run.
 */
function exitCode(result: EmbedFilesResult): number {
  const unfinished = result.failed.length + result.interrupted.length;
  if (unfinished === 0) return 0;
  if (result.failed.some(stopsAllWrites)) return 1;
  return result.outputs.length + result.skipped.length === 0 ? 1 : 2;
}

export function registerEmbedCommand(program: Command): void {
  const command = program
    .command('embed')
    .description('embed every record of FASTA files into <outdir>/<name>.safetensors with a pool of workers')
    .requiredOption('--model <dir>', 'exported model folder (esm2 or dnabert-s)')
    .requiredOption('-o, --out <dir>', 'output folder');
  addEngineOptions(command)
    .option('--no-persistent-models', 'start a fresh process, loading the model, for every file')
    .option('--cache-clear-interval <n>', 'empty the CUDA cache every n files', positiveInteger, 10)
    .option('--allow-duplicate-ids', 'accept repeated record ids in a file')
    .option('--resume', 'keep complete outputs and embed the rest (what embed always does)')
    .option('--report <file>', 'write the run statistics as JSON')
    .argument('<files...>', 'FASTA files (plain or .gz)')
    .action(async (files: string[], options) => {
      const pool = createEmbeddingPool({
        models: [options.model],
        devices: options.devices,
        workers: options.workers,
        tokensPerBatch: options.tokensPerBatch ?? null,
        dtype: options.dtype,
        persistent: options.persistentModels,
        cacheClearInterval: options.cacheClearInterval,
        duplicateIds: options.allowDuplicateIds ? 'allow' : 'error',
      });
      pool.on('progress', (event) => {
        const line = describe(event);
        if (line) process.stderr.write(`${line}\n`);
        // no other output can be written either: stop instead of computing embeddings to throw away
        if (event.type === 'file-failed' && stopsAllWrites(event)) {
          process.stderr.write('stopping: no output can be written; fix that and rerun to continue\n');
          void pool.close();
        }
      });
      let signalled: NodeJS.Signals | null = null;
      const stop = (signal: NodeJS.Signals) => {
        signalled = signal;
        process.stderr.write(
          `${signal}: stopping; outputs not yet complete are not written, a rerun resumes\n`,
        );
        void pool.close();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      let result: EmbedFilesResult;
      try {
        result = await pool.embedFiles(files, options.out);
      } finally {
        await pool.close();
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
      }
      const stats = pool.stats();
      if (options.report) {
        const report = { outDir: options.out, model: options.model, ...result, stats };
        await writeFileAtomic(options.report, `${JSON.stringify(report, null, 2)}\n`);
      }
      const interrupted = result.interrupted.length > 0 ? `, ${result.interrupted.length} interrupted` : '';
      const summary = `${result.outputs.length} embedded, ${result.skipped.length} skipped, ${result.failed.length} failed${interrupted}`;
      process.stderr.write(`${summary}, ${stats.sequences} sequences in ${stats.wallSeconds.toFixed(1)} s\n`);
      process.exitCode = signalled === 'SIGINT' ? 130 : signalled === 'SIGTERM' ? 143 : exitCode(result);
    });
}
