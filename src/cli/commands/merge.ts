import type { Command } from 'commander';
import { mergePredictions } from '../../pipeline/merge';
import { addPlotOptions, plotSelection } from '../arguments';
import { RunLog } from '../run-log';
import { describeCalls } from './predict';

export function registerMergeCommand(program: Command): void {
  const command = program
    .command('merge')
    .description(
      "merge the predict folders of split's shards into one run folder (the files, viral_hits.fa or .fq, report.html and the MultiQC files, run.json), in input order",
    )
    .argument('<folders...>', 'predict output folders, one per shard')
    .requiredOption('--manifest <file>', "split's manifest.tsv: every record in it must appear exactly once")
    .requiredOption('-o, --out <dir>', 'output folder');
  addPlotOptions(command).action(async (folders: string[], o) => {
    const commandLine = ['virnucpro', ...process.argv.slice(2)];
    const result = await mergePredictions({
      folders,
      manifest: o.manifest,
      outDir: o.out,
      plot: plotSelection(o),
      command: commandLine,
    });
    // virnucpro.log, as predict leaves one: what was run and what came out
    const log = new RunLog(o.out);
    log.keep(`$ ${commandLine.join(' ')}`);
    log.print(
      `${result.records} records, ${result.frames} frames, ${result.chunks} chunks from ${result.shards} shards: ${describeCalls(result.calls)}`,
    );
    await log.save(`results in ${o.out}: ${[...result.files, log.file.split('/').pop()].join(', ')}`);
  });
}
