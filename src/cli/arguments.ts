import { InvalidArgumentError } from 'commander';

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
