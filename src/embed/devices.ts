import os from 'node:os';
import type { Dtype } from '../../binding';
import { native } from '../native';
import type { Devices, DtypeChoice } from './engine-options';

// Which worker processes a run gets and what each sees. The parent only counts GPUs (no CUDA context is
// created here); every worker learns its single GPU through CUDA_VISIBLE_DEVICES. The allocator setting
// (PYTORCH_CUDA_ALLOC_CONF) is the addon's rule: it applies it in each worker before CUDA starts, and
// the environment passes through unchanged.

/** A usage error: the options ask for devices this machine does not have. */
export class DeviceError extends Error {
  override name = 'DeviceError';
}

export interface WorkerSlot {
  /** 'cpu' or 'cuda:N' as numbered for the parent (for reports) */
  label: string;
  /** what the worker passes to the addon: 'cpu', or 'cuda:0' (its one visible GPU) */
  device: 'cpu' | 'cuda:0';
  dtype: Dtype;
  /** intra-op threads on CPU; null leaves libtorch's default */
  threads: number | null;
  env: NodeJS.ProcessEnv;
}

export function resolveDtype(dtype: DtypeChoice, device: string): Dtype {
  if (dtype !== 'auto') return dtype;
  return device === 'cpu' ? 'fp32' : 'bf16';
}

/**
 * The physical id to give a worker for the parent's GPU `index`: the parent's own CUDA_VISIBLE_DEVICES
 * may already narrow and renumber the GPUs (indices 0,1 under CUDA_VISIBLE_DEVICES=2,3 are GPUs 2,3).
 */
export function visibleGpuId(index: number, parentVisible: string | undefined): string {
  if (parentVisible === undefined || parentVisible.trim() === '') return String(index);
  return parentVisible.split(',')[index].trim();
}

/**
 * The worker slots for `devices`: one per GPU, or `workers` CPU slots, each with `threads` intra-op
 * threads (null: the cores divided between them). Deterministic CPU workers use one thread each:
 * libtorch's CPU kernels split sums by thread count.
 */
export function planWorkerSlots(
  devices: Devices,
  workers: number,
  dtype: DtypeChoice,
  threads: number | null = null,
  deterministic = false,
): WorkerSlot[] {
  const count = devices === 'cpu' ? 0 : native().cudaDeviceCount();
  const gpus =
    devices === 'all' ? Array.from({ length: count }, (_, i) => i) : devices === 'cpu' ? [] : devices;
  const missing = gpus.filter((gpu) => gpu >= count);
  if (missing.length > 0) {
    throw new DeviceError(
      count === 0
        ? `GPU ${missing.join(', ')} requested, but this addon sees no CUDA device (its libtorch is ${
            native().buildInfo().variant
          }); use --devices cpu`
        : `GPU ${missing.join(', ')} requested, but only ${count} CUDA device(s) are visible (0..${count - 1})`,
    );
  }
  if (gpus.length > 0) {
    const parentVisible = process.env.CUDA_VISIBLE_DEVICES;
    return gpus.map((gpu) => ({
      label: `cuda:${gpu}`,
      device: 'cuda:0',
      dtype: resolveDtype(dtype, 'cuda:0'),
      threads: null,
      env: { CUDA_VISIBLE_DEVICES: visibleGpuId(gpu, parentVisible) },
    }));
  }
  const cpuThreads = deterministic
    ? 1
    : (threads ?? Math.max(1, Math.floor(os.availableParallelism() / workers)));
  return Array.from({ length: workers }, () => ({
    label: 'cpu',
    device: 'cpu',
    dtype: resolveDtype(dtype, 'cpu'),
    threads: cpuThreads,
    env: { CUDA_VISIBLE_DEVICES: '' },
  }));
}
