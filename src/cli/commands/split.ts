import type { Command } from 'commander';
import { shardFile, splitInputs, SPLIT_MANIFEST } from '../../pipeline/split';
import { positiveInteger } from '../arguments';

export function registerSplitCommand(program: Command): void {
  program
    .command('split')
    .description(
      'deal FASTA or FASTQ records into N gzip shards of the same format, balanced by bases, for one predict job each (see workflow init)',
    )
    .argument('<inputs...>', 'FASTA or FASTQ files, plain or gzip (one format for all)')
    .requiredOption('--shards <n>', 'number of shards', positiveInteger)
    .requiredOption(
      '-o, --out <dir>',
      `folder for the shards (${shardFile('shard-001')} or ${shardFile('shard-001', 'fastq')}, ...) and ${SPLIT_MANIFEST}`,
    )
    .option('--rename-duplicates', 'suffix repeated record ids with _2, _3 instead of failing')
    .action(async (inputs: string[], o) => {
      const result = await splitInputs({
        inputs,
        shards: o.shards,
        outDir: o.out,
        renameDuplicates: Boolean(o.renameDuplicates),
        onWarning: (message) => process.stderr.write(`warning: ${message}\n`),
      });
      for (const shard of result.shards) {
        process.stderr.write(`${shard.file}: ${shard.records} records, ${shard.bases} bases\n`);
      }
      process.stderr.write(
        `${result.records} records in ${result.shards.length} shards; manifest ${o.out}/${SPLIT_MANIFEST}\n`,
      );
    });
}
