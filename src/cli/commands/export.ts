import type { Command } from 'commander';
import { runExportScript } from '../../models/export-script';

export function registerExportCommand(program: Command): void {
  program
    .command('export')
    .description('export models for predict (runs scripts/export-models.py; try `virnucpro export --help`)')
    .argument('[args...]', 'esm2 | dnabert-s | classifier | tiny | random, and their options')
    .allowUnknownOption()
    .helpOption(false)
    .action(async (args: string[]) => {
      process.exitCode = await runExportScript(args.length > 0 ? args : ['--help']);
    });
}
