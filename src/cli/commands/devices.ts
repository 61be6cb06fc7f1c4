import type { Command } from 'commander';
import type { BuildInfo } from '../../../binding';
import { native } from '../../native';

const GIB = 1024 ** 3;

function gib(bytes: number): string {
  return `${(bytes / GIB).toFixed(1)} GiB`;
}

/** The build and device report as aligned `label  value` lines. */
export function formatBuildInfo(info: BuildInfo): string {
  const rows: [string, string][] = [
    ['torch', info.torchVersion],
    ['variant', info.variant],
    ['cuda', info.cudaVersion ?? '-'],
    ['cuda devices', String(info.cudaDeviceCount)],
    ['alloc conf', info.allocConf ?? '-'],
    ...(info.allocConfNote ? [['', info.allocConfNote] as [string, string]] : []),
    ['threads', `intra-op ${info.intraopThreads}, inter-op ${info.interopThreads}`],
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
    .description('print the libtorch build (cpu or cuda), its devices and the allocator settings')
    .option('--json', 'print JSON instead of text')
    .action((options: { json?: boolean }) => {
      const info = native().buildInfo();
      console.log(options.json ? JSON.stringify(info, null, 2) : formatBuildInfo(info));
    });
}
