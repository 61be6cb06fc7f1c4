#!/usr/bin/env node
import { Command } from 'commander';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { packageRoot } from '../native';
import { registerDemoCommand } from './commands/demo';
import { registerDevicesCommand } from './commands/devices';
import { registerEmbedCommand } from './commands/embed';
import { registerExportCommand } from './commands/export';
import { registerMergeCommand } from './commands/merge';
import { registerPredictCommand } from './commands/predict';
import { registerSplitCommand } from './commands/split';
import { registerTokenizeCommand } from './commands/tokenize';
import { registerValidateCommand } from './commands/validate';
import { registerWorkflowCommand } from './commands/workflow';

function version(): string {
  return JSON.parse(readFileSync(path.join(packageRoot(), 'package.json'), 'utf8')).version;
}

export function buildProgram(): Command {
  const program = new Command('virnucpro')
    .description('VirNucPro viral-sequence classifier on persistent per-device libtorch workers')
    .version(version());
  registerDevicesCommand(program);
  registerEmbedCommand(program);
  registerPredictCommand(program);
  registerSplitCommand(program);
  registerMergeCommand(program);
  registerWorkflowCommand(program);
  registerDemoCommand(program);
  registerExportCommand(program);
  registerTokenizeCommand(program);
  registerValidateCommand(program);
  return program;
}

if (require.main === module) {
  buildProgram()
    .parseAsync(process.argv)
    .catch((error: Error) => {
      console.error(`virnucpro: ${error.message}`);
      process.exit(process.exitCode && process.exitCode !== 0 ? process.exitCode : 1);
    });
}
