import type { Command } from 'commander';
import { mergePredictions } from '../../pipeline/merge';
import { addPlotOptions, plotSelection } from '../arguments';

export function registerMergeCommand(program: Command): void {
  const command = program
    .command('merge')
    .description(
      "merge the predict folders of split's shards into one set of prediction files, in input order",
    )
    .argument('<folders...>', 'predict output folders, one per shard')
    .requiredOption('--manifest <file>', "split's manifest.tsv: every record in it must appear exactly once")
    .requiredOption('-o, --out <dir>', 'output folder');
  addPlotOptions(command).action(async (folders: string[], o) => {
    const result = await mergePredictions({
      folders,
      manifest: o.manifest,
      outDir: o.out,
      plot: plotSelection(o),
    });
    process.stderr.write(
      `${result.records} records, ${result.frames} frames, ${result.chunks} chunks from ${result.shards} shards\n` +
        `results in ${o.out}: ${result.files.join(', ')}\n`,
    );
  });
}
