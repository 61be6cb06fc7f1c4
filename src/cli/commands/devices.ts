import type { Command } from 'commander';
import type { BuildInfo } from '../../../binding';
import { cpuBf16, type CpuBf16 } from '../../embed/cpu-bf16';
import { native } from '../../native';

const GIB = 1024 ** 3;

function gib(bytes: number): string {
  return `${(bytes / GIB).toFixed(1)} GiB`;
}

function bf16Text(bf16: CpuBf16): string {
  if (bf16.native === null) return 'unknown (no /proc/cpuinfo)';
  return bf16.native
    ? `native (${bf16.flags.join(', ')}): --dtype bf16 is faster than fp32`
    : 'emulated (no avx512_bf16 or amx_bf16): --dtype bf16 is slower than fp32';
}

/** The build and device report as aligned `label  value` lines. */
export function formatBuildInfo(info: BuildInfo, bf16: CpuBf16): string {
  const rows: [string, string][] = [
    ['torch', info.torchVersion],
    ['variant', info.variant],
    ['cuda', info.cudaVersion ?? '-'],
    ['cuda devices', String(info.cudaDeviceCount)],
    ['alloc conf', info.allocConf ?? '-'],
    ...(info.allocConfNote ? [['', info.allocConfNote] as [string, string]] : []),
    ['threads', `intra-op ${info.intraopThreads}, inter-op ${info.interopThreads}`],
    ['cpu bf16', bf16Text(bf16)],
  ];
  for (const device of info.devices) {
    rows.push([
      `cuda:${device.index}`,
      `${device.name}, ${gib(device.totalMemoryBytes)} total, ${gib(device.freeMemoryBytes)} free`,
    ]);
    const allocator = info.allocator?.[device.index];
    if (allocator) {
      rows.push([
        `  allocator`,
        `${gib(allocator.allocatedBytes)} allocated, ${gib(allocator.reservedBytes)} reserved, ` +
          `${allocator.numOoms} OOMs, ${allocator.numAllocRetries} retries`,
      ]);
    }
  }
  const width = Math.max(...rows.map(([label]) => label.length));
  return rows.map(([label, value]) => `${label.padEnd(width)}  ${value}`).join('\n');
}

export function registerDevicesCommand(program: Command): void {
  program
    .command('devices')
    .description(
      'print the libtorch build (cpu or cuda), its devices, the allocator settings and whether the CPU has native bf16',
    )
    .option('--json', 'print JSON instead of text')
    .action((options: { json?: boolean }) => {
      const info = native().buildInfo();
      const bf16 = cpuBf16();
      console.log(
        options.json ? JSON.stringify({ ...info, cpuBf16: bf16 }, null, 2) : formatBuildInfo(info, bf16),
      );
    });
}
