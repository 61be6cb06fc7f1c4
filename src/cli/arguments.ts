import { InvalidArgumentError, Option, type Command } from 'commander';
import type { PlotSelection } from '../pipeline/plot';

// Option parsers shared by the commands.

export function positiveInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 1) throw new InvalidArgumentError('expected a positive integer');
  return parsed;
}

export function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!Number.isInteger(parsed) || parsed < 0) throw new InvalidArgumentError('expected a whole number');
  return parsed;
}

/** --devices: 'cpu', 'all', or GPU indices like 0,1 */
export function devices(value: string): 'cpu' | 'all' | number[] {
  if (value === 'cpu' || value === 'all') return value;
  if (!/^\d+(,\d+)*$/.test(value))
    throw new InvalidArgumentError("expected 'cpu', 'all' or GPU indices like 0,1");
  return value.split(',').map(Number);
}

/** The embedding engine's options, the same for every command that runs the worker pool. */
export function addEngineOptions(command: Command): Command {
  return command
    .option('--devices <list>', "'cpu', GPU indices (0,1) or 'all'", devices, 'cpu')
    .option('--workers <n>', 'CPU worker processes (cores are divided)', positiveInteger, 1)
    .option(
      '--tokens-per-batch <n>',
      'padded tokens per forward call (default: from device memory)',
      positiveInteger,
    )
    .addOption(
      new Option('--dtype <dtype>', 'weights and activations on the device')
        .choices(['fp32', 'fp16', 'bf16'])
        .default('fp32'),
    );
}

/** --plot-count / --plot-ids: the records drawn in prediction_plot.svg. */
export function addPlotOptions(command: Command): Command {
  return command
    .option('--plot-count <n>', 'records drawn in prediction_plot.svg', nonNegativeInteger, 20)
    .option('--plot-ids <ids>', 'comma-separated record ids to draw instead of the first ones');
}

export function plotSelection(options: { plotIds?: string; plotCount: number }): PlotSelection {
  return options.plotIds ? { ids: String(options.plotIds).split(',') } : { count: options.plotCount };
}
