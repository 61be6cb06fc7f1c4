import { readFileSync } from 'node:fs';
import path from 'node:path';
import type { Dtype } from '../binding';
import { peakTflops } from './device-peaks';
import type { CudaRun, CudaSection } from './measurements';
import { forwardFlops, type ModelShape } from './model-shape';

// Reads the folder bench/cuda/run-cuda-bench.sh writes: runs.jsonl (one line per completed run),
// raw/<run>.json (virnucpro-run --json) and manifests/<model>.json.

interface IndexLine {
  model: string;
  file: string;
  requestedAllocConf: string;
}

interface RunnerReport {
  build: {
    allocConf: string | null;
    devices: { name: string }[];
    allocator: { peakAllocatedBytes: number; peakReservedBytes: number }[];
  };
  dtype: Dtype;
  batch: [number, number];
  msPerIter: number;
  tokensPerSecond: number;
  cacheClearInterval?: number;
}

const mebibyte = 2 ** 20;

function readJson<T>(file: string): T {
  return JSON.parse(readFileSync(file, 'utf8')) as T;
}

function manifestShape(file: string): ModelShape {
  const manifest = readJson<{
    kind: ModelShape['kind'];
    layers: number;
    dim: number;
    heads: number;
    vocab_size: number;
  }>(file);
  return {
    kind: manifest.kind,
    layers: manifest.layers,
    dim: manifest.dim,
    heads: manifest.heads,
    vocabSize: manifest.vocab_size,
  };
}

export function cudaRun(
  model: string,
  shape: ModelShape,
  requestedAllocConf: string,
  report: RunnerReport,
): CudaRun {
  const [rows, length] = report.batch;
  const device = report.build.devices[0]?.name ?? 'cpu';
  const achievedTflops = forwardFlops(shape, rows, length) / (report.msPerIter / 1000) / 1e12;
  const peak = peakTflops(device, report.dtype);
  const allocator = report.build.allocator[0];
  return {
    arch: model,
    dtype: report.dtype,
    allocConf: report.build.allocConf ?? requestedAllocConf,
    cacheClearInterval: report.cacheClearInterval ? report.cacheClearInterval : null,
    rows,
    length,
    tokensPerSecond: report.tokensPerSecond,
    peakAllocatedMb: (allocator?.peakAllocatedBytes ?? 0) / mebibyte,
    peakReservedMb: (allocator?.peakReservedBytes ?? 0) / mebibyte,
    achievedTflops,
    peakTflops: peak,
    fractionOfPeak: peak === null ? null : achievedTflops / peak,
  };
}

export function readCudaResults(dir: string): CudaSection {
  const lines = readFileSync(path.join(dir, 'runs.jsonl'), 'utf8').split('\n').filter(Boolean);
  if (lines.length === 0) return { skipped: `${dir}: no completed runs in runs.jsonl` };
  const shapes = new Map<string, ModelShape>();
  let device = 'cpu';
  const runs = lines.map((line) => {
    const entry = JSON.parse(line) as IndexLine;
    if (!shapes.has(entry.model)) {
      shapes.set(entry.model, manifestShape(path.join(dir, 'manifests', `${entry.model}.json`)));
    }
    const report = readJson<RunnerReport>(path.join(dir, entry.file));
    device = report.build.devices[0]?.name ?? device;
    return cudaRun(entry.model, shapes.get(entry.model) as ModelShape, entry.requestedAllocConf, report);
  });
  return { device, runs };
}
