#!/usr/bin/env node
import { Command } from 'commander';
import { DeviceError } from '../embed/devices';
import { packageVersion } from '../native';
import { PredictError } from '../pipeline/predict-errors';
import { registerDemoCommand } from './commands/demo';
import { registerDevicesCommand } from './commands/devices';
import { registerEmbedCommand } from './commands/embed';
import { registerExportCommand } from './commands/export';
import { registerMergeCommand } from './commands/merge';
import { registerPredictCommand } from './commands/predict';
import { registerRescoreCommand } from './commands/rescore';
import { registerSplitCommand } from './commands/split';
import { registerTokenizeCommand } from './commands/tokenize';
import { registerValidateCommand } from './commands/validate';
import { registerWorkflowCommand } from './commands/workflow';

export function buildProgram(): Command {
  const program = new Command('virnucpro')
    .description('VirNucPro viral-sequence classifier on persistent per-device libtorch workers')
    .version(packageVersion());
  registerDevicesCommand(program);
  registerEmbedCommand(program);
  registerPredictCommand(program);
  registerRescoreCommand(program);
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
      // options that cannot work are usage errors, like commander's own
      const usage = error instanceof DeviceError || error instanceof TypeError;
      if (error instanceof PredictError) process.exit(error.exitCode);
      process.exit(usage ? 2 : process.exitCode && process.exitCode !== 0 ? process.exitCode : 1);
    });
}
