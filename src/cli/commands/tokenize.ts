import type { Command } from 'commander';
import { once } from 'node:events';
import { readEmbeddingManifest, loadTokenizer } from '../../embed/embedding-model';
import { readFasta } from '../../io/fasta';
import { native } from '../../native';

const chunkSize = 10_000;

async function printTokens(name: string, sequences: string[]): Promise<void> {
  const { ids, offsets } = await native().tokenize(name, sequences);
  const lines = sequences.map((_, i) => JSON.stringify(Array.from(ids.subarray(offsets[i], offsets[i + 1]))));
  if (!process.stdout.write(`${lines.join('\n')}\n`)) await once(process.stdout, 'drain');
}

export function registerTokenizeCommand(program: Command): void {
  program
    .command('tokenize')
    .description("print each record's token ids (with the specials the model adds) as a JSON array per line")
    .requiredOption('--model <dir>', 'exported model folder (esm2 or dnabert-s)')
    .argument('<file>', 'FASTA file (plain or .gz)')
    .action(async (file: string, options: { model: string }) => {
      const name = loadTokenizer(readEmbeddingManifest(options.model));
      let sequences: string[] = [];
      for await (const record of readFasta(file, { duplicateIds: 'allow' })) {
        sequences.push(record.sequence);
        if (sequences.length === chunkSize) {
          await printTokens(name, sequences);
          sequences = [];
        }
      }
      if (sequences.length > 0) await printTokens(name, sequences);
    });
}
