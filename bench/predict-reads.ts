import type { BenchContext } from './context';
import type { BenchPlan } from './plan';
import { randomCodingReads, seededRandom, type FastaRecord } from './synthetic';

/** The predict cases' reads: gene-like, seeded, the same for every case and repeat of a run. */
export function predictReads(context: BenchContext, workload: BenchPlan['predict']): FastaRecord[] {
  return randomCodingReads(seededRandom(context.seed + 3), workload.reads, workload.readLengths, 'read_');
}
