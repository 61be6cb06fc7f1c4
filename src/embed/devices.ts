import { statSync } from 'node:fs';
import os from 'node:os';
import type { Dtype } from '../../binding';
import { readManifest } from '../models/manifest';
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

/** The sizes of the model files in these folders (null: none), what each worker will load. */
export function modelFolderBytes(dirs: (string | null)[]): number {
  return dirs.reduce(
    (sum, dir) => (dir === null ? sum : sum + statSync(readManifest(dir).modulePath).size),
    0,
  );
}

/** What a CPU worker holds beside its models' weights: Node, libtorch, one batch's activations. */
export const cpuWorkerOverheadBytes = 512 * 2 ** 20;

/**
 * CPU workers when none are asked for: one per core, each single-threaded (measured faster than one
 * worker with every core: 1.42x on the ESM-2 8M shape, 1.62x (1.33x-1.68x) on the 35M one, docs/benchmarks.md; the
 * small per-head attention products gain nothing from several threads). Fewer where memory is short:
 * every worker holds its own copy of the models (`modelBytes`, their files' sizes), and together they
 * take at most three quarters of the available memory.
 */
export function defaultCpuWorkers(cores: number, availableBytes: number, modelBytes: number): number {
  const fit = Math.floor((0.75 * availableBytes) / (modelBytes + cpuWorkerOverheadBytes));
  return Math.max(1, Math.min(cores, fit));
}

/**
 * The worker slots for `devices`: one per GPU, or `workers` CPU slots (null: defaultCpuWorkers for
 * models of `modelBytes`), each with `threads` intra-op threads (null: the cores divided between them).
 * Deterministic CPU workers use one thread each: libtorch's CPU kernels split sums by thread count.
 */
export function planWorkerSlots(
  devices: Devices,
  workers: number | null,
  dtype: DtypeChoice,
  threads: number | null = null,
  deterministic = false,
  modelBytes = 0,
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
  const cores = os.availableParallelism();
  const cpuWorkers = workers ?? defaultCpuWorkers(cores, os.freemem(), modelBytes);
  const cpuThreads = deterministic ? 1 : (threads ?? Math.max(1, Math.floor(cores / cpuWorkers)));
  return Array.from({ length: cpuWorkers }, () => ({
    label: 'cpu',
    device: 'cpu',
    dtype: resolveDtype(dtype, 'cpu'),
    threads: cpuThreads,
    env: { CUDA_VISIBLE_DEVICES: '' },
  }));
}
