import { readFileSync } from 'node:fs';

// Whether this CPU multiplies bf16 natively. libtorch runs --dtype bf16 on any x86-64 CPU, but only the
// AVX-512 BF16 and AMX instructions make it faster than fp32; elsewhere bf16 is emulated and slower.

/** The /proc/cpuinfo flags that mean native bf16 matrix products. */
export const nativeBf16Flags = ['avx512_bf16', 'amx_bf16'] as const;

export interface CpuBf16 {
  /** true or false from the CPU flags; null where they cannot be read (not Linux) */
  native: boolean | null;
  /** which of nativeBf16Flags the CPU has */
  flags: string[];
}

/** From the text of /proc/cpuinfo (its first `flags` line: every core lists the same). */
export function cpuBf16FromCpuinfo(cpuinfo: string): CpuBf16 {
  const line = /^flags\s*:(.*)$/m.exec(cpuinfo);
  if (!line) return { native: null, flags: [] };
  const present = new Set(line[1].trim().split(/\s+/));
  const flags = nativeBf16Flags.filter((flag) => present.has(flag));
  return { native: flags.length > 0, flags };
}

export function cpuBf16(cpuinfoPath = '/proc/cpuinfo'): CpuBf16 {
  try {
    return cpuBf16FromCpuinfo(readFileSync(cpuinfoPath, 'utf8'));
  } catch {
    return { native: null, flags: [] };
  }
}
