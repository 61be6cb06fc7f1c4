import type { Dtype } from '../binding';

// Dense (no sparsity) peak matrix throughput in TFLOP/s from the vendors' data sheets, matched on the
// device name CUDA reports. fp32 is the plain CUDA-core rate: libtorch leaves TF32 off for matmuls.
interface DevicePeak {
  pattern: RegExp;
  tflops: Record<Dtype, number | null>;
}

const devicePeaks: DevicePeak[] = [
  { pattern: /H200|H100.*(SXM|HBM3)|GH200/i, tflops: { fp32: 67, fp16: 989, bf16: 989 } },
  { pattern: /H100/i, tflops: { fp32: 51, fp16: 756, bf16: 756 } },
  { pattern: /A100/i, tflops: { fp32: 19.5, fp16: 312, bf16: 312 } },
  { pattern: /L40S/i, tflops: { fp32: 91.6, fp16: 362, bf16: 362 } },
  { pattern: /RTX 4090/i, tflops: { fp32: 82.6, fp16: 165, bf16: 165 } },
  { pattern: /A10\b|A10G/i, tflops: { fp32: 31.2, fp16: 125, bf16: 125 } },
  { pattern: /V100/i, tflops: { fp32: 15.7, fp16: 125, bf16: null } },
  { pattern: /T4\b/i, tflops: { fp32: 8.1, fp16: 65, bf16: null } },
];

/** Peak TFLOP/s of a device for a dtype, or null when the device is not in the table. */
export function peakTflops(deviceName: string, dtype: Dtype): number | null {
  return devicePeaks.find((peak) => peak.pattern.test(deviceName))?.tflops[dtype] ?? null;
}
