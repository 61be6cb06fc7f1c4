// Every ratio is measured in several side-by-side repeats; the figures are their minimum and median, so a
// single lucky or disturbed run on a shared machine cannot become the headline.

export interface Spread {
  /** the ratio of each repeat, in the order they ran */
  runs: number[];
  min: number;
  median: number;
}

export function spread(runs: number[]): Spread {
  if (runs.length === 0) throw new Error('a spread needs at least one run');
  const sorted = [...runs].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
  return { runs, min: sorted[0], median };
}

/**
 * Runs `measure` `times` times (it gets the repeat index, for separate output folders) and returns the
 * repeat whose ratio is nearest the median, as the one whose seconds are shown, with the spread.
 */
export async function repeatMeasure<T>(
  times: number,
  measure: (repeat: number) => Promise<T>,
  ratioOf: (outcome: T) => number,
): Promise<{ representative: T; spread: Spread; outcomes: T[] }> {
  const outcomes: T[] = [];
  for (let repeat = 0; repeat < times; repeat++) outcomes.push(await measure(repeat));
  const result = spread(outcomes.map(ratioOf));
  const distance = (outcome: T) => Math.abs(ratioOf(outcome) - result.median);
  const representative = outcomes.reduce((best, outcome) =>
    distance(outcome) < distance(best) ? outcome : best,
  );
  return { representative, spread: result, outcomes };
}
