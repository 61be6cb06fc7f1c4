import type { Command } from 'commander';
import { writeFileAtomic } from '../../io/atomic-write';
import { addEngineOptions, engineOptionsFrom } from '../arguments';
import { createEmbeddingPool, type EmbedFilesResult, type Job, type PoolEvent } from '../../embed';
import { stopsAllWrites } from '../../io/file-errors';
import { checkWritablePath } from '../../pipeline/run-folder';

const inputOf = (job: Job): string => (typeof job.input === 'string' ? job.input : job.input.join(', '));

function describe(event: PoolEvent, verbose: boolean): string | null {
  switch (event.type) {
    case 'job-done':
      return `[${event.done}/${event.total}] ${inputOf(event.job)}: ${event.stats.sequences} sequences (worker ${event.worker})`;
    case 'job-skipped':
      return `skipped ${inputOf(event.job)}: ${event.job.output} is complete`;
    case 'job-failed':
      return `FAILED ${inputOf(event.job)}: ${event.message} (${event.code})`;
    case 'worker-died': {
      const how = event.signal ?? `exit code ${event.code}`;
      const retry = event.retrying.length > 0 ? `; retrying ${event.retrying.length} file(s)` : '';
      return `worker ${event.worker} died (${how})${retry}`;
    }
    case 'batch':
      return verbose
        ? `batch of ${event.sequences} sequences, ${event.tokens} tokens (worker ${event.worker})`
        : null;
  }
}

/**
 * 0 when every file is embedded or skipped, 1 when nothing succeeded or the outputs cannot be
 * written at all (a full disk), 2 for a partial run.
 */
function exitCode(result: EmbedFilesResult): number {
  const unfinished = result.failed.length + result.interrupted.length;
  if (unfinished === 0) return 0;
  if (result.failed.some((failure) => stopsAllWrites(failure.code))) return 1;
  return result.outputs.length + result.skipped.length === 0 ? 1 : 2;
}

export function registerEmbedCommand(program: Command): void {
  const command = program
    .command('embed')
    .description('embed every record of FASTA files into <outdir>/<name>.safetensors with a pool of workers')
    .requiredOption('--model <dir>', 'exported model folder (esm2 or dnabert-s)')
    .requiredOption('-o, --out <dir>', 'output folder');
  addEngineOptions(command)
    .option('--allow-duplicate-ids', 'accept repeated record ids in a file')
    .option('--resume', 'keep complete outputs and embed the rest (what embed always does)')
    .option('--report <file>', 'write the run statistics as JSON')
    .option('--verbose', 'also print a line per forward batch')
    .argument('<files...>', 'FASTA files (plain or .gz)')
    .action(async (files: string[], options) => {
      // paths and devices (the pool's constructor) are checked before anything is created
      await checkWritablePath(options.out, 'the output folder', 'folder');
      if (options.report) await checkWritablePath(options.report, 'the report', 'file', [options.out]);
      const pool = createEmbeddingPool({
        ...engineOptionsFrom(options),
        models: [options.model],
        duplicateIds: options.allowDuplicateIds ? 'allow' : 'error',
      });
      for (const note of pool.notes) process.stderr.write(`${note}\n`);
      pool.on('progress', (event) => {
        const line = describe(event, Boolean(options.verbose));
        if (line) process.stderr.write(`${line}\n`);
        // no other output can be written either: stop instead of computing embeddings to throw away
        if (event.type === 'job-failed' && stopsAllWrites(event.code)) {
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
