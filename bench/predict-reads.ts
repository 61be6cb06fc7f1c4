import type { BenchContext } from './context';
import type { PredictPlan } from './plan';
import { randomCodingReads, seededRandom, type FastaRecord } from './synthetic';

/** The predict cases' reads: gene-like, seeded, the same for every case and repeat of a run. */
export function predictReads(context: BenchContext, workload: PredictPlan): FastaRecord[] {
  return randomCodingReads(seededRandom(context.seed + 3), workload.reads, workload.readLengths, 'read_');
}
