import { InvalidArgumentError, Option, type Command } from 'commander';
import type { EngineOptions } from '../embed/engine-options';
import { engineDefaults, engineFlags, type EngineFlag } from '../embed/options';
import type { PlotSelection } from '../pipeline/plot';

// Option parsers shared by the commands, and the engine's flags built from its one option table.

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

const parsers: Record<NonNullable<EngineFlag['parse']>, (value: string) => unknown> = {
  'positive-integer': positiveInteger,
  'whole-number': nonNegativeInteger,
  devices,
};

const engineKeys = Object.keys(engineFlags) as (keyof EngineOptions)[];

function engineOption(key: keyof EngineOptions): Option {
  const { flags, description, parse, choices } = engineFlags[key];
  const option = new Option(flags, description);
  if (parse) option.argParser(parsers[parse]);
  if (choices) option.choices(choices);
  const fallback = engineDefaults[key];
  if (fallback !== null && typeof fallback !== 'boolean') option.default(fallback);
  return option;
}

/** The embedding engine's options, the same flags for every command that runs the worker pool. */
export function addEngineOptions(command: Command): Command {
  for (const key of engineKeys) command.addOption(engineOption(key));
  return command;
}

/** The engine options out of parsed flags (commander's attribute names, mapped back to the table's). */
export function engineOptionsFrom(parsed: Record<string, unknown>): EngineOptions {
  const options = { ...engineDefaults };
  for (const key of engineKeys) {
    const value = parsed[engineOption(key).attributeName()];
    if (value !== undefined) (options as Record<string, unknown>)[key] = value;
  }
  return options;
}

/** --plot-count / --plot-ids: the records whose score tracks prediction_plot.svg draws. */
export function addPlotOptions(command: Command, countDefault: number | null = 20): Command {
  const count = new Option(
    '--plot-count <n>',
    'score tracks of the n records with the best virus scores in prediction_plot.svg',
  ).argParser(nonNegativeInteger);
  if (countDefault !== null) count.default(countDefault);
  return command
    .addOption(count)
    .option('--plot-ids <ids>', 'comma-separated record ids whose tracks to draw instead of the best ones');
}

/** A score between 0 and 1. */
export function score(value: string): number {
  const parsed = Number(value);
  if (value.trim() === '' || !(parsed >= 0 && parsed <= 1)) {
    throw new InvalidArgumentError('expected a number from 0 to 1');
  }
  return parsed;
}

/** --min-score: the extra condition of a virus call. */
export function minScoreOption(fallback: number | null = 0): Option {
  const option = new Option(
    '--min-score <x>',
    "call a chunk virus only when VirNucPro's rule does and its best virus score is at least x",
  ).argParser(score);
  return fallback === null ? option : option.default(fallback);
}

export function plotSelection(options: { plotIds?: string; plotCount: number }): PlotSelection {
  return options.plotIds ? { ids: String(options.plotIds).split(',') } : { count: options.plotCount };
}
