import os from 'node:os';
import { DeviceError, planWorkerSlots, resolveDtype, visibleGpuId } from '../../src/embed/devices';

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
