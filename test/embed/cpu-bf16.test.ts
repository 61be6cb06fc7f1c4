import { mkdtempSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { cpuBf16, cpuBf16FromCpuinfo } from '../../src/embed/cpu-bf16';

// Flags lines as Linux prints them (abridged) for a Sapphire Rapids Xeon, a Zen 4 EPYC and a Zen 3 EPYC.
const sapphireRapids =
  'processor\t: 0\nmodel name\t: Intel(R) Xeon(R) Platinum 8480+\n' +
  'flags\t\t: fpu vme avx2 avx512f avx512_vnni avx512_bf16 amx_bf16 avx512_fp16 amx_tile amx_int8\n\n' +
  'processor\t: 1\nflags\t\t: fpu vme avx2 avx512f avx512_vnni avx512_bf16 amx_bf16 avx512_fp16 amx_tile amx_int8\n';
const zen4 = 'processor\t: 0\nflags\t\t: fpu avx2 avx512f avx512bw avx512_bf16 avx512vbmi avx512_vnni\n';
const zen3 = 'processor\t: 0\nflags\t\t: fpu avx avx2 fma bmi2 sha_ni\n';

describe('cpuBf16FromCpuinfo', () => {
  it('finds AVX-512 BF16 and AMX BF16 where the CPU lists them', () => {
    expect(cpuBf16FromCpuinfo(sapphireRapids)).toEqual({ native: true, flags: ['avx512_bf16', 'amx_bf16'] });
    expect(cpuBf16FromCpuinfo(zen4)).toEqual({ native: true, flags: ['avx512_bf16'] });
  });

  it('says no for a CPU with AVX2 or AVX-512 but neither bf16 flag', () => {
    expect(cpuBf16FromCpuinfo(zen3)).toEqual({ native: false, flags: [] });
    expect(cpuBf16FromCpuinfo('flags\t: avx512f avx512bw avx512vl\n')).toEqual({ native: false, flags: [] });
  });

  it('does not take a longer flag that merely contains the name', () => {
    expect(cpuBf16FromCpuinfo('flags\t: avx512_bf16x amx_bf16_extra\n').native).toBe(false);
  });

  it('is unknown without a flags line (an ARM cpuinfo says Features) or without the file', () => {
    expect(cpuBf16FromCpuinfo('processor\t: 0\nFeatures\t: fp asimd bf16\n')).toEqual({
      native: null,
      flags: [],
    });
    expect(cpuBf16(path.join(os.tmpdir(), 'no-such-cpuinfo'))).toEqual({ native: null, flags: [] });
  });

  it('reads a cpuinfo file', () => {
    const file = path.join(mkdtempSync(path.join(os.tmpdir(), 'cpuinfo-')), 'cpuinfo');
    writeFileSync(file, zen4);
    expect(cpuBf16(file).native).toBe(true);
  });
});
