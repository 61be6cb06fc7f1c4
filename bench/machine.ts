import { readFileSync } from 'node:fs';
import os from 'node:os';
import { native } from '../src/native';
import { pythonCommand } from './models';
import { runMeasured } from './process-run';
import type { MachineInfo } from './results';

function cpuModel(): string {
  const match = /^model name\s*:\s*(.+)$/m.exec(readFileSync('/proc/cpuinfo', 'utf8'));
  return match ? match[1].trim() : (os.cpus()[0]?.model ?? 'unknown');
}

// fp32 matmul rate of Python torch with every core: a reference BLAS (Debian's default libblas3) shows
// up as a few GFLOP/s, an optimised one (OpenBLAS, MKL) as tens or more. Every CPU figure depends on it.
const blasProbe = `
import sys, time, torch
torch.set_num_threads(int(sys.argv[1]))
a = torch.randn(512, 512)
a @ a
started = time.perf_counter()
for _ in range(10):
    a @ a
print(10 * 2 * 512 ** 3 / (time.perf_counter() - started) / 1e9)
`;

async function blasGflops(cores: number): Promise<number | null> {
  try {
    const run = await runMeasured(pythonCommand, ['-c', blasProbe, String(cores)]);
    return Number(run.stdout.trim());
  } catch {
    return null;
  }
}

export async function machineInfo(): Promise<MachineInfo> {
  const info = native().buildInfo();
  const cores = os.availableParallelism();
  return {
    cpuModel: cpuModel(),
    cores,
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    torchVersion: info.torchVersion,
    variant: info.variant,
    blasGflops: await blasGflops(cores),
  };
}
