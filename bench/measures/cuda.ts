import path from 'node:path';
import { native, packageRoot } from '../../src/native';
import type { BenchContext } from '../context';
import { readCudaResults } from '../cuda-results';
import type { CudaSection } from '../measurements';
import { pythonCommand } from '../models';
import { CommandFailedError, runMeasured } from '../process-run';

/**
 * On a CUDA build, the sweep of bench/cuda/run-cuda-bench.sh with the virnucpro-run built beside the
 * addon; elsewhere a line saying why it was skipped.
 */
export async function measureCuda(context: BenchContext): Promise<CudaSection> {
  const info = native().buildInfo();
  if (info.variant !== 'cuda' || info.cudaDeviceCount === 0) {
    return {
      skipped:
        `this build is ${info.variant} (torch ${info.torchVersion}, ${info.cudaDeviceCount} CUDA devices): ` +
        'no CUDA figures; on a GPU machine run bench/cuda/run-cuda-bench.sh',
    };
  }
  const out = path.join(context.workDir, 'cuda');
  const script = path.join(packageRoot(), 'bench', 'cuda', 'run-cuda-bench.sh');
  const runner = path.join(packageRoot(), 'build', 'Release', 'virnucpro-run');
  context.log(`cuda: ${info.devices[0]?.name}: sweep through ${runner}`);
  try {
    await runMeasured('bash', [script, '--runner', runner, '--models', context.modelCacheDir, out], {
      env: { ...process.env, VIRNUCPRO_PYTHON: pythonCommand },
    });
  } catch (error) {
    // a run that failed (an out-of-memory shape, say) leaves the others in the index
    if (!(error instanceof CommandFailedError)) throw error;
    context.log(`cuda: some runs failed:\n${error.message}`);
  }
  return readCudaResults(out);
}
