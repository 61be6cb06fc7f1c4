import os from 'node:os';
import {
  cpuWorkerOverheadBytes,
  defaultCpuWorkers,
  DeviceError,
  planWorkerSlots,
  resolveDtype,
  visibleGpuId,
} from '../../src/embed/devices';

// Device planning in the parent: counted without creating CUDA contexts, refused before any work.

describe('planWorkerSlots', () => {
  it('divides the cores between CPU workers, which see no GPU and compute in fp32 by default', () => {
    const slots = planWorkerSlots('cpu', 2, 'auto');
    expect(slots).toHaveLength(2);
    expect(slots[0]).toMatchObject({
      device: 'cpu',
      dtype: 'fp32',
      threads: Math.max(1, Math.floor(os.availableParallelism() / 2)),
      env: { CUDA_VISIBLE_DEVICES: '' },
    });
  });

  it("runs on the CPU for 'all' when the addon sees no GPU", () => {
    expect(planWorkerSlots('all', 1, 'auto').map((slot) => slot.device)).toEqual(['cpu']);
  });

  it('refuses GPU indices this machine does not have, naming them, before anything starts', () => {
    expect(() => planWorkerSlots([7], 1, 'auto')).toThrow(DeviceError);
    expect(() => planWorkerSlots([0, 7], 1, 'auto')).toThrow(/GPU 0, 7 requested.*--devices cpu/);
  });
});

describe('defaultCpuWorkers', () => {
  const GiB = 2 ** 30;
  it('gives every core its own single-threaded worker when the models fit that often', () => {
    // 16 cores, 64 GiB available, a 0.5 GiB model: 48 GiB / 1 GiB per worker = 48 would fit
    expect(defaultCpuWorkers(16, 64 * GiB, 0.5 * GiB)).toBe(16);
    expect(defaultCpuWorkers(2, 8 * GiB, 0)).toBe(2);
  });

  it('takes fewer workers when each copy of the models would not fit in three quarters of the memory', () => {
    // ESM-2 3B (11.4 GB) and DNABERT-S (0.47 GB), 0.54 GB beside them, on 64 cores with 128 GiB:
    // 103.1 GB / 12.41 GB = 8.3
    const models = 11.4e9 + 0.47e9;
    expect(cpuWorkerOverheadBytes).toBe(536870912);
    expect(defaultCpuWorkers(64, 128 * GiB, models)).toBe(8);
    // never none: one worker even where a copy does not fit
    expect(defaultCpuWorkers(8, 4 * GiB, 12e9)).toBe(1);
  });

  it('is what a pool gets without a worker count: one-thread CPU slots, one per core memory allowing', () => {
    const slots = planWorkerSlots('cpu', null, 'auto', null, false, 1024);
    expect(slots).toHaveLength(defaultCpuWorkers(os.availableParallelism(), os.freemem(), 1024));
    expect(slots[0].threads).toBe(Math.max(1, Math.floor(os.availableParallelism() / slots.length)));
  });
});

describe('resolveDtype', () => {
  it('auto is fp32 on CPU and bf16 on CUDA; an explicit choice stays', () => {
    expect(resolveDtype('auto', 'cpu')).toBe('fp32');
    expect(resolveDtype('auto', 'cuda:0')).toBe('bf16');
    expect(resolveDtype('fp16', 'cuda:0')).toBe('fp16');
  });
});

describe('visibleGpuId', () => {
  it('maps the parent-relative index through the parent CUDA_VISIBLE_DEVICES', () => {
    expect(visibleGpuId(1, undefined)).toBe('1');
    expect(visibleGpuId(0, '2,3')).toBe('2');
    expect(visibleGpuId(1, ' 2, 3')).toBe('3');
    expect(visibleGpuId(1, 'GPU-aaaa,GPU-bbbb')).toBe('GPU-bbbb');
  });
});
